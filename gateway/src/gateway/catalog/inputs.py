"""Mutation inputs, each turned into its gRPC request by `to_proto`."""

from __future__ import annotations

import datetime as dt
import decimal

import strawberry

from gateway.catalog.types import BarcodeSymbology, BomLine, BomVersion, ItemStatus
from gateway.convert import date_to_proto, decimal_to_proto
from gateway.idempotency import IDEMPOTENCY_KEY_HELP, key
from gateway.nodes import local_id
from invariant.catalog.v1 import catalog_pb2


@strawberry.input(description="A unit the item is also handled in (a pack size), with its size in base units.")
class UnitConversionInput:
    unit: str = strawberry.field(
        description="Unit code: 1 to 16 letters, digits or '_', starting with a letter; stored upper-case. "
        "Not the base unit, and each unit listed once."
    )
    factor: decimal.Decimal = strawberry.field(
        description="How many base units one `unit` holds; greater than zero, at most 6 decimal places."
    )

    def to_proto(self) -> catalog_pb2.UnitConversion:
        return catalog_pb2.UnitConversion(unit=self.unit, factor=decimal_to_proto(self.factor))


@strawberry.input(description="A barcode for the item; a code may belong to one item only.")
class BarcodeInput:
    code: str = strawberry.field(
        description="The code as scanned, surrounding spaces ignored: 13 digits for EAN13, 12 for UPCA "
        "(with a valid check digit), else 1 to 64 printable ASCII characters without spaces."
    )
    symbology: BarcodeSymbology | None = strawberry.field(
        default=None, description="Null lets the catalog infer it: EAN13 for 13 digits, UPCA for 12, else OTHER."
    )

    def to_proto(self) -> catalog_pb2.Barcode:
        return catalog_pb2.Barcode(code=self.code, symbology=self.symbology.name if self.symbology else "")


@strawberry.input(description="A new item for the catalog.")
class CreateItemInput:
    sku: str = strawberry.field(
        description="Unique stock-keeping unit: 1 to 40 letters, digits, '.', '_' or '-', starting with a letter "
        "or digit; stored upper-case and never changed."
    )
    name: str = strawberry.field(description="Display name, 1 to 200 characters; surrounding spaces are removed.")
    base_unit: str = strawberry.field(
        description="The unit all stock of the item is kept and counted in (e.g. EA, M, KG): 1 to 16 letters, "
        "digits or '_', starting with a letter; stored upper-case and never changed."
    )
    units: list[UnitConversionInput] = strawberry.field(
        default_factory=list, description="Other units (pack sizes) with their factors; never the base unit."
    )
    barcodes: list[BarcodeInput] = strawberry.field(
        default_factory=list, description="Barcodes to find the item by; none may belong to another item."
    )
    standard_cost: decimal.Decimal | None = strawberry.field(
        default=None, description="Cost of one base unit, at least 0, at most 4 decimal places; null means 0."
    )
    lot_tracked: bool = strawberry.field(
        default=False, description="True when every movement and count of the item must name a lot (batch)."
    )
    inspect_on_receipt: bool = strawberry.field(
        default=False, description="True when goods received from suppliers go into QC_HOLD to be inspected."
    )
    inspect_on_production: bool = strawberry.field(
        default=False, description="True when finished goods from production go into QC_HOLD to be inspected."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> catalog_pb2.CreateItemRequest:
        request = catalog_pb2.CreateItemRequest(
            idempotency_key=key(self.idempotency_key),
            sku=self.sku,
            name=self.name,
            base_unit=self.base_unit,
            units=[unit.to_proto() for unit in self.units],
            barcodes=[barcode.to_proto() for barcode in self.barcodes],
            lot_tracked=self.lot_tracked,
            inspect_on_receipt=self.inspect_on_receipt,
            inspect_on_production=self.inspect_on_production,
        )
        if self.standard_cost is not None:
            request.standard_cost.CopyFrom(decimal_to_proto(self.standard_cost))
        return request


@strawberry.input(
    description="Changes only the fields given; `units` and `barcodes` replace the lists. "
    "The SKU and the base unit never change."
)
class UpdateItemInput:
    sku: str = strawberry.field(description="The item to change, in any case.")
    name: str | None = strawberry.field(default=None, description="New display name, 1 to 200 characters.")
    standard_cost: decimal.Decimal | None = strawberry.field(
        default=None, description="New cost of one base unit, at least 0, at most 4 decimal places."
    )
    lot_tracked: bool | None = strawberry.field(
        default=None, description="Whether movements and counts must name a lot from now on."
    )
    inspect_on_receipt: bool | None = strawberry.field(
        default=None, description="Whether goods received from suppliers are to be inspected."
    )
    inspect_on_production: bool | None = strawberry.field(
        default=None, description="Whether finished goods from production are to be inspected."
    )
    status: ItemStatus | None = strawberry.field(default=None, description="ACTIVE, or BLOCKED to stop using the item.")
    units: list[UnitConversionInput] | None = strawberry.field(
        default=None, description="The complete new list of other units; [] removes them all."
    )
    barcodes: list[BarcodeInput] | None = strawberry.field(
        default=None, description="The complete new list of barcodes; [] removes them all."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> catalog_pb2.UpdateItemRequest:
        request = catalog_pb2.UpdateItemRequest(idempotency_key=key(self.idempotency_key), sku=self.sku)
        if self.name is not None:
            request.name = self.name
        if self.standard_cost is not None:
            request.standard_cost.CopyFrom(decimal_to_proto(self.standard_cost))
        if self.lot_tracked is not None:
            request.lot_tracked = self.lot_tracked
        if self.inspect_on_receipt is not None:
            request.inspect_on_receipt = self.inspect_on_receipt
        if self.inspect_on_production is not None:
            request.inspect_on_production = self.inspect_on_production
        if self.status is not None:
            request.status = self.status.name
        if self.units is not None:
            request.replace_units = True
            request.units.extend(unit.to_proto() for unit in self.units)
        if self.barcodes is not None:
            request.replace_barcodes = True
            request.barcodes.extend(barcode.to_proto() for barcode in self.barcodes)
        return request


@strawberry.input(description="Safety and maximum stock of an item in one warehouse; both values are replaced.")
class SetThresholdsInput:
    sku: str = strawberry.field(description="The item, in any case.")
    warehouse: str = strawberry.field(
        description="Warehouse code: 1 to 20 letters, digits, '_' or '-', starting with a letter; stored upper-case."
    )
    safety_stock: decimal.Decimal | None = strawberry.field(
        default=None,
        description="In base units, at least 0, at most 6 decimal places. Required although the type allows "
        "null: null is refused with REQUIRED.",
    )
    max_stock: decimal.Decimal | None = strawberry.field(
        default=None,
        description="In base units, not below `safetyStock`, at most 6 decimal places. Required although the "
        "type allows null.",
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> catalog_pb2.SetThresholdsRequest:
        request = catalog_pb2.SetThresholdsRequest(
            idempotency_key=key(self.idempotency_key), sku=self.sku, warehouse=self.warehouse
        )
        if self.safety_stock is not None:
            request.safety_stock.CopyFrom(decimal_to_proto(self.safety_stock))
        if self.max_stock is not None:
            request.max_stock.CopyFrom(decimal_to_proto(self.max_stock))
        return request


@strawberry.input(description="A new DRAFT version of a parent item's BOM.")
class CreateBomVersionInput:
    parent_sku: str = strawberry.field(description="The item the BOM makes, in any case.")
    effective_from: dt.date = strawberry.field(description="First day the version is to be in effect once activated.")
    effective_to: dt.date | None = strawberry.field(
        default=None, description="Null means open-ended; else after `effectiveFrom`, and that day excluded."
    )
    copy_from_bom_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The `id` of a version (of the same parent, in any state) whose lines to copy into the new "
        "draft; null starts with no lines.",
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> catalog_pb2.CreateBomVersionRequest:
        request = catalog_pb2.CreateBomVersionRequest(
            idempotency_key=key(self.idempotency_key),
            parent_sku=self.parent_sku,
            effective_from=date_to_proto(self.effective_from),
            copy_from_bom_id=local_id(self.copy_from_bom_id, BomVersion, "copyFromBomId")
            if self.copy_from_bom_id is not None
            else "",
        )
        if self.effective_to is not None:
            request.effective_to.CopyFrom(date_to_proto(self.effective_to))
        return request


@strawberry.input(description="A component line for a DRAFT BOM version.")
class AddBomLineInput:
    bom_id: strawberry.ID = strawberry.field(description="The `id` of the DRAFT version to add the line to.")
    component_sku: str = strawberry.field(
        description="The component item, in any case: not already on this version, and neither the parent nor "
        "an item whose own BOMs use the parent (refused with CYCLE)."
    )
    quantity: decimal.Decimal = strawberry.field(
        description="Per one base unit of the parent, in `unit`; greater than zero, at most 6 decimal places."
    )
    unit: str | None = strawberry.field(
        default=None, description="Null means the component's base unit; else one of the component's units."
    )
    scrap_percent: decimal.Decimal | None = strawberry.field(
        default=None, description="Expected loss in percent, 0 <= scrap < 100, at most 4 decimal places; null means 0."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> catalog_pb2.AddBomLineRequest:
        request = catalog_pb2.AddBomLineRequest(
            idempotency_key=key(self.idempotency_key),
            bom_id=local_id(self.bom_id, BomVersion, "bomId"),
            component_sku=self.component_sku,
            quantity=decimal_to_proto(self.quantity),
            unit=self.unit or "",
        )
        if self.scrap_percent is not None:
            request.scrap_percent.CopyFrom(decimal_to_proto(self.scrap_percent))
        return request


@strawberry.input(description="A line to remove from a DRAFT BOM version.")
class RemoveBomLineInput:
    bom_id: strawberry.ID = strawberry.field(description="The `id` of the DRAFT version the line is on.")
    line_id: strawberry.ID = strawberry.field(description="The line's `id`, from `BomVersion.lines`.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> catalog_pb2.RemoveBomLineRequest:
        return catalog_pb2.RemoveBomLineRequest(
            idempotency_key=key(self.idempotency_key),
            bom_id=local_id(self.bom_id, BomVersion, "bomId"),
            line_id=local_id(self.line_id, BomLine, "lineId"),
        )


@strawberry.input(description="A DRAFT BOM version to put into use.")
class ActivateBomVersionInput:
    bom_id: strawberry.ID = strawberry.field(
        description="The `id` of the DRAFT version to activate; it needs at least one line."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> catalog_pb2.ActivateBomVersionRequest:
        return catalog_pb2.ActivateBomVersionRequest(
            idempotency_key=key(self.idempotency_key), bom_id=local_id(self.bom_id, BomVersion, "bomId")
        )


@strawberry.input(description="A BOM version to take out of use.")
class ObsoleteBomVersionInput:
    bom_id: strawberry.ID = strawberry.field(description="The `id` of the DRAFT or ACTIVE version to make OBSOLETE.")
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> catalog_pb2.ObsoleteBomVersionRequest:
        return catalog_pb2.ObsoleteBomVersionRequest(
            idempotency_key=key(self.idempotency_key), bom_id=local_id(self.bom_id, BomVersion, "bomId")
        )
