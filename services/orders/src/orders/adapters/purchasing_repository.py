"""SQL for purchase orders, their receipts and purchase suggestions (part of SqlOrdersRepository)."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Collection, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from invariant_core.db import insert_rows
from invariant_core.paging import PageQuery, keyset
from orders.adapters.rows import OrderRows, record
from orders.adapters.tables import (
    items,
    purchase_order_lines,
    purchase_order_receipts,
    purchase_order_transitions,
    purchase_orders,
    purchase_suggestions,
    supplier_items,
    suppliers,
)
from orders.domain.purchasing import (
    OPEN_STATES,
    PurchaseLine,
    PurchaseOrder,
    PurchaseOrderState,
    Receipt,
    Transition,
)
from orders.domain.suggestions import PlaceFigures, Source, Suggestion, SuggestionState

T = TypeVar("T")


class SqlPurchasing:
    _session: AsyncSession
    _rows: OrderRows

    async def purchase_order(self, number: str, lock: bool = False) -> PurchaseOrder | None:
        query = select(purchase_orders).where(purchase_orders.c.number == number)
        row = (await self._session.execute(query.with_for_update() if lock else query)).first()
        return None if row is None else (await self._purchase_orders([row]))[0]

    async def purchase_orders(self, numbers: Sequence[str]) -> list[PurchaseOrder]:
        query = select(purchase_orders).where(purchase_orders.c.number.in_(list(numbers)))
        return await self._purchase_orders((await self._session.execute(query)).all())

    async def list_purchase_orders(
        self, supplier: str, state: PurchaseOrderState | None, page: PageQuery
    ) -> list[PurchaseOrder]:
        query = select(purchase_orders)
        if supplier:
            query = query.where(purchase_orders.c.supplier == supplier)
        if state is not None:
            query = query.where(purchase_orders.c.state == str(state))
        order_by = [purchase_orders.c.created_at, purchase_orders.c.number]
        return await self._purchase_orders((await self._session.execute(keyset(query, order_by, page))).all())

    async def add_purchase_order(self, order: PurchaseOrder) -> None:
        await self._session.execute(
            insert(purchase_orders).values(
                id=order.id,
                number=order.number,
                supplier=order.supplier,
                state=str(order.state),
                created_at=order.created_at,
            )
        )
        await insert_rows(self._session, purchase_order_lines, [_line_row(order.id, line) for line in order.lines])
        await self._append_history(order)

    async def save_purchase_order(self, order: PurchaseOrder) -> None:
        await self._session.execute(
            update(purchase_orders).where(purchase_orders.c.id == order.id).values(state=str(order.state))
        )
        for line in order.lines:
            await self._session.execute(
                update(purchase_order_lines)
                .where(purchase_order_lines.c.order_id == order.id, purchase_order_lines.c.line == line.line)
                .values(received=line.received, accepted=line.accepted, rejected=line.rejected)
            )
        await self._append_history(order)

    async def _append_history(self, order: PurchaseOrder) -> None:
        """Write the receipts and transitions the order gained since it was read: both only grow."""
        await self._rows.append(purchase_order_receipts, {order.id: [_receipt_row(r) for r in order.receipts]})
        await self._rows.append(purchase_order_transitions, {order.id: [_transition_row(t) for t in order.transitions]})

    async def _purchase_orders(self, rows: Sequence[Row[Any]]) -> list[PurchaseOrder]:
        ids = [row.id for row in rows]
        lines: dict[str, list[PurchaseLine]] = defaultdict(list)
        for r in await self._rows.read(purchase_order_lines, ids, "line"):
            lines[r.order_id].append(record(PurchaseLine, r))
        receipts: dict[str, list[Receipt]] = defaultdict(list)
        for r in await self._rows.read(purchase_order_receipts, ids, "seq"):
            receipts[r.order_id].append(record(Receipt, r))
        transitions: dict[str, list[Transition]] = defaultdict(list)
        for r in await self._rows.read(purchase_order_transitions, ids, "seq"):
            transitions[r.order_id].append(Transition(PurchaseOrderState(r.state), r.actor, r.at, r.reason))
        return [
            PurchaseOrder(
                id=row.id,
                number=row.number,
                supplier=row.supplier,
                state=PurchaseOrderState(row.state),
                lines=lines[row.id],
                receipts=receipts[row.id],
                transitions=transitions[row.id],
                created_at=row.created_at,
            )
            for row in rows
        ]

    async def on_order(self, sku: str, warehouse: str) -> Decimal:
        open_lines = await self._session.execute(
            select(purchase_order_lines.c.base_quantity, purchase_order_lines.c.received)
            .join(purchase_orders, purchase_orders.c.id == purchase_order_lines.c.order_id)
            .where(
                purchase_order_lines.c.item_sku == sku,
                purchase_order_lines.c.warehouse == warehouse,
                purchase_orders.c.state.in_([str(s) for s in OPEN_STATES]),
            )
        )
        # A line received beyond its quantity brings nothing more, and takes nothing from the others.
        return sum((max(Decimal(0), ordered - received) for ordered, received in open_lines), Decimal(0))

    async def inspected_on_receipt(self, skus: Collection[str]) -> set[str]:
        found = await self._session.scalars(
            select(items.c.sku).where(items.c.sku.in_(list(skus)), items.c.inspect_on_receipt.is_(True))
        )
        return set(found)

    async def source(self, sku: str) -> Source | None:
        row = (
            await self._session.execute(
                select(suppliers.c.code, supplier_items.c.pack_size)
                .join(suppliers, suppliers.c.id == supplier_items.c.supplier_id)
                .where(supplier_items.c.item_sku == sku)
                .order_by(supplier_items.c.lead_time_days, suppliers.c.code)
                .limit(1)
            )
        ).first()
        return None if row is None else Source(row.code, row.pack_size)

    # purchase suggestions

    async def open_suggestion(self, sku: str, warehouse: str) -> Suggestion | None:
        row = (
            await self._session.execute(
                select(purchase_suggestions).where(
                    purchase_suggestions.c.item_sku == sku,
                    purchase_suggestions.c.warehouse == warehouse,
                    purchase_suggestions.c.state == str(SuggestionState.OPEN),
                )
            )
        ).first()
        return None if row is None else _suggestion(row)

    async def suggestion(self, id: str, lock: bool = False) -> Suggestion | None:
        query = select(purchase_suggestions).where(purchase_suggestions.c.id == id)
        row = (await self._session.execute(query.with_for_update() if lock else query)).first()
        return None if row is None else _suggestion(row)

    async def suggestions_by_id(self, ids: Sequence[str]) -> list[Suggestion]:
        query = select(purchase_suggestions).where(purchase_suggestions.c.id.in_(list(ids)))
        return [_suggestion(row) for row in await self._session.execute(query)]

    async def list_suggestions(
        self, state: SuggestionState | None, warehouse: str, supplier: str, page: PageQuery
    ) -> list[Suggestion]:
        query = select(purchase_suggestions)
        if state is not None:
            query = query.where(purchase_suggestions.c.state == str(state))
        if warehouse:
            query = query.where(purchase_suggestions.c.warehouse == warehouse)
        if supplier:
            query = query.where(purchase_suggestions.c.supplier == supplier)
        order_by = [purchase_suggestions.c.created_at, purchase_suggestions.c.id]
        return [_suggestion(row) for row in await self._session.execute(keyset(query, order_by, page))]

    async def add_suggestion(self, suggestion: Suggestion) -> None:
        await self._session.execute(insert(purchase_suggestions).values(**_suggestion_row(suggestion)))

    async def save_suggestion(self, suggestion: Suggestion) -> None:
        await self._session.execute(
            update(purchase_suggestions)
            .where(purchase_suggestions.c.id == suggestion.id)
            .values(**_suggestion_row(suggestion))
        )


def _line_row(order_id: str, line: PurchaseLine) -> dict[str, Any]:
    return {"order_id": order_id, **dataclasses.asdict(line)}


def _receipt_row(r: Receipt) -> dict[str, Any]:
    return dataclasses.asdict(r)


def _transition_row(t: Transition) -> dict[str, Any]:
    return {"state": str(t.state), "actor": t.actor, "at": t.at, "reason": t.reason}


def _suggestion_row(s: Suggestion) -> dict[str, Any]:
    return {
        "id": s.id,
        "item_sku": s.item_sku,
        "warehouse": s.warehouse,
        "quantity": s.quantity,
        "base_unit": s.base_unit,
        "supplier": s.supplier,
        "pack_size": s.pack_size,
        "available_to_promise": s.figures.available_to_promise,
        "on_order": s.on_order,
        "safety_stock": s.figures.safety_stock,
        "max_stock": s.figures.max_stock,
        "state": str(s.state),
        "created_at": s.created_at,
        "cause": s.cause,
        "purchase_order": s.purchase_order,
        "reason": s.reason,
        "decided_by": s.decided_by,
        "decided_at": s.decided_at,
    }


def _suggestion(row: Row[Any]) -> Suggestion:
    return Suggestion(
        id=row.id,
        item_sku=row.item_sku,
        warehouse=row.warehouse,
        quantity=row.quantity,
        base_unit=row.base_unit,
        supplier=row.supplier,
        pack_size=row.pack_size,
        figures=PlaceFigures(row.available_to_promise, row.safety_stock, row.max_stock),
        on_order=row.on_order,
        state=SuggestionState(row.state),
        created_at=row.created_at,
        cause=row.cause,
        purchase_order=row.purchase_order,
        reason=row.reason,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
    )
