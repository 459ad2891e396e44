"""`health`: whether each peer service answers, for load balancers and operators."""

from __future__ import annotations

import asyncio
from enum import Enum

import strawberry

from gateway import described
from gateway.context import Info
from invariant_core.rpc import check_health


@strawberry.enum
class ServingStatus(Enum):
    SERVING = "SERVING"
    NOT_SERVING = "NOT_SERVING"
    UNKNOWN = "UNKNOWN"


@strawberry.type
class ServiceHealth:
    service: str
    status: ServingStatus


async def _status(target: str) -> ServingStatus:
    reported = await check_health(target)
    return ServingStatus[reported] if reported in ServingStatus.__members__ else ServingStatus.UNKNOWN


@strawberry.type
class HealthQuery:
    @described.field("Each peer service and whether it serves; readable without a token.")
    async def health(self, info: Info) -> list[ServiceHealth]:
        peers = sorted(info.context.peers.items())
        statuses = await asyncio.gather(*(_status(target) for _, target in peers))
        return [ServiceHealth(service=name, status=status) for (name, _), status in zip(peers, statuses, strict=True)]
