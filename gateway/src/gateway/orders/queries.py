"""Orders reads: any authenticated user may ask."""

from __future__ import annotations

from typing import Annotated

import strawberry

from gateway import described
from gateway.context import Info
from gateway.convert import enum_to_proto
from gateway.errors import call
from gateway.orders.types import Customer, SalesOrder, SalesOrderState, Supplier
from gateway.pagination import After, Before, Connection, First, Last, connection, page_request
from invariant.orders.v1 import orders_pb2 as pb


@strawberry.type
class OrdersQuery:
    @described.field("The customers, by code.")
    async def customers(
        self, info: Info, first: First = None, after: After = None, last: Last = None, before: Before = None
    ) -> Connection[Customer]:
        page = page_request(first, after, last, before)
        reply = await call(lambda: info.context.stubs.orders.ListCustomers(pb.ListCustomersRequest(**page.fields)))
        customers = [Customer.from_proto(customer) for customer in reply.customers]
        return connection(customers, reply.cursors, page, reply.next_page_token)

    @described.field("The suppliers, by code, each with the items it supplies.")
    async def suppliers(
        self, info: Info, first: First = None, after: After = None, last: Last = None, before: Before = None
    ) -> Connection[Supplier]:
        page = page_request(first, after, last, before)
        reply = await call(lambda: info.context.stubs.orders.ListSuppliers(pb.ListSuppliersRequest(**page.fields)))
        suppliers = [Supplier.from_proto(supplier) for supplier in reply.suppliers]
        return connection(suppliers, reply.cursors, page, reply.next_page_token)

    @described.field(
        "Sales orders in the order they were entered, oldest first (`last` reads the newest); null filters match "
        "everything."
    )
    async def sales_orders(
        self,
        info: Info,
        customer: Annotated[
            str | None,
            strawberry.argument(
                description="Only this customer's, by code (case is ignored); null for every customer."
            ),
        ] = None,
        state: Annotated[
            SalesOrderState | None, strawberry.argument(description="Only orders in this state; null for any state.")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[SalesOrder]:
        page = page_request(first, after, last, before)
        request = pb.ListSalesOrdersRequest(
            customer=customer or "",
            state=enum_to_proto(pb.SalesOrderState, state) if state is not None else pb.SALES_ORDER_STATE_UNSPECIFIED,
            **page.fields,
        )
        reply = await call(lambda: info.context.stubs.orders.ListSalesOrders(request))
        orders = [SalesOrder.from_proto(order) for order in reply.orders]
        return connection(orders, reply.cursors, page, reply.next_page_token)

    @described.field("The sales order with this number, or null.")
    async def sales_order(
        self,
        info: Info,
        number: Annotated[str, strawberry.argument(description="The order's number, e.g. `SO-000001`.")],
    ) -> SalesOrder | None:
        found = await SalesOrder.fetch(info, [number])
        return found[0] if found else None
