"""Catalog types as the graph shows them, each built from its protobuf message."""

from __future__ import annotations

import datetime as dt
import decimal
from enum import Enum

import strawberry

from gateway.context import Info
from gateway.convert import date_from_proto, decimal_from_proto, optional_decimal, timestamp_from_proto
from gateway.errors import graphql_field
from invariant.catalog.v1 import catalog_pb2


@strawberry.enum
class ItemStatus(Enum):
    ACTIVE = "ACTIVE"
    BLOCKED = "BLOCKED"


@strawberry.enum
class BomState(Enum):
    DRAFT = "DRAFT"
    ACTIVE = "ACTIVE"
    OBSOLETE = "OBSOLETE"


@strawberry.enum(description="EAN13 and UPCA have their check digit validated; OTHER is taken as is.")
class BarcodeSymbology(Enum):
    EAN13 = "EAN13"
    UPCA = "UPCA"
    OTHER = "OTHER"


async def load_item(info: Info, sku: str) -> Item | None:
    proto = await info.context.catalog_loaders.item_by_sku.load(sku)
    return Item.from_proto(proto) if proto is not None else None


@strawberry.type
class UnitConversion:
    unit: str
    factor: decimal.Decimal = strawberry.field(description="How many base units one `unit` holds.")

    @classmethod
    def from_proto(cls, proto: catalog_pb2.UnitConversion) -> UnitConversion:
        return cls(unit=proto.unit, factor=decimal_from_proto(proto.factor))


@strawberry.type
class Barcode:
    code: str
    symbology: BarcodeSymbology

    @classmethod
    def from_proto(cls, proto: catalog_pb2.Barcode) -> Barcode:
        return cls(code=proto.code, symbology=BarcodeSymbology(proto.symbology))


@strawberry.type(description="Safety and maximum stock of an item in one warehouse.")
class Thresholds:
    warehouse: str
    safety_stock: decimal.Decimal | None
    max_stock: decimal.Decimal | None

    @classmethod
    def from_proto(cls, proto: catalog_pb2.Thresholds) -> Thresholds:
        return cls(
            warehouse=proto.warehouse,
            safety_stock=optional_decimal(proto.safety_stock, proto.HasField("safety_stock")),
            max_stock=optional_decimal(proto.max_stock, proto.HasField("max_stock")),
        )


@strawberry.type
class Item:
    id: strawberry.ID
    sku: str
    name: str
    base_unit: str
    units: list[UnitConversion]
    barcodes: list[Barcode]
    standard_cost: decimal.Decimal | None
    lot_tracked: bool
    inspect_on_receipt: bool
    inspect_on_production: bool
    status: ItemStatus
    thresholds: list[Thresholds]
    updated_at: dt.datetime | None

    @classmethod
    def from_proto(cls, proto: catalog_pb2.Item) -> Item:
        return cls(
            id=strawberry.ID(proto.id),
            sku=proto.sku,
            name=proto.name,
            base_unit=proto.base_unit,
            units=[UnitConversion.from_proto(unit) for unit in proto.units],
            barcodes=[Barcode.from_proto(barcode) for barcode in proto.barcodes],
            standard_cost=optional_decimal(proto.standard_cost, proto.HasField("standard_cost")),
            lot_tracked=proto.lot_tracked,
            inspect_on_receipt=proto.inspect_on_receipt,
            inspect_on_production=proto.inspect_on_production,
            status=ItemStatus(proto.status),
            thresholds=[Thresholds.from_proto(thresholds) for thresholds in proto.thresholds],
            updated_at=timestamp_from_proto(proto.updated_at),
        )


@strawberry.type
class ConvertedQuantity:
    quantity: decimal.Decimal
    unit: str

    @classmethod
    def from_proto(cls, proto: catalog_pb2.ConvertQuantityResponse) -> ConvertedQuantity:
        return cls(quantity=decimal_from_proto(proto.quantity), unit=proto.unit)


@strawberry.type
class BomLine:
    id: strawberry.ID
    component_sku: str
    quantity: decimal.Decimal = strawberry.field(description="Per one unit of the parent, in `unit`.")
    unit: str
    scrap_percent: decimal.Decimal

    @strawberry.field
    async def component(self, info: Info) -> Item | None:
        return await load_item(info, self.component_sku)

    @classmethod
    def from_proto(cls, proto: catalog_pb2.BomLine) -> BomLine:
        return cls(
            id=strawberry.ID(proto.id),
            component_sku=proto.component_sku,
            quantity=decimal_from_proto(proto.quantity),
            unit=proto.unit,
            scrap_percent=decimal_from_proto(proto.scrap_percent),
        )


@strawberry.type
class BomVersion:
    id: strawberry.ID
    parent_sku: str
    version: int
    state: BomState
    effective_from: dt.date | None
    effective_to: dt.date | None = strawberry.field(description="Null means open-ended.")
    lines: list[BomLine]
    updated_at: dt.datetime | None

    @strawberry.field
    async def parent(self, info: Info) -> Item | None:
        return await load_item(info, self.parent_sku)

    @classmethod
    def from_proto(cls, proto: catalog_pb2.BomVersion) -> BomVersion:
        return cls(
            id=strawberry.ID(proto.id),
            parent_sku=proto.parent_sku,
            version=proto.version,
            state=BomState(proto.state),
            effective_from=date_from_proto(proto.effective_from),
            effective_to=date_from_proto(proto.effective_to) if proto.HasField("effective_to") else None,
            lines=[BomLine.from_proto(line) for line in proto.lines],
            updated_at=timestamp_from_proto(proto.updated_at),
        )


@strawberry.type(description="Total need of one component over all levels and paths, scrap included.")
class Requirement:
    component_sku: str
    quantity: decimal.Decimal = strawberry.field(description="In the component's base unit.")
    unit: str
    leaf: bool = strawberry.field(description="True when the component has no effective BOM of its own.")

    @strawberry.field
    async def component(self, info: Info) -> Item | None:
        return await load_item(info, self.component_sku)

    @classmethod
    def from_proto(cls, proto: catalog_pb2.Requirement) -> Requirement:
        return cls(
            component_sku=proto.component_sku,
            quantity=decimal_from_proto(proto.quantity),
            unit=proto.unit,
            leaf=proto.leaf,
        )


@strawberry.type
class ExplosionNode:
    level: int = strawberry.field(description="1 for the parent's direct components.")
    path: list[str] = strawberry.field(description="SKUs from the exploded parent down to this component.")
    component_sku: str
    quantity: decimal.Decimal
    unit: str
    bom_id: strawberry.ID

    @strawberry.field
    async def component(self, info: Info) -> Item | None:
        return await load_item(info, self.component_sku)

    @classmethod
    def from_proto(cls, proto: catalog_pb2.ExplosionNode) -> ExplosionNode:
        return cls(
            level=proto.level,
            path=list(proto.path),
            component_sku=proto.component_sku,
            quantity=decimal_from_proto(proto.quantity),
            unit=proto.unit,
            bom_id=strawberry.ID(proto.bom_id),
        )


@strawberry.type
class BomExplosion:
    requirements: list[Requirement]
    tree: list[ExplosionNode] = strawberry.field(description="Depth-first, in line order.")

    @classmethod
    def from_proto(cls, proto: catalog_pb2.ExplodeBomResponse) -> BomExplosion:
        return cls(
            requirements=[Requirement.from_proto(requirement) for requirement in proto.requirements],
            tree=[ExplosionNode.from_proto(node) for node in proto.tree],
        )


@strawberry.type
class Usage:
    parent_sku: str
    level: int = strawberry.field(description="1 for parents that use the component directly.")
    path: list[str] = strawberry.field(description="SKUs from this parent down to the component.")
    bom_id: strawberry.ID
    state: BomState

    @strawberry.field
    async def parent(self, info: Info) -> Item | None:
        return await load_item(info, self.parent_sku)

    @classmethod
    def from_proto(cls, proto: catalog_pb2.Usage) -> Usage:
        return cls(
            parent_sku=proto.parent_sku,
            level=proto.level,
            path=list(proto.path),
            bom_id=strawberry.ID(proto.bom_id),
            state=BomState(proto.state),
        )


@strawberry.type
class FieldChange:
    field: str = strawberry.field(description="The changed field, named as in this API.")
    before: str | None = strawberry.field(description="JSON-encoded; null when absent.")
    after: str | None = strawberry.field(description="JSON-encoded; null when absent.")

    @classmethod
    def from_proto(cls, proto: catalog_pb2.FieldChange) -> FieldChange:
        return cls(field=graphql_field(proto.field), before=proto.before or None, after=proto.after or None)


@strawberry.type(description="Who changed which master data, when.")
class AuditEntry:
    id: strawberry.ID
    entity: str = strawberry.field(description="ITEM, THRESHOLDS or BOM.")
    entity_id: str
    action: str = strawberry.field(description="CREATED, UPDATED, ACTIVATED, ...")
    actor: str
    at: dt.datetime | None
    changes: list[FieldChange]
    correlation_id: str

    @classmethod
    def from_proto(cls, proto: catalog_pb2.AuditEntry) -> AuditEntry:
        return cls(
            id=strawberry.ID(proto.id),
            entity=proto.entity,
            entity_id=proto.entity_id,
            action=proto.action,
            actor=proto.actor,
            at=timestamp_from_proto(proto.at),
            changes=[FieldChange.from_proto(change) for change in proto.changes],
            correlation_id=proto.correlation_id,
        )
