"""Loads and stores catalog aggregates; the only code that knows the tables."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.adapters.tables import audit, barcodes, bom_lines, bom_versions, item_units, items, thresholds
from catalog.domain.boms import BomLine, BomState, BomVersion
from catalog.domain.items import Barcode, FieldChange, Item, ItemStatus, Thresholds
from catalog.service.ports import AuditEntry
from invariant_core import identity
from invariant_core.paging import PageQuery, keyset


class SqlCatalogRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # items

    async def get_item(self, sku: str, lock: bool = False) -> Item | None:
        """`lock`: hold the item's row, so that changes to it are made one after another."""
        found = await self.items_by_sku([sku], lock)
        return found.get(sku)

    async def get_item_by_id(self, item_id: str) -> Item | None:
        sku = await self.session.scalar(select(items.c.sku).where(items.c.id == item_id))
        return None if sku is None else await self.get_item(sku)

    async def items_by_id(self, item_ids: Sequence[str]) -> list[Item]:
        skus = list(await self.session.scalars(select(items.c.sku).where(items.c.id.in_(list(item_ids)))))
        return list((await self.items_by_sku(skus)).values())

    async def get_item_by_barcode(self, code: str) -> Item | None:
        sku = await self.session.scalar(
            select(items.c.sku).join(barcodes, barcodes.c.item_id == items.c.id).where(barcodes.c.code == code)
        )
        return None if sku is None else await self.get_item(sku)

    async def barcode_owners(self, codes: Iterable[str]) -> dict[str, str]:
        rows = await self.session.execute(
            select(barcodes.c.code, items.c.sku)
            .join(items, barcodes.c.item_id == items.c.id)
            .where(barcodes.c.code.in_(list(codes)))
        )
        return {code: sku for code, sku in rows}

    async def search_items(self, prefix: str, page: PageQuery) -> list[Item]:
        query = select(items.c.sku)
        if prefix:
            folded = prefix.upper()
            # Escaped: a prefix of "%" or "_" names those characters, not every item.
            query = query.where(
                or_(
                    items.c.sku.startswith(folded, autoescape=True),
                    items.c.name_folded.startswith(folded, autoescape=True),
                )
            )
        skus = list(await self.session.scalars(keyset(query, [items.c.sku], page)))
        found = await self.items_by_sku(skus)
        return [found[s] for s in skus]

    async def items_by_sku(self, skus: Sequence[str], lock: bool = False) -> dict[str, Item]:
        if not skus:
            return {}
        query = select(items).where(items.c.sku.in_(list(skus)))
        if lock:
            query = query.with_for_update()
        rows = (await self.session.execute(query)).all()
        ids = [r.id for r in rows]
        units: dict[str, dict[str, object]] = defaultdict(dict)
        for r in await self.session.execute(
            select(item_units).where(item_units.c.item_id.in_(ids)).order_by(item_units.c.position)
        ):
            units[r.item_id][r.unit] = r.factor
        codes: dict[str, list[Barcode]] = defaultdict(list)
        for r in await self.session.execute(
            select(barcodes).where(barcodes.c.item_id.in_(ids)).order_by(barcodes.c.position)
        ):
            codes[r.item_id].append(Barcode(r.code, r.symbology))
        limits: dict[str, dict[str, Thresholds]] = defaultdict(dict)
        for r in await self.session.execute(
            select(thresholds).where(thresholds.c.item_id.in_(ids)).order_by(thresholds.c.warehouse)
        ):
            limits[r.item_id][r.warehouse] = Thresholds(r.warehouse, r.safety_stock, r.max_stock)
        return {
            r.sku: Item(
                id=r.id,
                sku=r.sku,
                name=r.name,
                base_unit=r.base_unit,
                units=dict(units[r.id]),  # type: ignore[arg-type]
                barcodes=codes[r.id],
                standard_cost=r.standard_cost,
                lot_tracked=r.lot_tracked,
                inspect_on_receipt=r.inspect_on_receipt,
                inspect_on_production=r.inspect_on_production,
                status=ItemStatus(r.status),
                thresholds=limits[r.id],
                updated_at=r.updated_at,
                version=r.version,
            )
            for r in rows
        }

    async def add_item(self, item: Item) -> None:
        await self.session.execute(insert(items).values(**self._item_row(item)))
        await self._write_children(item)

    async def save_item(self, item: Item) -> None:
        await self.session.execute(update(items).where(items.c.id == item.id).values(**self._item_row(item)))
        for table in (item_units, barcodes, thresholds):
            await self.session.execute(delete(table).where(table.c.item_id == item.id))
        await self._write_children(item)

    @staticmethod
    def _item_row(item: Item) -> dict[str, object]:
        return {
            "id": item.id,
            "sku": item.sku,
            "name": item.name,
            "name_folded": item.name.upper(),
            "base_unit": item.base_unit,
            "standard_cost": item.standard_cost,
            "lot_tracked": item.lot_tracked,
            "inspect_on_receipt": item.inspect_on_receipt,
            "inspect_on_production": item.inspect_on_production,
            "status": str(item.status),
            "updated_at": item.updated_at,
            "version": item.version,
        }

    async def _write_children(self, item: Item) -> None:
        if item.units:
            await self.session.execute(
                insert(item_units),
                [
                    {"item_id": item.id, "unit": u, "factor": f, "position": i}
                    for i, (u, f) in enumerate(item.units.items())
                ],
            )
        if item.barcodes:
            await self.session.execute(
                insert(barcodes),
                [
                    {"item_id": item.id, "code": b.code, "symbology": b.symbology, "position": i}
                    for i, b in enumerate(item.barcodes)
                ],
            )
        if item.thresholds:
            await self.session.execute(
                insert(thresholds),
                [
                    {
                        "item_id": item.id,
                        "warehouse": t.warehouse,
                        "safety_stock": t.safety_stock,
                        "max_stock": t.max_stock,
                    }
                    for t in item.thresholds.values()
                ],
            )

    # BOMs

    async def get_bom(self, bom_id: str) -> BomVersion | None:
        found = await self._boms(bom_versions.c.id == bom_id)
        return found[0] if found else None

    async def boms_of(self, parent_sku: str) -> list[BomVersion]:
        return await self._boms(bom_versions.c.parent_sku == parent_sku)

    async def list_boms(self, parent_sku: str, page: PageQuery) -> list[BomVersion]:
        return await self._boms(bom_versions.c.parent_sku == parent_sku, page=page)

    async def boms_by_id(self, bom_ids: Sequence[str]) -> list[BomVersion]:
        return await self._boms(bom_versions.c.id.in_(list(bom_ids)))

    async def bom_lines_by_id(self, line_ids: Sequence[str]) -> list[BomLine]:
        rows = await self.session.execute(select(bom_lines).where(bom_lines.c.id.in_(list(line_ids))))
        return [_line(r) for r in rows]

    async def released_boms(self, parent_skus: Sequence[str]) -> list[BomVersion]:
        """Every version but drafts: active, replaced or obsolete, each with its dates in effect."""
        return await self._boms(
            bom_versions.c.parent_sku.in_(list(parent_skus)), bom_versions.c.state != str(BomState.DRAFT)
        )

    async def next_bom_version(self, parent_sku: str) -> int:
        latest = await self.session.scalar(
            select(func.max(bom_versions.c.version)).where(bom_versions.c.parent_sku == parent_sku)
        )
        return (latest or 0) + 1

    async def bom_edges(self) -> list[tuple[str, str, str, str]]:
        """(parent_sku, component_sku, bom_id, state) of every draft and active version."""
        rows = await self.session.execute(
            select(bom_versions.c.parent_sku, bom_lines.c.component_sku, bom_versions.c.id, bom_versions.c.state)
            .join(bom_lines, bom_lines.c.bom_id == bom_versions.c.id)
            .where(bom_versions.c.state != str(BomState.OBSOLETE))
            .order_by(bom_versions.c.parent_sku, bom_lines.c.position)
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    async def add_bom(self, bom: BomVersion) -> None:
        await self.session.execute(insert(bom_versions).values(**self._bom_row(bom)))
        await self._write_lines(bom)

    async def save_bom(self, bom: BomVersion) -> None:
        await self.session.execute(update(bom_versions).where(bom_versions.c.id == bom.id).values(**self._bom_row(bom)))
        await self.session.execute(delete(bom_lines).where(bom_lines.c.bom_id == bom.id))
        await self._write_lines(bom)

    async def _boms(self, *conditions: object, page: PageQuery | None = None) -> list[BomVersion]:
        query = select(bom_versions).where(*conditions)  # type: ignore[arg-type]
        if page is None:
            query = query.order_by(bom_versions.c.parent_sku, bom_versions.c.version)
        else:
            query = keyset(query, [bom_versions.c.version], page)
        rows = (await self.session.execute(query)).all()
        lines: dict[str, list[BomLine]] = defaultdict(list)
        for r in await self.session.execute(
            select(bom_lines).where(bom_lines.c.bom_id.in_([b.id for b in rows])).order_by(bom_lines.c.position)
        ):
            lines[r.bom_id].append(_line(r))
        return [
            BomVersion(
                id=r.id,
                parent_sku=r.parent_sku,
                version=r.version,
                state=BomState(r.state),
                effective_from=r.effective_from,
                effective_to=r.effective_to,
                lines=lines[r.id],
                updated_at=r.updated_at,
            )
            for r in rows
        ]

    @staticmethod
    def _bom_row(bom: BomVersion) -> dict[str, object]:
        return {
            "id": bom.id,
            "parent_sku": bom.parent_sku,
            "version": bom.version,
            "state": str(bom.state),
            "effective_from": bom.effective_from,
            "effective_to": bom.effective_to,
            "updated_at": bom.updated_at,
        }

    async def _write_lines(self, bom: BomVersion) -> None:
        if bom.lines:
            await self.session.execute(
                insert(bom_lines),
                [
                    {
                        "id": line.id,
                        "bom_id": bom.id,
                        "position": i,
                        "component_sku": line.component_sku,
                        "quantity": line.quantity,
                        "unit": line.unit,
                        "scrap_percent": line.scrap_percent,
                    }
                    for i, line in enumerate(bom.lines)
                ],
            )

    # audit

    async def record_audit(
        self, sku: str, entity: str, entity_id: str, action: str, changes: Sequence[FieldChange], at: datetime
    ) -> None:
        who = identity.current.get()
        await self.session.execute(
            insert(audit).values(
                id=str(uuid.uuid4()),
                sku=sku,
                entity=entity,
                entity_id=entity_id,
                action=action,
                actor=who.actor,
                at=at,
                changes=json.dumps([[c.field, c.before, c.after] for c in changes]),
                correlation_id=who.correlation_id,
            )
        )

    async def list_audit(self, sku: str, page: PageQuery) -> list[AuditEntry]:
        return await self._audit(keyset(select(audit).where(audit.c.sku == sku), [audit.c.seq], page))

    async def audit_by_id(self, entry_ids: Sequence[str]) -> list[AuditEntry]:
        return await self._audit(select(audit).where(audit.c.id.in_(list(entry_ids))))

    async def _audit(self, query: Select[Any]) -> list[AuditEntry]:
        rows = await self.session.execute(query)
        return [
            AuditEntry(
                seq=r.seq,
                id=r.id,
                entity=r.entity,
                entity_id=r.entity_id,
                action=r.action,
                actor=r.actor,
                at=r.at,
                changes=[FieldChange(f, b, a) for f, b, a in json.loads(r.changes)],
                correlation_id=r.correlation_id,
            )
            for r in rows
        ]


def _line(row: Row[Any]) -> BomLine:
    return BomLine(row.id, row.component_sku, row.quantity, row.unit, row.scrap_percent)
