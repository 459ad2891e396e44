"""SQL for work orders: a part of SqlOrdersRepository (adapters.repository), kept apart."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from invariant_core.db import insert_rows
from invariant_core.paging import PageQuery, keyset
from orders.adapters.rows import OrderRows, record
from orders.adapters.tables import items
from orders.adapters.work_tables import (
    issue_tolerances,
    work_order_claims,
    work_order_components,
    work_order_over_issues,
    work_order_postings,
    work_order_transitions,
    work_orders,
)
from orders.domain.work_orders import (
    Component,
    OverIssueRequest,
    OverIssueState,
    Posting,
    PostingKind,
    ReworkSource,
    Transition,
    WorkOrder,
    WorkOrderKind,
    WorkOrderState,
)
from orders.service.ports import ProductionFacts


class SqlWorkOrders:
    _session: AsyncSession
    _rows: OrderRows

    async def issue_tolerances(self, skus: Collection[str]) -> dict[str, Decimal]:
        found = await self._session.execute(select(issue_tolerances).where(issue_tolerances.c.item_sku.in_(list(skus))))
        return {row.item_sku: row.percent for row in found}

    async def set_issue_tolerance(self, sku: str, percent: Decimal) -> None:
        await self._session.execute(delete(issue_tolerances).where(issue_tolerances.c.item_sku == sku))
        await self._session.execute(insert(issue_tolerances).values(item_sku=sku, percent=percent))

    async def production_facts(self, skus: Collection[str]) -> dict[str, ProductionFacts]:
        found = await self._session.execute(
            select(items.c.sku, items.c.standard_cost, items.c.inspect_on_production).where(items.c.sku.in_(list(skus)))
        )
        return {row.sku: ProductionFacts(row.standard_cost, row.inspect_on_production) for row in found}

    async def claimed(self, order_id: str, since: datetime) -> dict[str, Decimal]:
        found = await self._session.execute(
            select(work_order_claims.c.item_sku, func.sum(work_order_claims.c.quantity))
            .where(work_order_claims.c.order_id == order_id, work_order_claims.c.created_at >= since)
            .group_by(work_order_claims.c.item_sku)
        )
        return {sku: Decimal(total) for sku, total in found}

    async def has_claim(self, key: str) -> bool:
        return (await self._session.scalar(select(func.count()).where(work_order_claims.c.key == key))) != 0

    async def add_claim(self, order_id: str, key: str, quantities: Mapping[str, Decimal], now: datetime) -> None:
        await insert_rows(
            self._session,
            work_order_claims,
            [
                {"key": key, "item_sku": sku, "order_id": order_id, "quantity": quantity, "created_at": now}
                for sku, quantity in quantities.items()
            ],
        )

    async def drop_claim(self, key: str) -> None:
        await self._session.execute(delete(work_order_claims).where(work_order_claims.c.key == key))

    async def work_order(self, number: str, lock: bool = False) -> WorkOrder | None:
        return await self._one_work_order(work_orders.c.number == number, lock)

    async def work_order_by_id(self, order_id: str, lock: bool = False) -> WorkOrder | None:
        return await self._one_work_order(work_orders.c.id == order_id, lock)

    async def _one_work_order(self, where: Any, lock: bool) -> WorkOrder | None:
        query = select(work_orders).where(where)
        row = (await self._session.execute(query.with_for_update() if lock else query)).first()
        return None if row is None else (await self._work_orders([row]))[0]

    async def work_orders(self, numbers: Sequence[str]) -> list[WorkOrder]:
        rows = (await self._session.execute(select(work_orders).where(work_orders.c.number.in_(list(numbers))))).all()
        return await self._work_orders(rows)

    async def list_work_orders(self, state: WorkOrderState | None, page: PageQuery) -> list[WorkOrder]:
        query = select(work_orders)
        if state is not None:
            query = query.where(work_orders.c.state == str(state))
        rows = (await self._session.execute(keyset(query, [work_orders.c.number], page))).all()
        return await self._work_orders(rows)

    async def add_work_order(self, order: WorkOrder) -> None:
        await self._session.execute(insert(work_orders).values(id=order.id, **_order_values(order)))
        await self._save_children(order)

    async def save_work_order(self, order: WorkOrder) -> None:
        await self._session.execute(
            update(work_orders).where(work_orders.c.id == order.id).values(**_order_values(order))
        )
        await self._save_children(order)

    async def _save_children(self, order: WorkOrder) -> None:
        """Components and over-issue requests rewritten whole (an order has a few); postings and
        transitions only ever grow, so only the new ones are added."""
        for table in (work_order_components, work_order_over_issues):
            await self._session.execute(delete(table).where(table.c.order_id == order.id))
        await insert_rows(
            self._session,
            work_order_components,
            [_component_row(order.id, seq, c) for seq, c in enumerate(order.components)],
        )
        await insert_rows(
            self._session,
            work_order_over_issues,
            [{"order_id": order.id, **_over_issue_row(r)} for r in order.over_issues],
        )
        await self._rows.append(work_order_postings, {order.id: [_posting_row(p) for p in order.postings]})
        await self._rows.append(
            work_order_transitions,
            {
                order.id: [
                    {"state": str(t.state), "actor": t.actor, "at": t.at, "reason": t.reason} for t in order.transitions
                ]
            },
        )

    async def _work_orders(self, rows: Sequence[Row[Any]]) -> list[WorkOrder]:
        ids = [row.id for row in rows]
        components = await self._components(ids)
        over_issues = await self._over_issues(ids)
        postings: dict[str, list[Posting]] = defaultdict(list)
        for p in await self._rows.read(work_order_postings, ids, "seq"):
            movements = tuple(m for m in p.movement_ids.split(",") if m)
            postings[p.order_id].append(
                Posting(PostingKind(p.kind), p.item_sku, p.quantity, p.location, p.lot, movements, p.actor, p.at)
            )
        transitions: dict[str, list[Transition]] = defaultdict(list)
        for t in await self._rows.read(work_order_transitions, ids, "seq"):
            transitions[t.order_id].append(Transition(WorkOrderState(t.state), t.actor, t.at, t.reason))
        return [
            record(
                WorkOrder,
                row,
                state=WorkOrderState(row.state),
                kind=WorkOrderKind(row.kind),
                rework=_rework(row),
                transitions=transitions[row.id],
                components=components[row.id],
                over_issues=over_issues[row.id],
                postings=postings[row.id],
            )
            for row in rows
        ]

    async def _components(self, ids: Sequence[str]) -> dict[str, list[Component]]:
        components: dict[str, list[Component]] = defaultdict(list)
        for c in await self._rows.read(work_order_components, ids, "seq"):
            components[c.order_id].append(
                Component(
                    item_sku=c.item_sku,
                    base_unit=c.base_unit,
                    required=c.required,
                    has_bom=c.has_bom,
                    tolerance_percent=c.tolerance_percent,
                    reservation_id=c.reservation_id,
                    reserved=c.reserved,
                    shortfall=c.shortfall,
                    issued=c.issued,
                    returned=c.returned,
                    over_issued=c.over_issued,
                    still_reserved=c.still_reserved,
                    standard=c.standard,
                    standard_cost=c.standard_cost,
                )
            )
        return components

    async def _over_issues(self, ids: Sequence[str]) -> dict[str, list[OverIssueRequest]]:
        over_issues: dict[str, list[OverIssueRequest]] = defaultdict(list)
        for r in await self._rows.read(work_order_over_issues, ids, "number"):
            over_issues[r.order_id].append(
                OverIssueRequest(
                    number=r.number,
                    item_sku=r.item_sku,
                    quantity=r.quantity,
                    reason=r.reason,
                    state=OverIssueState(r.state),
                    requested_by=r.requested_by,
                    requested_at=r.requested_at,
                    decided_by=r.decided_by,
                    decided_at=r.decided_at,
                    decision_reason=r.decision_reason,
                )
            )
        return over_issues


def _rework(row: Row[Any]) -> ReworkSource | None:
    if row.rework_document_id is None:
        return None
    return ReworkSource(
        row.rework_document_type, row.rework_document_id, row.rework_document_line, row.rework_location, row.rework_lot
    )


def _order_values(order: WorkOrder) -> dict[str, Any]:
    rework = order.rework
    return {
        "number": order.number,
        "item_sku": order.item_sku,
        "quantity": order.quantity,
        "unit": order.unit,
        "base_quantity": order.base_quantity,
        "base_unit": order.base_unit,
        "warehouse": order.warehouse,
        "due_date": order.due_date,
        "state": str(order.state),
        "kind": str(order.kind),
        "rework_document_type": None if rework is None else rework.document_type,
        "rework_document_id": None if rework is None else rework.document_id,
        "rework_document_line": None if rework is None else rework.document_line,
        "rework_location": None if rework is None else rework.location,
        "rework_lot": None if rework is None else rework.lot,
        "bom_id": order.bom_id,
        "bom_version": order.bom_version,
        "released_on": order.released_on,
        "completed": order.completed,
        "created_at": order.created_at,
    }


def _component_row(order_id: str, seq: int, c: Component) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "item_sku": c.item_sku,
        "seq": seq,
        "base_unit": c.base_unit,
        "required": c.required,
        "has_bom": c.has_bom,
        "tolerance_percent": c.tolerance_percent,
        "reservation_id": c.reservation_id,
        "reserved": c.reserved,
        "shortfall": c.shortfall,
        "issued": c.issued,
        "returned": c.returned,
        "over_issued": c.over_issued,
        "still_reserved": c.still_reserved,
        "standard": c.standard,
        "standard_cost": c.standard_cost,
    }


def _over_issue_row(r: OverIssueRequest) -> dict[str, Any]:
    return {
        "number": r.number,
        "item_sku": r.item_sku,
        "quantity": r.quantity,
        "reason": r.reason,
        "state": str(r.state),
        "requested_by": r.requested_by,
        "requested_at": r.requested_at,
        "decided_by": r.decided_by,
        "decided_at": r.decided_at,
        "decision_reason": r.decision_reason,
    }


def _posting_row(p: Posting) -> dict[str, Any]:
    return {
        "kind": str(p.kind),
        "item_sku": p.item_sku,
        "quantity": p.quantity,
        "location": p.location,
        "lot": p.lot,
        "movement_ids": ",".join(p.movement_ids),
        "actor": p.actor,
        "at": p.at,
    }
