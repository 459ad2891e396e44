"""SQL for the orders service's partners and sales orders."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from invariant_core.db import insert_rows
from invariant_core.paging import PageQuery, keyset
from invariant_kernel.units import ItemView, decimal_text
from orders.adapters.purchasing_repository import SqlPurchasing
from orders.adapters.tables import (
    barcodes,
    customers,
    items,
    numbers,
    sales_order_lines,
    sales_order_transitions,
    sales_orders,
    supplier_items,
    suppliers,
)
from orders.domain.partners import Customer, Supplier, SupplierItem
from orders.domain.sales import OrderLine, PromisePolicy, SalesOrder, SalesOrderState, Transition


class SqlOrdersRepository(SqlPurchasing):
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

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
        self, view: ItemView, barcode_codes: Sequence[str], version: int, inspect_on_receipt: bool = False
    ) -> None:
        """Keep the catalog's item unless a newer version of it is kept already. A command's
        read-through and the catalog's event may bring the same item at once: the insert
        gives way to the row the other wrote, which the version then keeps or replaces."""
        values = {
            "base_unit": view.base_unit,
            "units": json.dumps({u: decimal_text(f) for u, f in view.units.items()}),
            "lot_tracked": view.lot_tracked,
            "version": version,
            "inspect_on_receipt": inspect_on_receipt,
        }
        dialect = postgresql if self._session.get_bind().dialect.name == "postgresql" else sqlite
        upsert = dialect.insert(items).values(sku=view.sku, **values)
        upsert = upsert.on_conflict_do_update(index_elements=["sku"], set_=values, where=items.c.version < version)
        if (await self._session.execute(upsert.returning(items.c.sku))).first() is None:
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

    async def _one(self, where: Any, lock: bool) -> SalesOrder | None:
        query = select(sales_orders).where(where)
        row = (await self._session.execute(query.with_for_update() if lock else query)).first()
        return None if row is None else (await self._orders([row]))[0]

    async def sales_orders(self, order_numbers: Sequence[str]) -> list[SalesOrder]:
        rows = (
            await self._session.execute(select(sales_orders).where(sales_orders.c.number.in_(list(order_numbers))))
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
        await self._add_transitions(order, 0)

    async def save_sales_order(self, order: SalesOrder) -> None:
        await self._session.execute(
            update(sales_orders).where(sales_orders.c.id == order.id).values(state=str(order.state))
        )
        for line in order.lines:
            await self._session.execute(
                update(sales_order_lines)
                .where(sales_order_lines.c.order_id == order.id, sales_order_lines.c.line == line.line)
                .values(reserved=line.reserved, backordered=line.backordered, reservation_id=line.reservation_id)
            )
        kept = await self._session.scalar(select(func.count()).where(sales_order_transitions.c.order_id == order.id))
        await self._add_transitions(order, int(kept or 0))

    async def _add_transitions(self, order: SalesOrder, kept: int) -> None:
        await insert_rows(
            self._session,
            sales_order_transitions,
            [
                {
                    "order_id": order.id,
                    "seq": seq,
                    "state": str(t.state),
                    "actor": t.actor,
                    "at": t.at,
                    "reason": t.reason,
                }
                for seq, t in enumerate(order.transitions)
                if seq >= kept
            ],
        )

    async def _orders(self, rows: Sequence[Row[Any]]) -> list[SalesOrder]:
        ids = [row.id for row in rows]
        lines: dict[str, list[OrderLine]] = defaultdict(list)
        for line in await self._session.execute(
            select(sales_order_lines)
            .where(sales_order_lines.c.order_id.in_(ids))
            .order_by(sales_order_lines.c.order_id, sales_order_lines.c.line)
        ):
            lines[line.order_id].append(
                OrderLine(
                    line=line.line,
                    item_sku=line.item_sku,
                    quantity=line.quantity,
                    unit=line.unit,
                    base_quantity=line.base_quantity,
                    base_unit=line.base_unit,
                    warehouse=line.warehouse,
                    requested_date=line.requested_date,
                    reserved=line.reserved,
                    backordered=line.backordered,
                    reservation_id=line.reservation_id,
                )
            )
        transitions: dict[str, list[Transition]] = defaultdict(list)
        for t in await self._session.execute(
            select(sales_order_transitions)
            .where(sales_order_transitions.c.order_id.in_(ids))
            .order_by(sales_order_transitions.c.order_id, sales_order_transitions.c.seq)
        ):
            transitions[t.order_id].append(Transition(SalesOrderState(t.state), t.actor, t.at, t.reason))
        return [
            SalesOrder(
                id=row.id,
                number=row.number,
                customer=row.customer,
                customer_reference=row.customer_reference,
                policy=PromisePolicy(row.policy),
                state=SalesOrderState(row.state),
                lines=lines[row.id],
                transitions=transitions[row.id],
                created_at=row.created_at,
            )
            for row in rows
        ]


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
    }
