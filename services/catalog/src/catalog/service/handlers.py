"""Catalog commands and queries. A command runs in one transaction that the dispatcher
opens and commits (`COMMANDS`, invariant_core.commands); handlers never commit."""

from __future__ import annotations

import dataclasses
import uuid
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from catalog.domain import commands
from catalog.domain.boms import BomLine, BomVersion, Explosion, Usage, effective, explode, where_used
from catalog.domain.items import FieldChange, Item
from catalog.service.ports import AuditEntry, CatalogRepository
from invariant_core.commands import Route
from invariant_core.db import Recorder, utcnow
from invariant_core.paging import PageQuery, at_most_a_page
from invariant_kernel.decimals import parse_decimal
from invariant_kernel.errors import DomainError, ErrorCode, not_found


async def create_item(uow: Recorder, repo: CatalogRepository, cmd: commands.CreateItem) -> Item:
    item = Item.create(
        id=str(uuid.uuid4()),
        sku=cmd.sku,
        name=cmd.name,
        base_unit=cmd.base_unit,
        units=cmd.units,
        barcodes=cmd.barcodes,
        standard_cost=cmd.standard_cost,
        lot_tracked=cmd.lot_tracked,
        inspect_on_receipt=cmd.inspect_on_receipt,
        inspect_on_production=cmd.inspect_on_production,
    )
    if await repo.get_item(item.sku) is not None:
        raise DomainError(ErrorCode.ALREADY_EXISTS, f"SKU {item.sku} already exists", "sku")
    await _refuse_taken_barcodes(repo, item)
    item.updated_at = utcnow()
    await repo.add_item(item)
    created = [FieldChange(field, None, value) for field, value in item.snapshot().items()]
    await repo.record_audit(item.sku, "ITEM", item.id, "CREATED", created, item.updated_at)
    uow.track(item)
    return item


async def update_item(uow: Recorder, repo: CatalogRepository, cmd: commands.UpdateItem) -> Item:
    item = await _item(repo, cmd.sku, "sku", lock=True)
    changes = item.update(
        name=cmd.name,
        standard_cost=cmd.standard_cost,
        lot_tracked=cmd.lot_tracked,
        inspect_on_receipt=cmd.inspect_on_receipt,
        inspect_on_production=cmd.inspect_on_production,
        status=cmd.status,
        units=cmd.units,
        barcodes=cmd.barcodes,
    )
    if changes:
        await _refuse_taken_barcodes(repo, item)
        item.updated_at = utcnow()
        await repo.save_item(item)
        await repo.record_audit(item.sku, "ITEM", item.id, "UPDATED", changes, item.updated_at)
        uow.track(item)
    return item


async def set_thresholds(uow: Recorder, repo: CatalogRepository, cmd: commands.SetThresholds) -> Item:
    item = await _item(repo, cmd.sku, "sku", lock=True)
    changes = item.set_thresholds(cmd.warehouse, cmd.safety_stock, cmd.max_stock)
    if changes:
        item.updated_at = utcnow()
        await repo.save_item(item)
        entity_id = f"{item.id}/{cmd.warehouse.strip().upper()}"
        await repo.record_audit(item.sku, "THRESHOLDS", entity_id, "UPDATED", changes, item.updated_at)
        uow.track(item)
    return item


async def create_bom_version(uow: Recorder, repo: CatalogRepository, cmd: commands.CreateBomVersion) -> BomVersion:
    parent = await _item(repo, cmd.parent_sku, "parent_sku")
    lines: list[BomLine] = []
    if cmd.copy_from_bom_id:
        source = await _bom(repo, cmd.copy_from_bom_id, "copy_from_bom_id")
        if source.parent_sku != parent.sku:
            raise DomainError(
                ErrorCode.INVALID_STATE,
                f"BOM {cmd.copy_from_bom_id} belongs to {source.parent_sku}, not {parent.sku}",
                "copy_from_bom_id",
            )
        lines = [dataclasses.replace(line, id=str(uuid.uuid4())) for line in source.lines]
    bom = BomVersion.new_draft(
        id=str(uuid.uuid4()),
        parent_sku=parent.sku,
        version=await repo.next_bom_version(parent.sku),
        effective_from=cmd.effective_from or date.today(),
        effective_to=cmd.effective_to,
        lines=lines,
    )
    bom.updated_at = utcnow()
    await repo.add_bom(bom)
    await _audit_bom(repo, bom, "CREATED", [FieldChange("version", None, bom.version)])
    return bom


async def add_bom_line(uow: Recorder, repo: CatalogRepository, cmd: commands.AddBomLine) -> BomVersion:
    bom = await _bom(repo, cmd.bom_id, "bom_id")
    component = await _item(repo, cmd.component_sku, "component_sku")
    uses: dict[str, set[str]] = defaultdict(set)
    for parent, child, _, _ in await repo.bom_edges():
        uses[parent].add(child)
    line = bom.add_line(str(uuid.uuid4()), component, cmd.quantity, cmd.unit, cmd.scrap_percent, uses=uses)
    await _save_bom(repo, bom, "LINE_ADDED", [FieldChange(f"lines[{component.sku}]", None, line.snapshot())])
    return bom


async def remove_bom_line(uow: Recorder, repo: CatalogRepository, cmd: commands.RemoveBomLine) -> BomVersion:
    bom = await _bom(repo, cmd.bom_id, "bom_id")
    line = bom.remove_line(cmd.line_id)
    await _save_bom(repo, bom, "LINE_REMOVED", [FieldChange(f"lines[{line.component_sku}]", line.snapshot(), None)])
    return bom


async def activate_bom_version(uow: Recorder, repo: CatalogRepository, cmd: commands.ActivateBomVersion) -> BomVersion:
    bom = await _bom(repo, cmd.bom_id, "bom_id")
    previous = next((v for v in await repo.boms_of(bom.parent_sku) if v.state == "ACTIVE"), None)
    bom.activate(previous)
    if previous is not None:
        await _save_bom(repo, previous, "OBSOLETED", [FieldChange("state", "ACTIVE", "OBSOLETE")])
    await _save_bom(repo, bom, "ACTIVATED", [FieldChange("state", "DRAFT", "ACTIVE")])
    uow.track(bom)
    return bom


async def obsolete_bom_version(uow: Recorder, repo: CatalogRepository, cmd: commands.ObsoleteBomVersion) -> BomVersion:
    bom = await _bom(repo, cmd.bom_id, "bom_id")
    before = str(bom.state)
    bom.obsolete(date.today())
    await _save_bom(repo, bom, "OBSOLETED", [FieldChange("state", before, "OBSOLETE")])
    return bom


# The catalog's commands, each run by the dispatcher in a transaction of its own.
COMMANDS: dict[type, Route[CatalogRepository]] = {
    commands.CreateItem: Route(create_item),
    commands.UpdateItem: Route(update_item),
    commands.SetThresholds: Route(set_thresholds),
    commands.CreateBomVersion: Route(create_bom_version),
    commands.AddBomLine: Route(add_bom_line),
    commands.RemoveBomLine: Route(remove_bom_line),
    commands.ActivateBomVersion: Route(activate_bom_version),
    commands.ObsoleteBomVersion: Route(obsolete_bom_version),
}

# queries


async def get_item(repo: CatalogRepository, *, sku: str = "", item_id: str = "") -> Item:
    if item_id:
        item = await repo.get_item_by_id(item_id)
        if item is None:
            raise not_found("item", item_id, "id")
        return item
    return await _item(repo, sku, "sku")


async def get_items(repo: CatalogRepository, *, item_ids: Sequence[str]) -> list[Item]:
    return await repo.items_by_id(at_most_a_page(item_ids, "ids"))


async def get_item_by_barcode(repo: CatalogRepository, *, code: str) -> Item:
    item = await repo.get_item_by_barcode(code.strip())
    if item is None:
        raise not_found("barcode", code, "code")
    return item


async def convert_quantity(
    repo: CatalogRepository, *, sku: str, quantity: str, from_unit: str, to_unit: str
) -> tuple[Decimal, str]:
    item = await _item(repo, sku, "sku")
    amount = parse_decimal(quantity, "quantity")
    target = to_unit.strip().upper() or item.base_unit
    return item.convert(amount, from_unit.strip().upper() or item.base_unit, target), target


async def get_bom_version(repo: CatalogRepository, *, bom_id: str) -> BomVersion:
    return await _bom(repo, bom_id, "bom_id")


async def get_bom_versions(repo: CatalogRepository, *, bom_ids: Sequence[str]) -> list[BomVersion]:
    return await repo.boms_by_id(at_most_a_page(bom_ids, "ids"))


async def get_bom_lines(repo: CatalogRepository, *, line_ids: Sequence[str]) -> list[BomLine]:
    return await repo.bom_lines_by_id(at_most_a_page(line_ids, "ids"))


async def list_bom_versions(repo: CatalogRepository, *, parent_sku: str, page: PageQuery) -> list[BomVersion]:
    parent = await _item(repo, parent_sku, "parent_sku")
    return await repo.list_boms(parent.sku, page)


async def explode_bom(repo: CatalogRepository, *, parent_sku: str, quantity: str, as_of: date | None) -> Explosion:
    parent = await _item(repo, parent_sku, "parent_sku")
    amount = parse_decimal(quantity, "quantity", strictly_positive=True)
    on = as_of or date.today()
    bom_of: dict[str, BomVersion] = {}
    items: dict[str, Item] = {parent.sku: parent}
    level = [parent.sku]
    # Walk the structure level by level: one query for the BOMs and one for the
    # items of each level, however wide it is.
    while level:
        versions: dict[str, list[BomVersion]] = defaultdict(list)
        for version in await repo.released_boms(level):
            versions[version.parent_sku].append(version)
        children: set[str] = set()
        for sku in level:
            chosen = effective(versions[sku], on)
            if chosen is not None:
                bom_of[sku] = chosen
                children.update(line.component_sku for line in chosen.lines)
        level = sorted(children - bom_of.keys() - set(level))
        items.update(await repo.items_by_sku([s for s in children if s not in items]))
    return explode(parent.sku, amount, bom_of, items)


async def where_used_by(repo: CatalogRepository, *, component_sku: str, page: PageQuery) -> list[Usage]:
    """One page of the usages, read as `paging.keyset` reads a table: the answer is computed whole
    from the BOM graph, in the order of the usages' `position`, which `page.position` is one of."""
    component = await _item(repo, component_sku, "component_sku")
    used_by: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for parent, child, bom_id, state in await repo.bom_edges():
        used_by[child].append((parent, bom_id, state))
    usages = where_used(component.sku, used_by)
    positions = [usage.position for usage in usages]
    if page.reverse:
        end = len(usages) if page.position is None else bisect_left(positions, page.position)
        return usages[max(0, end - page.limit) : end][::-1]
    start = 0 if page.position is None else bisect_right(positions, page.position)
    return usages[start : start + page.limit]


async def list_audit(repo: CatalogRepository, *, sku: str, page: PageQuery) -> list[AuditEntry]:
    item = await _item(repo, sku, "sku")
    return await repo.list_audit(item.sku, page)


async def get_audit_entries(repo: CatalogRepository, *, entry_ids: Sequence[str]) -> list[AuditEntry]:
    return await repo.audit_by_id(at_most_a_page(entry_ids, "ids"))


# helpers


async def _item(repo: CatalogRepository, sku: str, field: str, lock: bool = False) -> Item:
    item = await repo.get_item(sku.strip().upper(), lock)
    if item is None:
        raise not_found("item", sku, field)
    return item


async def _bom(repo: CatalogRepository, bom_id: str, field: str) -> BomVersion:
    bom = await repo.get_bom(bom_id)
    if bom is None:
        raise not_found("BOM version", bom_id, field)
    return bom


async def _refuse_taken_barcodes(repo: CatalogRepository, item: Item) -> None:
    owners = await repo.barcode_owners(b.code for b in item.barcodes)
    for index, barcode in enumerate(item.barcodes):
        owner = owners.get(barcode.code)
        if owner is not None and owner != item.sku:
            raise DomainError(
                ErrorCode.ALREADY_EXISTS,
                f"barcode {barcode.code} already belongs to item {owner}",
                f"barcodes[{index}].code",
            )


async def _save_bom(repo: CatalogRepository, bom: BomVersion, action: str, changes: list[FieldChange]) -> None:
    bom.updated_at = utcnow()
    await repo.save_bom(bom)
    await _audit_bom(repo, bom, action, changes)


async def _audit_bom(repo: CatalogRepository, bom: BomVersion, action: str, changes: list[FieldChange]) -> None:
    assert bom.updated_at is not None
    await repo.record_audit(bom.parent_sku, "BOM", f"{bom.id}@v{bom.version}", action, changes, bom.updated_at)
