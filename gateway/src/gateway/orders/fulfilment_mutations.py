"""Fulfilment commands: the result and the user errors side by side, nothing raised.

Who may send each is in gateway.permissions: pickers and operators pick, short-pick and
ship; the sales desk closes orders and takes returns.
"""

from __future__ import annotations

from typing import Annotated

import strawberry

from gateway import described
from gateway.commands import command
from gateway.context import Info
from gateway.errors import UserError
from gateway.orders.fulfilment_inputs import (
    CloseSalesOrderInput,
    CreateReturnInput,
    PickLineInput,
    ShipSalesOrderInput,
    ShortPickInput,
)
from gateway.orders.fulfilment_types import CustomerReturn
from gateway.orders.mutations import REFUSED, RETRY, SalesOrderPayload, _sales_order

BY_PICKERS = "Pickers, operators, supervisors, managers and admins only."
BY_SALES = "The sales desk, supervisors, managers and admins only."


@strawberry.type(description="What createReturn answers.")
class CustomerReturnPayload:
    customer_return: CustomerReturn | None = strawberry.field(description="The return entered; null when refused.")
    user_errors: list[UserError] = strawberry.field(description=REFUSED)


@strawberry.type
class FulfilmentMutation:
    @described.mutation(
        "Records a picker's scan of a pick list's stop; the order enters PICKING. Refused naming `barcode` for another "
        "item's barcode, `location` or `lot` for a place the pick list does not offer the line, `quantity` beyond "
        f"what is reserved and not picked. {BY_PICKERS} {RETRY}"
    )
    async def pick_line(
        self, info: Info, input: Annotated[PickLineInput, strawberry.argument(description="The scan.")]
    ) -> SalesOrderPayload:
        return await _sales_order(info, lambda: info.context.stubs.orders.PickLine(input.to_proto()))

    @described.mutation(
        "Records a failed pick: the shelf held less than the pick list named. What was found is picked, the failure "
        f"is published (counting plans a spot count of the place), and the pick list leaves the place out for the "
        f"line. {BY_PICKERS} {RETRY}"
    )
    async def short_pick(
        self, info: Info, input: Annotated[ShortPickInput, strawberry.argument(description="What was found where.")]
    ) -> SalesOrderPayload:
        return await _sales_order(info, lambda: info.context.stubs.orders.ShortPick(input.to_proto()))

    @described.mutation(
        "Issues everything picked and not shipped against the lines' reservations; SHIPPED once every line is, else "
        f"PARTLY_SHIPPED. Refused (INVALID_STATE) when nothing is picked. {BY_PICKERS} {RETRY}"
    )
    async def ship_sales_order(
        self, info: Info, input: Annotated[ShipSalesOrderInput, strawberry.argument(description="The order.")]
    ) -> SalesOrderPayload:
        return await _sales_order(info, lambda: info.context.stubs.orders.ShipSalesOrder(input.to_proto()))

    @described.mutation(
        "SHIPPED or PARTLY_SHIPPED → CLOSED: what is still reserved for it is released. "
        f"Refused (INVALID_STATE) in another state or with picks unshipped. {BY_SALES} {RETRY}"
    )
    async def close_sales_order(
        self, info: Info, input: Annotated[CloseSalesOrderInput, strawberry.argument(description="The order.")]
    ) -> SalesOrderPayload:
        return await _sales_order(info, lambda: info.context.stubs.orders.CloseSalesOrder(input.to_proto()))

    @described.mutation(
        "Enters a customer return (RMA) against a shipped line: stock posts a RETURN into QC_HOLD at the location "
        f"given, with the RMA as document, and quality decides it. {BY_SALES} {RETRY}"
    )
    async def create_return(
        self, info: Info, input: Annotated[CreateReturnInput, strawberry.argument(description="What came back.")]
    ) -> CustomerReturnPayload:
        proto, errors = await command(info, lambda: info.context.stubs.orders.CreateReturn(input.to_proto()))
        return CustomerReturnPayload(
            customer_return=CustomerReturn.from_proto(proto) if proto is not None else None, user_errors=errors
        )
