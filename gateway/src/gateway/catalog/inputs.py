"""Mutation inputs, each turned into its gRPC request by `to_proto`."""

from __future__ import annotations

import datetime as dt
import decimal

import strawberry

from gateway.catalog.types import BarcodeSymbology, ItemStatus
from gateway.convert import date_to_proto, decimal_to_proto
from gateway.idempotency import IDEMPOTENCY_KEY_HELP, key
from invariant.catalog.v1 import catalog_pb2


@strawberry.input
class UnitConversionInput:
    unit: str
    factor: decimal.Decimal = strawberry.field(description="How many base units one `unit` holds.")

    def to_proto(self) -> catalog_pb2.UnitConversion:
        return catalog_pb2.UnitConversion(unit=self.unit, factor=decimal_to_proto(self.factor))


@strawberry.input
class BarcodeInput:
    code: str
    # Unset: the catalog infers EAN13 or UPCA from 13 or 12 digits, else OTHER.
    symbology: BarcodeSymbology | None = None

    def to_proto(self) -> catalog_pb2.Barcode:
        return catalog_pb2.Barcode(code=self.code, symbology=self.symbology.value if self.symbology else "")


@strawberry.input
class CreateItemInput:
    sku: str
    name: str
    base_unit: str
    units: list[UnitConversionInput] = strawberry.field(default_factory=list)
    barcodes: list[BarcodeInput] = strawberry.field(default_factory=list)
    standard_cost: decimal.Decimal | None = None
    lot_tracked: bool = False
    inspect_on_receipt: bool = False
    inspect_on_production: bool = False
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


@strawberry.input(description="Changes only the fields given; `units` and `barcodes` replace the lists.")
class UpdateItemInput:
    sku: str
    name: str | None = None
    standard_cost: decimal.Decimal | None = None
    lot_tracked: bool | None = None
    inspect_on_receipt: bool | None = None
    inspect_on_production: bool | None = None
    status: ItemStatus | None = None
    units: list[UnitConversionInput] | None = None
    barcodes: list[BarcodeInput] | None = None
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
            request.status = self.status.value
        if self.units is not None:
            request.replace_units = True
            request.units.extend(unit.to_proto() for unit in self.units)
        if self.barcodes is not None:
            request.replace_barcodes = True
            request.barcodes.extend(barcode.to_proto() for barcode in self.barcodes)
        return request


@strawberry.input
class SetThresholdsInput:
    sku: str
    warehouse: str
    safety_stock: decimal.Decimal | None = None
    max_stock: decimal.Decimal | None = None
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


@strawberry.input
class CreateBomVersionInput:
    parent_sku: str
    effective_from: dt.date
    effective_to: dt.date | None = strawberry.field(default=None, description="Null means open-ended.")
    copy_from_bom_id: strawberry.ID | None = strawberry.field(
        default=None, description="Copy the lines of this version into the new draft."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> catalog_pb2.CreateBomVersionRequest:
        request = catalog_pb2.CreateBomVersionRequest(
            idempotency_key=key(self.idempotency_key),
            parent_sku=self.parent_sku,
            effective_from=date_to_proto(self.effective_from),
            copy_from_bom_id=self.copy_from_bom_id or "",
        )
        if self.effective_to is not None:
            request.effective_to.CopyFrom(date_to_proto(self.effective_to))
        return request


@strawberry.input
class AddBomLineInput:
    bom_id: strawberry.ID
    component_sku: str
    quantity: decimal.Decimal = strawberry.field(description="Per one unit of the parent, in `unit`.")
    unit: str | None = strawberry.field(default=None, description="Null means the component's base unit.")
    scrap_percent: decimal.Decimal | None = strawberry.field(
        default=None, description="Expected loss in percent, 0 <= scrap < 100."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> catalog_pb2.AddBomLineRequest:
        request = catalog_pb2.AddBomLineRequest(
            idempotency_key=key(self.idempotency_key),
            bom_id=self.bom_id,
            component_sku=self.component_sku,
            quantity=decimal_to_proto(self.quantity),
            unit=self.unit or "",
        )
        if self.scrap_percent is not None:
            request.scrap_percent.CopyFrom(decimal_to_proto(self.scrap_percent))
        return request


@strawberry.input
class RemoveBomLineInput:
    bom_id: strawberry.ID
    line_id: strawberry.ID
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> catalog_pb2.RemoveBomLineRequest:
        return catalog_pb2.RemoveBomLineRequest(
            idempotency_key=key(self.idempotency_key), bom_id=self.bom_id, line_id=self.line_id
        )


@strawberry.input
class ActivateBomVersionInput:
    bom_id: strawberry.ID
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> catalog_pb2.ActivateBomVersionRequest:
        return catalog_pb2.ActivateBomVersionRequest(idempotency_key=key(self.idempotency_key), bom_id=self.bom_id)


@strawberry.input
class ObsoleteBomVersionInput:
    bom_id: strawberry.ID
    idempotency_key: str | None = strawberry.field(default=None, description=IDEMPOTENCY_KEY_HELP)

    def to_proto(self) -> catalog_pb2.ObsoleteBomVersionRequest:
        return catalog_pb2.ObsoleteBomVersionRequest(idempotency_key=key(self.idempotency_key), bom_id=self.bom_id)
