"""SQL for the orders service's partners and sales orders."""

from __future__ import annotations

import dataclasses
import json
from collections import defaultdict
from collections.abc import Collection, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, Select, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from invariant_core.db import insert_rows
from invariant_core.paging import PageQuery, keyset
from invariant_kernel.units import ItemView, decimal_text
from orders.adapters.purchasing_repository import SqlPurchasing
from orders.adapters.rows import OrderRows, record
from orders.adapters.tables import (
    barcodes,
    customer_returns,
    customers,
    items,
    numbers,
    sales_order_line_reservations,
    sales_order_lines,
    sales_order_picks,
    sales_order_transitions,
    sales_orders,
    supplier_items,
    suppliers,
)
from orders.adapters.work_repository import SqlWorkOrders
from orders.domain.partners import Customer, Supplier, SupplierItem
from orders.domain.returns import CustomerReturn
from orders.domain.sales import (
    OPEN_STATES,
    LineReservation,
    OrderLine,
    Pick,
    PromisePolicy,
    SalesOrder,
    SalesOrderState,
    Transition,
)
from orders.service.ports import ProductionFacts

# What a saved order changes on its lines; the rest of a line is fixed when it is made.
_SAVED_LINE_FIELDS = (
    "reserved",
    "backordered",
    "reservation_id",
    "asking",
    "asked_before_arrival",
    "picked",
    "shipped",
    "shorted",
    "returned",
)


# An order and its lines in one statement: what confirming reads before it asks stock.
_TO_PROMISE = (
    select(sales_orders, sales_order_lines)
    .join(sales_order_lines, sales_order_lines.c.order_id == sales_orders.c.id)
    .where(sales_orders.c.number == bindparam("number"))
    .order_by(sales_order_lines.c.line)
)


class SqlOrdersRepository(SqlWorkOrders, SqlPurchasing):
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._rows = OrderRows(session)

    # the catalog's items

    async def item_views(self, skus: Collection[str]) -> dict[str, ItemView]:
        found = await self._session.execute(select(items).where(items.c.sku.in_(list(skus))))
        return {
            row.sku: ItemView(
                row.sku, row.base_unit, {u: Decimal(f) for u, f in json.loads(row.units).items()}, row.lot_tracked
            )
            for row in found
        }

    async def sku_of_barcode(self, code: str) -> str | None:
        return await self._session.scalar(select(barcodes.c.item_sku).where(barcodes.c.barcode == code))

    async def save_item(
        self,
        view: ItemView,
        barcode_codes: Sequence[str],
        version: int,
        production: ProductionFacts,
        inspect_on_receipt: bool,
    ) -> None:
        """Keep the catalog's item unless a newer version of it is kept already. The event and
        a read-through may keep one item at once: the upsert's row lock puts them in turn, and
        the second, finding the version kept, leaves the barcodes as the first wrote them."""
        values = {
            "base_unit": view.base_unit,
            "units": json.dumps({u: decimal_text(f) for u, f in view.units.items()}),
            "lot_tracked": view.lot_tracked,
            "version": version,
            "standard_cost": production.standard_cost,
            "inspect_on_production": production.inspect_on_production,
            "inspect_on_receipt": inspect_on_receipt,
        }
        dialect = postgresql if self._session.get_bind().dialect.name == "postgresql" else sqlite
        kept = await self._session.scalar(
            dialect.insert(items)
            .values(sku=view.sku, **values)
            .on_conflict_do_update(index_elements=["sku"], set_=values, where=items.c.version < version)
            .returning(items.c.sku)
        )
        if kept is None:
            return
        await self._session.execute(barcodes.delete().where(barcodes.c.item_sku == view.sku))
        await insert_rows(self._session, barcodes, [{"barcode": c, "item_sku": view.sku} for c in barcode_codes])

    # partners

    async def customer(self, code: str) -> Customer | None:
        row = (await self._session.execute(select(customers).where(customers.c.code == code))).first()
        return None if row is None else Customer(row.id, row.code, row.name, row.created_at)

    async def add_customer(self, customer: Customer) -> None:
        await self._session.execute(
            insert(customers).values(
                id=customer.id, code=customer.code, name=customer.name, created_at=customer.created_at
            )
        )

    async def customers(self, page: PageQuery) -> list[Customer]:
        rows = await self._session.execute(keyset(select(customers), [customers.c.code], page))
        return [Customer(row.id, row.code, row.name, row.created_at) for row in rows]

    async def supplier(self, code: str) -> Supplier | None:
        row = (await self._session.execute(select(suppliers).where(suppliers.c.code == code))).first()
        return None if row is None else (await self._suppliers([row]))[0]

    async def add_supplier(self, supplier: Supplier) -> None:
        await self._session.execute(
            insert(suppliers).values(
                id=supplier.id, code=supplier.code, name=supplier.name, created_at=supplier.created_at
            )
        )
        await insert_rows(
            self._session,
            supplier_items,
            [
                {
                    "supplier_id": supplier.id,
                    "item_sku": i.item_sku,
                    "pack_size": i.pack_size,
                    "lead_time_days": i.lead_time_days,
                }
                for i in supplier.items
            ],
        )

    async def suppliers(self, page: PageQuery) -> list[Supplier]:
        rows = (await self._session.execute(keyset(select(suppliers), [suppliers.c.code], page))).all()
        return await self._suppliers(rows)

    async def _suppliers(self, rows: Sequence[Row[Any]]) -> list[Supplier]:
        supplied: dict[str, list[SupplierItem]] = defaultdict(list)
        found = await self._session.execute(
            select(supplier_items)
            .where(supplier_items.c.supplier_id.in_([row.id for row in rows]))
            .order_by(supplier_items.c.item_sku)
        )
        for i in found:
            supplied[i.supplier_id].append(SupplierItem(i.item_sku, i.pack_size, i.lead_time_days))
        return [Supplier(r.id, r.code, r.name, r.created_at, tuple(supplied[r.id])) for r in rows]

    # documents

    async def next_number(self, kind: str) -> int:
        """The next number of a kind of document; the row's lock holds concurrent creators apart."""
        given = await self._session.scalar(
            update(numbers).where(numbers.c.kind == kind).values(last=numbers.c.last + 1).returning(numbers.c.last)
        )
        if given is None:
            await self._session.execute(insert(numbers).values(kind=kind, last=1))
            return 1
        return int(given)

    # sales orders

    async def sales_order(self, number: str, lock: bool = False) -> SalesOrder | None:
        return await self._one(sales_orders.c.number == number, lock)

    async def sales_order_by_id(self, order_id: str, lock: bool = False) -> SalesOrder | None:
        return await self._one(sales_orders.c.id == order_id, lock)

    async def order_to_promise(self, number: str) -> SalesOrder | None:
        rows = (await self._session.execute(_TO_PROMISE, {"number": number})).all()
        if not rows:
            return None
        return _order(rows[0], [record(OrderLine, row, reservations=()) for row in rows], transitions=[], picks=[])

    async def _one(self, where: Any, lock: bool) -> SalesOrder | None:
        query = select(sales_orders).where(where)
        row = (await self._session.execute(query.with_for_update() if lock else query)).first()
        return None if row is None else (await self._orders([row]))[0]

    async def sales_orders(self, order_numbers: Sequence[str], lock: bool = False) -> list[SalesOrder]:
        query = select(sales_orders).where(sales_orders.c.number.in_(list(order_numbers)))
        # Locked in id order, as every writer that locks several orders does.
        rows = (
            await self._session.execute(query.order_by(sales_orders.c.id).with_for_update() if lock else query)
        ).all()
        return await self._orders(rows)

    async def list_sales_orders(
        self, customer: str, state: SalesOrderState | None, page: PageQuery
    ) -> list[SalesOrder]:
        query = select(sales_orders)
        if customer:
            query = query.where(sales_orders.c.customer == customer)
        if state is not None:
            query = query.where(sales_orders.c.state == str(state))
        rows = (
            await self._session.execute(keyset(query, [sales_orders.c.created_at, sales_orders.c.number], page))
        ).all()
        return await self._orders(rows)

    async def add_sales_order(self, order: SalesOrder) -> None:
        await self._session.execute(
            insert(sales_orders).values(
                id=order.id,
                number=order.number,
                customer=order.customer,
                customer_reference=order.customer_reference,
                policy=str(order.policy),
                state=str(order.state),
                created_at=order.created_at,
            )
        )
        await insert_rows(self._session, sales_order_lines, [_line_row(order.id, line) for line in order.lines])
        await self._add_transitions([order])

    async def save_sales_order(self, order: SalesOrder) -> None:
        await self.save_sales_orders([order])

    async def save_sales_orders(self, orders: Sequence[SalesOrder]) -> None:
        """Several orders in a few statements, whatever their number: their states, their lines,
        the transitions they gained, their lines' reservations and their picks."""
        if not orders:
            return
        await self._session.execute(
            update(sales_orders).where(sales_orders.c.id == bindparam("of")).values(state=bindparam("new_state")),
            [{"of": order.id, "new_state": str(order.state)} for order in orders],
        )
        lines = sales_order_lines
        await self._session.execute(
            update(lines)
            .where(lines.c.order_id == bindparam("of"), lines.c.line == bindparam("number"))
            .values({name: bindparam(f"new_{name}") for name in _SAVED_LINE_FIELDS}),
            [
                {
                    "of": order.id,
                    "number": line.line,
                    **{f"new_{name}": getattr(line, name) for name in _SAVED_LINE_FIELDS},
                }
                for order in orders
                for line in order.lines
            ],
        )
        await self._add_transitions(orders)
        await self._save_reservations(orders)
        await self._save_picks(orders)

    async def _save_reservations(self, orders: Sequence[SalesOrder]) -> None:
        table = sales_order_line_reservations
        await self._session.execute(table.delete().where(table.c.order_id.in_([order.id for order in orders])))
        await insert_rows(
            self._session,
            table,
            [
                {
                    "order_id": order.id,
                    "line": line.line,
                    "reservation_id": r.reservation_id,
                    "seq": n,
                    "open": r.open,
                }
                for order in orders
                for line in order.lines
                for n, r in enumerate(line.reservations)
            ],
        )

    async def _save_picks(self, orders: Sequence[SalesOrder]) -> None:
        table = sales_order_picks
        picking = [order for order in orders if order.picks]
        if not picking:
            return
        found = await self._session.execute(
            select(table.c.order_id, table.c.seq, table.c.shipment).where(
                table.c.order_id.in_([order.id for order in picking])
            )
        )
        stored = {(order_id, seq): shipment for order_id, seq, shipment in found}
        await insert_rows(
            self._session,
            table,
            [_pick_row(order.id, p) for order in picking for p in order.picks if (order.id, p.seq) not in stored],
        )
        shipped: dict[tuple[str, int], list[int]] = defaultdict(list)
        for order in picking:
            for pick in order.picks:
                kept = stored.get((order.id, pick.seq))
                if kept is not None and kept != pick.shipment:
                    shipped[(order.id, pick.shipment)].append(pick.seq)
        for (order_id, shipment), seqs in shipped.items():
            await self._session.execute(
                update(table).where(table.c.order_id == order_id, table.c.seq.in_(seqs)).values(shipment=shipment)
            )

    async def backordered_orders(self, item_sku: str, warehouse: str) -> list[SalesOrder]:
        waiting = _waiting(item_sku, warehouse)
        # Locked in id order, as every writer that locks several orders does.
        rows = (
            await self._session.execute(
                select(sales_orders).where(sales_orders.c.id.in_(waiting)).order_by(sales_orders.c.id).with_for_update()
            )
        ).all()
        return await self._orders(rows)

    async def waits_for(self, item_sku: str, warehouse: str) -> bool:
        """Whether an open order's line waits for the item at the warehouse."""
        return bool(await self._session.scalar(select(_waiting(item_sku, warehouse).exists())))

    async def add_return(self, rma: CustomerReturn) -> None:
        await self._session.execute(insert(customer_returns).values(**dataclasses.asdict(rma)))

    async def customer_returns(self, numbers: Sequence[str]) -> list[CustomerReturn]:
        found = await self._session.execute(select(customer_returns).where(customer_returns.c.number.in_(numbers)))
        return [record(CustomerReturn, row) for row in found]

    async def list_customer_returns(self, order_number: str, page: PageQuery) -> list[CustomerReturn]:
        query = select(customer_returns)
        if order_number:
            query = query.where(customer_returns.c.order_number == order_number)
        order_by = [customer_returns.c.created_at, customer_returns.c.number]
        return [record(CustomerReturn, row) for row in await self._session.execute(keyset(query, order_by, page))]

    async def return_posted(self, rma_id: str, movement_id: str) -> None:
        await self._session.execute(
            update(customer_returns).where(customer_returns.c.id == rma_id).values(movement_id=movement_id)
        )

    async def orders_holding(self, reservation_ids: Collection[str]) -> list[SalesOrder]:
        table = sales_order_line_reservations
        holding = select(table.c.order_id).where(table.c.reservation_id.in_(list(reservation_ids)))
        rows = (
            await self._session.execute(
                select(sales_orders).where(sales_orders.c.id.in_(holding)).order_by(sales_orders.c.id).with_for_update()
            )
        ).all()
        return await self._orders(rows)

    async def unshipped_picks(self, item_sku: str, warehouse: str) -> dict[tuple[str, str], Decimal]:
        picks, lines = sales_order_picks, sales_order_lines
        found = await self._session.execute(
            select(picks.c.location, picks.c.lot, func.sum(picks.c.quantity))
            .join(lines, (lines.c.order_id == picks.c.order_id) & (lines.c.line == picks.c.line))
            .where(picks.c.shipment == 0, lines.c.item_sku == item_sku, lines.c.warehouse == warehouse)
            .group_by(picks.c.location, picks.c.lot)
        )
        return {(location, lot): Decimal(total) for location, lot, total in found}

    async def _add_transitions(self, orders: Sequence[SalesOrder]) -> None:
        await self._rows.append(
            sales_order_transitions,
            {
                order.id: [
                    {"state": str(t.state), "actor": t.actor, "at": t.at, "reason": t.reason} for t in order.transitions
                ]
                for order in orders
            },
        )

    async def _reservations(self, ids: Sequence[str]) -> dict[tuple[str, int], list[LineReservation]]:
        held: dict[tuple[str, int], list[LineReservation]] = defaultdict(list)
        for r in await self._rows.read(sales_order_line_reservations, ids, "line", "seq"):
            held[r.order_id, r.line].append(LineReservation(r.reservation_id, r.open))
        return held

    async def _picks(self, ids: Sequence[str]) -> dict[str, list[Pick]]:
        picks: dict[str, list[Pick]] = defaultdict(list)
        for p in await self._rows.read(sales_order_picks, ids, "seq"):
            picks[p.order_id].append(
                Pick(p.seq, p.line, p.location, p.lot, p.quantity, p.actor, p.at, p.expected, p.shipment)
            )
        return picks

    async def _orders(self, rows: Sequence[Row[Any]]) -> list[SalesOrder]:
        ids = [row.id for row in rows]
        held = await self._reservations(ids)
        lines: dict[str, list[OrderLine]] = defaultdict(list)
        for line in await self._rows.read(sales_order_lines, ids, "line"):
            lines[line.order_id].append(record(OrderLine, line, reservations=tuple(held[line.order_id, line.line])))
        picks = await self._picks(ids)
        transitions: dict[str, list[Transition]] = defaultdict(list)
        for t in await self._rows.read(sales_order_transitions, ids, "seq"):
            transitions[t.order_id].append(Transition(SalesOrderState(t.state), t.actor, t.at, t.reason))
        return [_order(row, lines[row.id], transitions[row.id], picks[row.id]) for row in rows]


def _order(row: Row[Any], lines: list[OrderLine], transitions: list[Transition], picks: list[Pick]) -> SalesOrder:
    return record(
        SalesOrder,
        row,
        policy=PromisePolicy(row.policy),
        state=SalesOrderState(row.state),
        lines=lines,
        transitions=transitions,
        picks=picks,
    )


def _line_row(order_id: str, line: OrderLine) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "line": line.line,
        "item_sku": line.item_sku,
        "quantity": line.quantity,
        "unit": line.unit,
        "base_quantity": line.base_quantity,
        "base_unit": line.base_unit,
        "warehouse": line.warehouse,
        "requested_date": line.requested_date,
        "reserved": line.reserved,
        "backordered": line.backordered,
        "reservation_id": line.reservation_id,
        "asking": line.asking,
        "asked_before_arrival": line.asked_before_arrival,
        "picked": line.picked,
        "shipped": line.shipped,
        "shorted": line.shorted,
        "returned": line.returned,
    }


def _pick_row(order_id: str, pick: Pick) -> dict[str, Any]:
    return {"order_id": order_id, **dataclasses.asdict(pick)}


def _waiting(item_sku: str, warehouse: str) -> Select[tuple[str]]:
    """The open orders with a line backordered for the item at the warehouse, asked for or not
    (an ask out may have been answered before the stock came)."""
    lines = sales_order_lines
    return (
        select(lines.c.order_id)
        .join(sales_orders, sales_orders.c.id == lines.c.order_id)
        .where(
            lines.c.item_sku == item_sku,
            lines.c.warehouse == warehouse,
            lines.c.backordered > 0,
            sales_orders.c.state.in_([str(s) for s in OPEN_STATES]),
        )
    )
