"""Fulfilment reads: any authenticated user may ask."""

from __future__ import annotations

from typing import Annotated

import strawberry

from gateway import described
from gateway.context import Info
from gateway.errors import call, call_or_none
from gateway.orders.fulfilment_types import CustomerReturn, PickList
from gateway.pagination import After, Before, Connection, First, Last, connection, page_request
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

    @described.field("Customer returns in the order they were entered, oldest first (`last` reads the newest).")
    async def customer_returns(
        self,
        info: Info,
        sales_order: Annotated[
            str | None,
            strawberry.argument(description="Only those against this sales order, by number; null for every order."),
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[CustomerReturn]:
        page = page_request(first, after, last, before)
        request = pb.ListCustomerReturnsRequest(order_number=sales_order or "", **page.fields)
        reply = await call(lambda: info.context.stubs.orders.ListCustomerReturns(request))
        found = [CustomerReturn.from_proto(rma) for rma in reply.returns]
        return connection(found, reply.cursors, page, reply.next_page_token)

    @described.field("The customer return with this number, or null.")
    async def customer_return(
        self,
        info: Info,
        number: Annotated[str, strawberry.argument(description="The return's number, e.g. `RMA-000001`.")],
    ) -> CustomerReturn | None:
        found = await CustomerReturn.fetch(info, [number])
        return found[0] if found else None
