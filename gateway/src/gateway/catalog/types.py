"""Catalog types as the graph shows them, each built from its protobuf message."""

from __future__ import annotations

import datetime as dt
import decimal
from enum import Enum

import strawberry
from strawberry import relay

from gateway import described
from gateway.context import Info
from gateway.convert import (
    date_from_proto,
    day_from_proto,
    decimal_from_proto,
    enum_from_code,
    instant_from_proto,
    optional_decimal,
)
from gateway.errors import call, graphql_field
from gateway.nodes import FetchedNode, global_id
from invariant.catalog.v1 import catalog_pb2, catalog_pb2_grpc

Stub = catalog_pb2_grpc.CatalogServiceStub


@strawberry.enum(description="Whether an item may still be used for new business.")
class ItemStatus(Enum):
    ACTIVE = strawberry.enum_value("ACTIVE", description="In use: the status of every new item.")
    BLOCKED = strawberry.enum_value(
        "BLOCKED",
        description="Not to be used any more (e.g. discontinued). Only recorded and published so far: "
        "no service refuses movements, counts or BOM lines for a blocked item yet.",
    )


@strawberry.enum(
    description="Where a BOM version is in its life: DRAFT, then ACTIVE, then OBSOLETE "
    "(a draft may also go straight to OBSOLETE)."
)
class BomState(Enum):
    DRAFT = strawberry.enum_value(
        "DRAFT", description="Being prepared: lines may be added and removed; never used by an explosion."
    )
    ACTIVE = strawberry.enum_value(
        "ACTIVE", description="The version in use for its parent; at most one per parent, and its lines are fixed."
    )
    OBSOLETE = strawberry.enum_value(
        "OBSOLETE",
        description="Replaced or withdrawn; its lines are fixed. An explosion as of a past date still uses it "
        "for the days it was in effect.",
    )


@strawberry.enum(description="EAN13 and UPCA have their check digit validated; OTHER is taken as is.")
class BarcodeSymbology(Enum):
    EAN13 = strawberry.enum_value("EAN13", description="EAN-13 / GTIN-13: 13 digits, the last a valid check digit.")
    UPCA = strawberry.enum_value("UPCA", description="UPC-A: 12 digits, the last a valid check digit.")
    OTHER = strawberry.enum_value(
        "OTHER",
        description="Any other code (Code 128, an in-house label...): 1 to 64 printable ASCII characters "
        "without spaces, kept exactly as given.",
    )


@strawberry.enum(description="What an audit entry is about: an item, its thresholds in one warehouse or a BOM version.")
class AuditEntity(Enum):
    ITEM = strawberry.enum_value(
        "ITEM",
        description="The item itself: its name, cost, units, barcodes, flags or status. `entityId` is the item's id.",
    )
    THRESHOLDS = strawberry.enum_value(
        "THRESHOLDS",
        description="The item's safety and maximum stock in one warehouse. `entityId` is `<item id>/<WAREHOUSE>`.",
    )
    BOM = strawberry.enum_value(
        "BOM",
        description="A BOM version the item is the parent of. `entityId` is `<BOM version id>@v<version>`.",
    )


@strawberry.enum(description="What happened to the audited entity.")
class AuditAction(Enum):
    CREATED = strawberry.enum_value(
        "CREATED",
        description="An item or a BOM version was created: a created item lists all of its fields in `changes`, "
        "a created BOM version its `version`.",
    )
    UPDATED = strawberry.enum_value(
        "UPDATED",
        description="Fields of an item, or its thresholds in one warehouse (set for the first time included), "
        "were changed; `changes` lists only the fields that changed.",
    )
    LINE_ADDED = strawberry.enum_value(
        "LINE_ADDED",
        description="A line was added to a DRAFT BOM version: `changes` has `lines[<component SKU>]` with the new "
        "line as `after`.",
    )
    LINE_REMOVED = strawberry.enum_value(
        "LINE_REMOVED",
        description="A line was removed from a DRAFT BOM version: `changes` has `lines[<component SKU>]` with the "
        "removed line as `before`.",
    )
    ACTIVATED = strawberry.enum_value(
        "ACTIVATED", description="A DRAFT BOM version was put into use: `state` went from DRAFT to ACTIVE."
    )
    OBSOLETED = strawberry.enum_value(
        "OBSOLETED",
        description="A BOM version was withdrawn, or replaced because another version of the same parent was "
        "activated: `state` went to OBSOLETE.",
    )


async def load_item(info: Info, sku: str) -> Item | None:
    proto = await info.context.catalog_loaders.item_by_sku.load(sku)
    return Item.from_proto(proto) if proto is not None else None


async def load_known_item(info: Info, sku: str) -> Item:
    """An item the catalog's own data names (a BOM's parent or component): it always exists, as items are
    never deleted and the catalog's tables refer to them by foreign key."""
    item = await load_item(info, sku)
    if item is None:
        raise LookupError(f"the catalog names item {sku} but does not find it")
    return item


@strawberry.type(description="A unit the item is also handled in (a pack size such as BOX), besides its base unit.")
class UnitConversion:
    unit: str = strawberry.field(description="Unit code, upper-case, e.g. BOX; never the item's base unit.")
    factor: decimal.Decimal = strawberry.field(
        description="How many base units one `unit` holds; greater than zero, at most 6 decimal places."
    )

    @classmethod
    def from_proto(cls, proto: catalog_pb2.UnitConversion) -> UnitConversion:
        return cls(unit=proto.unit, factor=decimal_from_proto(proto.factor))


@strawberry.type(description="A barcode that identifies the item when scanned; a code belongs to one item only.")
class Barcode:
    code: str = strawberry.field(description="The code as printed and scanned, e.g. 4006381333931.")
    symbology: BarcodeSymbology = strawberry.field(description="The kind of barcode, which decides how it is checked.")

    @classmethod
    def from_proto(cls, proto: catalog_pb2.Barcode) -> Barcode:
        return cls(code=proto.code, symbology=BarcodeSymbology(proto.symbology))


@strawberry.type(description="Safety and maximum stock of an item in one warehouse.")
class Thresholds:
    warehouse: str = strawberry.field(description="Warehouse code, upper-case, e.g. MAIN.")
    safety_stock: decimal.Decimal | None = strawberry.field(
        description="In base units: an alert is raised when the item's available-to-promise stock in this "
        "warehouse falls below it. Always set."
    )
    max_stock: decimal.Decimal | None = strawberry.field(
        description="In base units, never below `safetyStock`: an alert is raised when available-to-promise "
        "stock in this warehouse rises above it. Always set."
    )

    @classmethod
    def from_proto(cls, proto: catalog_pb2.Thresholds) -> Thresholds:
        return cls(
            warehouse=proto.warehouse,
            safety_stock=optional_decimal(proto.safety_stock, proto.HasField("safety_stock")),
            max_stock=optional_decimal(proto.max_stock, proto.HasField("max_stock")),
        )


@strawberry.type(
    description="A product or material the warehouse keeps stock of, identified by its SKU; `node(id:)` fetches "
    "it again by its `id`."
)
class Item(FetchedNode):
    id: relay.NodeID[str]
    sku: str = strawberry.field(
        description="Stock-keeping unit: unique, never changed, upper-case; 1 to 40 letters, digits, "
        "'.', '_' or '-', starting with a letter or digit."
    )
    name: str = strawberry.field(description="Display name, up to 200 characters.")
    base_unit: str = strawberry.field(
        description="Unit code (e.g. EA, M, KG) in which all stock of the item is kept and every quantity "
        "is given unless a field names another unit; fixed when the item is created."
    )
    units: list[UnitConversion] = strawberry.field(
        description="The other units the item is handled in, with their size in base units; "
        "the base unit itself is not listed."
    )
    barcodes: list[Barcode] = strawberry.field(description="Barcodes that find the item when scanned; may be empty.")
    standard_cost: decimal.Decimal = strawberry.field(
        description="Cost of one base unit in the company's currency, at least 0, at most 4 decimal places; "
        '"0" when none was given.'
    )
    lot_tracked: bool = strawberry.field(
        description="True when every movement and count entry of the item must name a lot "
        "(batch); false when the lot must be left empty."
    )
    inspect_on_receipt: bool = strawberry.field(
        description="True when goods received from suppliers are to be inspected: to be received into "
        "QC_HOLD, not AVAILABLE, until quality decides."
    )
    inspect_on_production: bool = strawberry.field(
        description="True when finished goods reported by production are to be inspected: to be received "
        "into QC_HOLD until quality decides."
    )
    status: ItemStatus = strawberry.field(description="ACTIVE, or BLOCKED when it is no longer to be used.")
    thresholds: list[Thresholds] = strawberry.field(
        description="Safety and maximum stock, one entry per warehouse where they were set; empty when none were."
    )
    updated_at: dt.datetime = strawberry.field(
        description="When the item or one of its thresholds last changed (UTC); when it was created if nothing "
        "has changed since."
    )

    @classmethod
    async def fetch(cls, info: Info, ids: list[str]) -> list[Item]:
        stub = info.context.stubs.catalog
        reply = await call(lambda: stub.GetItems(catalog_pb2.GetItemsRequest(ids=ids)))
        return [cls.from_proto(item) for item in reply.items]

    @classmethod
    def from_proto(cls, proto: catalog_pb2.Item) -> Item:
        return cls(
            id=proto.id,
            sku=proto.sku,
            name=proto.name,
            base_unit=proto.base_unit,
            units=[UnitConversion.from_proto(unit) for unit in proto.units],
            barcodes=[Barcode.from_proto(barcode) for barcode in proto.barcodes],
            standard_cost=decimal_from_proto(proto.standard_cost),
            lot_tracked=proto.lot_tracked,
            inspect_on_receipt=proto.inspect_on_receipt,
            inspect_on_production=proto.inspect_on_production,
            status=ItemStatus(proto.status),
            thresholds=[Thresholds.from_proto(thresholds) for thresholds in proto.thresholds],
            updated_at=instant_from_proto(proto.updated_at),
        )


@strawberry.type(description="A quantity of one item expressed in another of its units.")
class ConvertedQuantity:
    quantity: decimal.Decimal = strawberry.field(
        description="The quantity in `unit`, to 28 significant digits: exact unless the division does not end "
        "(1 EA in BOX of 3 is 0.3333…)."
    )
    unit: str = strawberry.field(
        description="The unit of `quantity`, upper-case: `toUnit`, or the base unit when `toUnit` was empty."
    )

    @classmethod
    def from_proto(cls, proto: catalog_pb2.ConvertQuantityResponse) -> ConvertedQuantity:
        return cls(quantity=decimal_from_proto(proto.quantity), unit=proto.unit)


@strawberry.type(
    description="One component of a BOM version and how much of it one base unit of the parent takes. Its `id` "
    "names it in removeBomLine; a copied version's lines get new ids."
)
class BomLine(FetchedNode):
    id: relay.NodeID[str]
    component_sku: str = strawberry.field(description="SKU of the component item; at most one line per component.")
    quantity: decimal.Decimal = strawberry.field(
        description="Per one base unit of the parent, in `unit`, before scrap; greater than zero."
    )
    unit: str = strawberry.field(
        description="Unit of `quantity`: the component's base unit or one of its units, upper-case."
    )
    scrap_percent: decimal.Decimal = strawberry.field(
        description='Expected loss in percent, 0 <= scrap < 100 ("0" when none): an explosion needs '
        "quantity * (1 + scrapPercent / 100)."
    )

    @described.field("The component item, looked up once per SKU per request.")
    async def component(self, info: Info) -> Item:
        return await load_known_item(info, self.component_sku)

    @classmethod
    async def fetch(cls, info: Info, ids: list[str]) -> list[BomLine]:
        stub = info.context.stubs.catalog
        reply = await call(lambda: stub.GetBomLines(catalog_pb2.GetBomLinesRequest(ids=ids)))
        return [cls.from_proto(line) for line in reply.lines]

    @classmethod
    def from_proto(cls, proto: catalog_pb2.BomLine) -> BomLine:
        return cls(
            id=proto.id,
            component_sku=proto.component_sku,
            quantity=decimal_from_proto(proto.quantity),
            unit=proto.unit,
            scrap_percent=decimal_from_proto(proto.scrap_percent),
        )


@strawberry.type(
    description="One version of a parent item's bill of materials: the components one base unit of the parent "
    "takes, and the days the version is in effect."
)
class BomVersion(FetchedNode):
    id: relay.NodeID[str]
    parent_sku: str = strawberry.field(description="SKU of the item this BOM makes.")
    version: int = strawberry.field(
        description="Version number within the parent: 1 for its first BOM, one more for each new version."
    )
    state: BomState = strawberry.field(description="DRAFT, ACTIVE or OBSOLETE; only a DRAFT's lines can change.")
    effective_from: dt.date = strawberry.field(description="First day the version is in effect once activated.")
    effective_to: dt.date | None = strawberry.field(
        description="The day it stops being in effect (that day excluded). Null means open-ended; set by the "
        "catalog when the version is replaced or made obsolete."
    )
    lines: list[BomLine] = strawberry.field(description="The component lines, in the order they were added.")
    updated_at: dt.datetime = strawberry.field(
        description="When the version or its lines last changed (UTC); when it was created if nothing has "
        "changed since."
    )

    @described.field("The item this BOM makes, looked up once per SKU per request.")
    async def parent(self, info: Info) -> Item:
        return await load_known_item(info, self.parent_sku)

    @classmethod
    async def fetch(cls, info: Info, ids: list[str]) -> list[BomVersion]:
        stub = info.context.stubs.catalog
        reply = await call(lambda: stub.GetBomVersions(catalog_pb2.GetBomVersionsRequest(ids=ids)))
        return [cls.from_proto(version) for version in reply.versions]

    @classmethod
    def from_proto(cls, proto: catalog_pb2.BomVersion) -> BomVersion:
        return cls(
            id=proto.id,
            parent_sku=proto.parent_sku,
            version=proto.version,
            state=BomState(proto.state),
            effective_from=day_from_proto(proto.effective_from, "BomVersion.effectiveFrom"),
            effective_to=date_from_proto(proto.effective_to) if proto.HasField("effective_to") else None,
            lines=[BomLine.from_proto(line) for line in proto.lines],
            updated_at=instant_from_proto(proto.updated_at),
        )


@strawberry.type(description="Total need of one component over all levels and paths, scrap included.")
class Requirement:
    component_sku: str = strawberry.field(description="SKU of the component.")
    quantity: decimal.Decimal = strawberry.field(
        description="Total needed, in the component's base unit, scrap included; exact, never rounded."
    )
    unit: str = strawberry.field(description="The component's base unit, the unit of `quantity`.")
    leaf: bool = strawberry.field(
        description="True when the component has no BOM in effect of its own (bought-in material); false for "
        "a sub-assembly, whose own components are listed too."
    )

    @described.field("The component item, looked up once per SKU per request.")
    async def component(self, info: Info) -> Item:
        return await load_known_item(info, self.component_sku)

    @classmethod
    def from_proto(cls, proto: catalog_pb2.Requirement) -> Requirement:
        return cls(
            component_sku=proto.component_sku,
            quantity=decimal_from_proto(proto.quantity),
            unit=proto.unit,
            leaf=proto.leaf,
        )


@strawberry.type(description="One BOM line reached by an explosion: a component at one level, under one path.")
class ExplosionNode:
    level: int = strawberry.field(description="1 for the parent's direct components.")
    path: list[str] = strawberry.field(
        description="SKUs from the exploded parent down to this component, both included."
    )
    component_sku: str = strawberry.field(description="SKU of the component, the last SKU of `path`.")
    quantity: decimal.Decimal = strawberry.field(
        description="Needed along this path, in the component's base unit, with the scrap of this line "
        "and of the lines above it."
    )
    unit: str = strawberry.field(description="The component's base unit, the unit of `quantity`.")
    bom_id: strawberry.ID = strawberry.field(
        description="The id of the BOM version this line belongs to, the one in effect for the SKU just above in "
        "`path`: what `bomVersion(id:)` and `node(id:)` take."
    )

    @described.field("The component item, looked up once per SKU per request.")
    async def component(self, info: Info) -> Item:
        return await load_known_item(info, self.component_sku)

    @classmethod
    def from_proto(cls, proto: catalog_pb2.ExplosionNode) -> ExplosionNode:
        return cls(
            level=proto.level,
            path=list(proto.path),
            component_sku=proto.component_sku,
            quantity=decimal_from_proto(proto.quantity),
            unit=proto.unit,
            bom_id=global_id(BomVersion, proto.bom_id),
        )


@strawberry.type(
    description="What making a quantity of a parent takes, through every level of its BOMs: "
    "totals per component and the tree they come from."
)
class BomExplosion:
    requirements: list[Requirement] = strawberry.field(
        description="One per distinct component, sub-assemblies included, in the order first reached."
    )
    tree: list[ExplosionNode] = strawberry.field(
        description="Every line reached, depth-first, in line order; a component used in several places "
        "appears once per place."
    )

    @classmethod
    def from_proto(cls, proto: catalog_pb2.ExplodeBomResponse) -> BomExplosion:
        return cls(
            requirements=[Requirement.from_proto(requirement) for requirement in proto.requirements],
            tree=[ExplosionNode.from_proto(node) for node in proto.tree],
        )


@strawberry.type(description="A BOM version that uses the component, directly or through sub-assemblies.")
class Usage:
    parent_sku: str = strawberry.field(description="SKU of the item whose BOM version uses the component.")
    level: int = strawberry.field(description="1 for parents that use the component directly.")
    path: list[str] = strawberry.field(description="SKUs from this parent down to the component, both included.")
    bom_id: strawberry.ID = strawberry.field(
        description="The id of the parent's BOM version that has a line for the next SKU in `path`: what "
        "`bomVersion(id:)` and `node(id:)` take."
    )
    state: BomState = strawberry.field(
        description="State of that version: DRAFT or ACTIVE (obsolete versions are not listed)."
    )

    @described.field("The parent item, looked up once per SKU per request.")
    async def parent(self, info: Info) -> Item:
        return await load_known_item(info, self.parent_sku)

    @classmethod
    def from_proto(cls, proto: catalog_pb2.Usage) -> Usage:
        return cls(
            parent_sku=proto.parent_sku,
            level=proto.level,
            path=list(proto.path),
            bom_id=global_id(BomVersion, proto.bom_id),
            state=BomState(proto.state),
        )


@strawberry.type(description="One field of an audited change, with its value before and after.")
class FieldChange:
    field: str = strawberry.field(
        description="The changed field, named as in this API, e.g. `name`, `thresholds[MAIN].safetyStock`, "
        "`lines[BOLT-M6]` or `state`."
    )
    before: str | None = strawberry.field(
        description='The value before, JSON-encoded: text and decimals keep their quotes (`"12.5"`), '
        "units, barcodes and lines are arrays or objects; null when there was none, as on creation."
    )
    after: str | None = strawberry.field(
        description="The value after, JSON-encoded; null when the value went away, as for a removed BOM line."
    )

    @classmethod
    def from_proto(cls, proto: catalog_pb2.FieldChange) -> FieldChange:
        return cls(field=graphql_field(proto.field), before=proto.before or None, after=proto.after or None)


@strawberry.type(description="Who changed which master data, when.")
class AuditEntry(FetchedNode):
    id: relay.NodeID[str]
    entity_id: str = strawberry.field(
        description="Which one: the item's id for ITEM, `<item id>/<WAREHOUSE>` for THRESHOLDS, "
        "`<BOM version id>@v<version>` for BOM."
    )
    actor: str = strawberry.field(description="The user id of who made the change, from their token.")
    at: dt.datetime = strawberry.field(description="When the change was committed (UTC).")
    changes: list[FieldChange] = strawberry.field(
        description="The fields that changed; a created item lists all of its fields."
    )
    correlation_id: str = strawberry.field(
        description="The request that made the change (its x-correlation-id header, or an id the gateway "
        "made up), to find the same change in logs and events."
    )
    # The codes as the catalog sends them, shown as enums by `entity` and `action`.
    entity_code: strawberry.Private[str]
    action_code: strawberry.Private[str]

    @described.field("What was changed: the item (ITEM), its thresholds in a warehouse (THRESHOLDS) or a BOM version.")
    def entity(self) -> AuditEntity:
        return enum_from_code(AuditEntity, self.entity_code, "AuditEntry.entity")

    @described.field(
        "What happened: CREATED or UPDATED (items, thresholds; BOM versions are CREATED too), "
        "LINE_ADDED, LINE_REMOVED, ACTIVATED or OBSOLETED (BOM versions)."
    )
    def action(self) -> AuditAction:
        return enum_from_code(AuditAction, self.action_code, "AuditEntry.action")

    @classmethod
    async def fetch(cls, info: Info, ids: list[str]) -> list[AuditEntry]:
        stub = info.context.stubs.catalog
        reply = await call(lambda: stub.GetAuditEntries(catalog_pb2.GetAuditEntriesRequest(ids=ids)))
        return [cls.from_proto(entry) for entry in reply.entries]

    @classmethod
    def from_proto(cls, proto: catalog_pb2.AuditEntry) -> AuditEntry:
        return cls(
            id=proto.id,
            entity_code=proto.entity,
            entity_id=proto.entity_id,
            action_code=proto.action,
            actor=proto.actor,
            at=instant_from_proto(proto.at),
            changes=[FieldChange.from_proto(change) for change in proto.changes],
            correlation_id=proto.correlation_id,
        )
