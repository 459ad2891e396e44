"""`health`: whether each peer service answers, for load balancers and operators."""

from __future__ import annotations

import asyncio
from enum import Enum

import strawberry

from gateway import described
from gateway.context import Info
from invariant_core.rpc import check_health


@strawberry.enum(description="A service of the suite behind the gateway, each with its own database.")
class SuiteService(Enum):
    CATALOG = strawberry.enum_value("catalog", description="Items, units, barcodes and bills of materials.")
    STOCK = strawberry.enum_value("stock", description="The ledger, balances and reservations.")
    ORDERS = strawberry.enum_value("orders", description="Customers, suppliers and sales orders.")
    QUALITY = strawberry.enum_value(
        "quality", description="Inspection plans, and the inspection lots that hold stock until decided."
    )
    COUNTING = strawberry.enum_value("counting", description="Stock counts, their variances and approvals.")


@strawberry.enum(description="Whether a service takes requests.")
class ServingStatus(Enum):
    SERVING = strawberry.enum_value("SERVING", description="It answers: its database is reachable and up to date.")
    NOT_SERVING = strawberry.enum_value(
        "NOT_SERVING", description="It runs but does not serve (its database is away, or it is stopping)."
    )
    UNKNOWN = strawberry.enum_value("UNKNOWN", description="It did not answer.")


@strawberry.type(description="One peer service of the gateway and whether it serves.")
class ServiceHealth:
    service: SuiteService = strawberry.field(description="Which service.")
    status: ServingStatus = strawberry.field(description="Whether it serves.")


async def _status(target: str) -> ServingStatus:
    reported = await check_health(target)
    return ServingStatus[reported] if reported in ServingStatus.__members__ else ServingStatus.UNKNOWN


@strawberry.type
class HealthQuery:
    @described.field("Each peer service and whether it serves; readable without a token.")
    async def health(self, info: Info) -> list[ServiceHealth]:
        peers = sorted(info.context.peers.items())
        statuses = await asyncio.gather(*(_status(target) for _, target in peers))
        return [
            ServiceHealth(service=SuiteService(name), status=status)
            for (name, _), status in zip(peers, statuses, strict=True)
        ]
