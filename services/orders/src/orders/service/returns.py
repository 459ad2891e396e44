"""Customer returns: checked against the shipped line before the transaction, recorded with
an RMA number in it, and posted to stock (a RETURN into QC_HOLD) once it commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from invariant_core import identity
from invariant_core.db import Recorder, utcnow
from invariant_core.paging import at_most_a_page
from invariant_kernel.errors import not_found
from orders.domain.returns import DOCUMENT_TYPE, CreateReturn, CustomerReturn, return_number
from orders.service.fulfilment import location_code
from orders.service.handlers import order_by_number
from orders.service.ports import Items, OrdersRepository, Reading, Returns, Stock


@dataclass(frozen=True)
class PreparedReturn:
    number: str
    line: int
    quantity: Decimal
    location: str
    lot: str
    reason: str


async def prepare_return(reading: Reading, items: Items, stock: Stock, cmd: CreateReturn) -> PreparedReturn:
    """The quantity in the item's base unit, and the location known to stock at the line's warehouse."""
    async with reading() as repo:
        order = await order_by_number(repo, cmd.number)
    line = order.line(cmd.line)
    view = (await items.views({line.item_sku: "line"}))[line.item_sku]
    quantity = view.to_base(cmd.quantity, cmd.unit, "quantity", "unit")
    location = location_code(cmd.location)
    if location not in await stock.locations(line.warehouse, [location]):
        raise not_found("location", f"{line.warehouse}/{location}", "location")
    return PreparedReturn(order.number, line.line, quantity, location, cmd.lot.strip(), cmd.reason)


async def create_return(returns: Returns, uow: Recorder, repo: OrdersRepository, cmd: PreparedReturn) -> CustomerReturn:
    order = await order_by_number(repo, cmd.number, lock=True)
    line = order.take_back(cmd.line, cmd.quantity, cmd.lot)
    rma = CustomerReturn.create(
        id=str(uuid.uuid4()),
        number=return_number(await repo.next_number(DOCUMENT_TYPE)),
        order_number=order.number,
        line=line.line,
        item_sku=line.item_sku,
        warehouse=line.warehouse,
        location=cmd.location,
        lot=cmd.lot,
        quantity=cmd.quantity,
        reason=cmd.reason,
        actor=identity.current.get().actor,
        now=utcnow(),
    )
    await repo.save_sales_order(order)
    await repo.add_return(rma)
    await returns.post(uow, rma)
    return rma


async def get_customer_returns(repo: OrdersRepository, numbers: Sequence[str]) -> list[CustomerReturn]:
    return await repo.customer_returns([n.strip().upper() for n in at_most_a_page(numbers, "numbers")])
