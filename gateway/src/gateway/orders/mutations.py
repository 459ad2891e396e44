"""Orders commands: the result and the user errors side by side, nothing raised.

Who may send each is in gateway.permissions: the sales desk keeps customers and sales
orders, the buyers keep suppliers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated

import strawberry

from gateway import described
from gateway.commands import command
from gateway.context import Info
from gateway.errors import UserError
from gateway.orders.inputs import (
    CancelSalesOrderInput,
    ConfirmSalesOrderInput,
    CreateCustomerInput,
    CreateSalesOrderInput,
    CreateSupplierInput,
)
from gateway.orders.types import Customer, SalesOrder, Supplier
from invariant.orders.v1 import orders_pb2 as pb
from invariant.orders.v1 import orders_pb2_grpc

Stub = orders_pb2_grpc.OrdersServiceStub

REFUSED = "Why it was refused, with nothing written; empty when it was done."
RETRY = "A retry with the same idempotencyKey answers the first result without doing it again."
BY_SALES = "The sales desk, supervisors, managers and admins only."


def _stub(info: Info) -> Stub:
    return info.context.stubs.orders


@strawberry.type(description="What createCustomer answers.")
class CustomerPayload:
    customer: Customer | None = strawberry.field(description="The customer made; null when refused.")
    user_errors: list[UserError] = strawberry.field(description=REFUSED)


@strawberry.type(description="What createSupplier answers.")
class SupplierPayload:
    supplier: Supplier | None = strawberry.field(description="The supplier made; null when refused.")
    user_errors: list[UserError] = strawberry.field(description=REFUSED)


@strawberry.type(description="A sales order after a command, or why the command was refused.")
class SalesOrderPayload:
    sales_order: SalesOrder | None = strawberry.field(
        description="The order as it stands after the command; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=REFUSED)


async def _sales_order(
    info: Info, send: Callable[[], Awaitable[pb.SalesOrder]], fields: Mapping[str, str] | None = None
) -> SalesOrderPayload:
    proto, errors = await command(info, send, fields)
    return SalesOrderPayload(
        sales_order=SalesOrder.from_proto(proto) if proto is not None else None, user_errors=errors
    )


@strawberry.type
class OrdersMutation:
    @described.mutation(f"Adds a customer that sales orders can name by its code. {BY_SALES} {RETRY}")
    async def create_customer(
        self, info: Info, input: Annotated[CreateCustomerInput, strawberry.argument(description="The customer.")]
    ) -> CustomerPayload:
        proto, errors = await command(info, lambda: _stub(info).CreateCustomer(input.to_proto()))
        return CustomerPayload(customer=Customer.from_proto(proto) if proto is not None else None, user_errors=errors)

    @described.mutation(
        f"Adds a supplier with the items it supplies. Buyers, managers and admins only. An unknown item is refused. "
        f"{RETRY}"
    )
    async def create_supplier(
        self,
        info: Info,
        input: Annotated[CreateSupplierInput, strawberry.argument(description="The supplier and its items.")],
    ) -> SupplierPayload:
        proto, errors = await command(info, lambda: _stub(info).CreateSupplier(input.to_proto()))
        return SupplierPayload(supplier=Supplier.from_proto(proto) if proto is not None else None, user_errors=errors)

    @described.mutation(
        "Enters a sales order in DRAFT; nothing is reserved until confirmSalesOrder. Refused for an unknown customer, "
        f"item, unit or warehouse. {BY_SALES} {RETRY}"
    )
    async def create_sales_order(
        self,
        info: Info,
        input: Annotated[CreateSalesOrderInput, strawberry.argument(description="The customer, lines and policy.")],
    ) -> SalesOrderPayload:
        return await _sales_order(info, lambda: _stub(info).CreateSalesOrder(input.to_proto()), input.fields)

    @described.mutation(
        "DRAFT → CONFIRMED: reserves every line through stock by the order's policy. Under ALL_OR_NOTHING a line that "
        f"cannot be met refuses it (INSUFFICIENT_STOCK, naming the line) and nothing is reserved. {BY_SALES} {RETRY}"
    )
    async def confirm_sales_order(
        self, info: Info, input: Annotated[ConfirmSalesOrderInput, strawberry.argument(description="The order.")]
    ) -> SalesOrderPayload:
        return await _sales_order(info, lambda: _stub(info).ConfirmSalesOrder(input.to_proto()))

    @described.mutation(
        "Cancels a DRAFT or CONFIRMED order; what is still reserved for it is released a few seconds after, at most. "
        f"{BY_SALES} {RETRY}"
    )
    async def cancel_sales_order(
        self, info: Info, input: Annotated[CancelSalesOrderInput, strawberry.argument(description="The order and why.")]
    ) -> SalesOrderPayload:
        return await _sales_order(info, lambda: _stub(info).CancelSalesOrder(input.to_proto()))
