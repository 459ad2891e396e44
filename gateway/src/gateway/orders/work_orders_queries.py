"""Work order reads: any authenticated user may ask."""

from __future__ import annotations

from typing import Annotated

import strawberry

from gateway import described
from gateway.context import Info
from gateway.convert import enum_to_proto
from gateway.errors import call
from gateway.orders.work_orders_types import WorkOrder, WorkOrderState
from gateway.pagination import After, Before, Connection, First, Last, connection, page_request
from invariant.orders.v1 import orders_pb2 as pb


@strawberry.type
class WorkOrdersQuery:
    @described.field("Work orders by number, oldest first (`last` reads the newest); a null state matches every one.")
    async def work_orders(
        self,
        info: Info,
        state: Annotated[
            WorkOrderState | None, strawberry.argument(description="Only orders in this state; null for any state.")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[WorkOrder]:
        page = page_request(first, after, last, before)
        request = pb.ListWorkOrdersRequest(
            state=enum_to_proto(pb.WorkOrderState, state) if state is not None else pb.WORK_ORDER_STATE_UNSPECIFIED,
            **page.fields,
        )
        reply = await call(lambda: info.context.stubs.orders.ListWorkOrders(request))
        return connection(
            [WorkOrder.from_proto(order) for order in reply.orders], reply.cursors, page, reply.next_page_token
        )

    @described.field("The work order with this number, or null.")
    async def work_order(
        self,
        info: Info,
        number: Annotated[str, strawberry.argument(description="The order's number, e.g. `WO-000001`.")],
    ) -> WorkOrder | None:
        found = await WorkOrder.fetch(info, [number])
        return found[0] if found else None
