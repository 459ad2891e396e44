"""The catalog's storage in memory, for the handlers' unit tests.

FakeCatalogRepository answers as SqlCatalogRepository (catalog.adapters.repository) does
and refuses what the tables' keys refuse (catalog.adapters.tables). Items and BOM versions
are copied in and out, without their events, as rows would hold them: a handler's change
is stored only when it saves it.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from typing import TypeVar

from catalog.domain import commands
from catalog.domain.boms import BomLine, BomState, BomVersion
from catalog.domain.items import FieldChange, Item
from catalog.service import handlers
from catalog.service.ports import AuditEntry, CatalogRepository
from invariant_core import identity
from invariant_core.paging import PageQuery
from invariant_core.testing import ConstraintViolation, FakeService, paged

Row = TypeVar("Row", Item, BomVersion)


class FakeCatalogRepository(CatalogRepository):
    def __init__(self) -> None:
        # By SKU.
        self.items: dict[str, Item] = {}
        # By id.
        self.boms: dict[str, BomVersion] = {}
        # Each entry with the SKU it is kept under, in sequence order.
        self.audit: list[tuple[str, AuditEntry]] = []

    # items

    async def get_item(self, sku: str, lock: bool = False) -> Item | None:
        found = self.items.get(sku)
        return None if found is None else _copied(found)

    async def get_item_by_id(self, item_id: str) -> Item | None:
        return next((_copied(item) for item in self.items.values() if item.id == item_id), None)

    async def items_by_id(self, item_ids: Sequence[str]) -> list[Item]:
        return [_copied(item) for item in self.items.values() if item.id in item_ids]

    async def get_item_by_barcode(self, code: str) -> Item | None:
        sku = (await self.barcode_owners([code])).get(code)
        return None if sku is None else await self.get_item(sku)

    async def barcode_owners(self, codes: Iterable[str]) -> dict[str, str]:
        wanted = set(codes)
        return {b.code: item.sku for item in self.items.values() for b in item.barcodes if b.code in wanted}

    async def search_items(self, prefix: str, page: PageQuery) -> list[Item]:
        folded = prefix.upper()
        found = [
            item for sku, item in self.items.items() if sku.startswith(folded) or item.name.upper().startswith(folded)
        ]
        return [_copied(item) for item in paged(found, lambda item: (item.sku,), page)]

    async def items_by_sku(self, skus: Sequence[str]) -> dict[str, Item]:
        return {sku: _copied(self.items[sku]) for sku in skus if sku in self.items}

    async def add_item(self, item: Item) -> None:
        if item.sku in self.items or any(kept.id == item.id for kept in self.items.values()):
            raise ConstraintViolation(f"item {item.sku} ({item.id}) exists already")
        self._check_item(item)
        self.items[item.sku] = _copied(item)

    async def save_item(self, item: Item) -> None:
        if any(kept.id == item.id for kept in self.items.values()):
            self._check_item(item)
            self.items[item.sku] = _copied(item)

    def _check_item(self, item: Item) -> None:
        if item.updated_at is None:
            raise ConstraintViolation(f"item {item.sku} has no updated_at")
        owners = {b.code for kept in self.items.values() if kept.id != item.id for b in kept.barcodes}
        taken = [b.code for b in item.barcodes if b.code in owners]
        if taken:
            raise ConstraintViolation(f"barcodes {taken} belong to other items")

    # BOMs

    async def get_bom(self, bom_id: str) -> BomVersion | None:
        found = self.boms.get(bom_id)
        return None if found is None else _copied(found)

    async def boms_of(self, parent_sku: str) -> list[BomVersion]:
        return self._boms(lambda bom: bom.parent_sku == parent_sku)

    async def list_boms(self, parent_sku: str, page: PageQuery) -> list[BomVersion]:
        return paged(self._boms(lambda bom: bom.parent_sku == parent_sku), lambda bom: (bom.version,), page)

    async def boms_by_id(self, bom_ids: Sequence[str]) -> list[BomVersion]:
        return self._boms(lambda bom: bom.id in bom_ids)

    async def bom_lines_by_id(self, line_ids: Sequence[str]) -> list[BomLine]:
        return [line for bom in self.boms.values() for line in bom.lines if line.id in line_ids]

    async def released_boms(self, parent_skus: Sequence[str]) -> list[BomVersion]:
        return self._boms(lambda bom: bom.parent_sku in parent_skus and bom.state is not BomState.DRAFT)

    def _boms(self, wanted: Callable[[BomVersion], bool]) -> list[BomVersion]:
        found = [_copied(bom) for bom in self.boms.values() if wanted(bom)]
        return sorted(found, key=lambda bom: (bom.parent_sku, bom.version))

    async def next_bom_version(self, parent_sku: str) -> int:
        return max((bom.version for bom in self.boms.values() if bom.parent_sku == parent_sku), default=0) + 1

    async def bom_edges(self) -> list[tuple[str, str, str, str]]:
        """(parent_sku, component_sku, bom_id, state) of every draft and active version."""
        edges = [
            (bom.parent_sku, position, line.component_sku, bom.id, str(bom.state))
            for bom in self.boms.values()
            if bom.state is not BomState.OBSOLETE
            for position, line in enumerate(bom.lines)
        ]
        edges.sort(key=lambda edge: (edge[0], edge[1]))
        return [(parent, component, bom_id, state) for parent, _, component, bom_id, state in edges]

    async def add_bom(self, bom: BomVersion) -> None:
        if bom.id in self.boms or any(
            (kept.parent_sku, kept.version) == (bom.parent_sku, bom.version) for kept in self.boms.values()
        ):
            raise ConstraintViolation(f"BOM {bom.id}, version {bom.version} of {bom.parent_sku}, exists already")
        self._check_bom(bom)
        self.boms[bom.id] = _copied(bom)

    async def save_bom(self, bom: BomVersion) -> None:
        if bom.id in self.boms:
            self._check_bom(bom)
            self.boms[bom.id] = _copied(bom)

    def _check_bom(self, bom: BomVersion) -> None:
        components = [line.component_sku for line in bom.lines]
        if bom.updated_at is None or bom.parent_sku not in self.items:
            raise ConstraintViolation(f"BOM {bom.id} has no updated_at or no parent item")
        if len(set(components)) < len(components) or not set(components) <= self.items.keys():
            raise ConstraintViolation(f"BOM {bom.id} lists a component twice or one that is no item")

    # audit

    async def record_audit(
        self, sku: str, entity: str, entity_id: str, action: str, changes: Sequence[FieldChange], at: datetime
    ) -> None:
        who = identity.current.get()
        entry = AuditEntry(
            seq=len(self.audit) + 1,
            id=str(uuid.uuid4()),
            entity=entity,
            entity_id=entity_id,
            action=action,
            actor=who.actor,
            at=at,
            changes=list(changes),
            correlation_id=who.correlation_id,
        )
        self.audit.append((sku, entry))

    async def list_audit(self, sku: str, page: PageQuery) -> list[AuditEntry]:
        return paged((entry for of, entry in self.audit if of == sku), lambda entry: (entry.seq,), page)

    async def audit_by_id(self, entry_ids: Sequence[str]) -> list[AuditEntry]:
        return [entry for _, entry in self.audit if entry.id in entry_ids]


def _copied(row: Row) -> Row:
    """What a row holds of an aggregate: all its state, none of its events."""
    clone = copy.deepcopy(row)
    clone.events.clear()
    return clone


CatalogService = FakeService[FakeCatalogRepository]
# Something a user tries on the catalog: a command run by its handler, or a query.
Attempt = Callable[[CatalogService], Awaitable[object]]
Query = Callable[[FakeCatalogRepository], Awaitable[object]]


def new_catalog() -> CatalogService:
    return FakeService(FakeCatalogRepository())


async def add_item(
    catalog: CatalogService,
    sku: str,
    *,
    name: str = "",
    base_unit: str = "EA",
    units: Sequence[tuple[str, str]] = (),
    barcodes: Sequence[tuple[str, str]] = (),
) -> Item:
    """An item created as a user creates one: through the handler, in a transaction of its own."""
    return await catalog.run(
        handlers.create_item,
        commands.CreateItem(
            sku=sku,
            name=name or sku.strip().title(),
            base_unit=base_unit,
            units=units,
            barcodes=barcodes,
            standard_cost="1.50",
            lot_tracked=False,
            inspect_on_receipt=False,
            inspect_on_production=False,
        ),
    )
