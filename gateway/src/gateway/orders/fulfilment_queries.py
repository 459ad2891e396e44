"""Fulfilment reads: any authenticated user may ask."""

from __future__ import annotations

from typing import Annotated

import strawberry

from gateway import described
from gateway.context import Info
from gateway.errors import call_or_none
from gateway.orders.fulfilment_types import PickList
from invariant.orders.v1 import orders_pb2 as pb


@strawberry.type
class FulfilmentQuery:
    @described.field(
        "Where to take what is reserved and not picked of a sales order, in walk order; null for an unknown order."
    )
    async def pick_list(
        self,
        info: Info,
        number: Annotated[str, strawberry.argument(description="The order's number, e.g. `SO-000001`.")],
    ) -> PickList | None:
        request = pb.GetPickListRequest(number=number)
        found = await call_or_none(lambda: info.context.stubs.orders.GetPickList(request))
        return PickList.from_proto(found) if found is not None else None
