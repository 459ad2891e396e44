"""What the catalog is asked to do, as its handlers take it: the fields as given, checked
by the aggregates they reach."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

# (unit, factor) and (code, symbology), as given.
UnitSpec = Sequence[tuple[str, str]]
BarcodeSpec = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class CreateItem:
    sku: str
    name: str
    base_unit: str
    units: UnitSpec
    barcodes: BarcodeSpec
    standard_cost: str
    lot_tracked: bool
    inspect_on_receipt: bool
    inspect_on_production: bool


@dataclass(frozen=True)
class UpdateItem:
    """Fields left None stay as they are."""

    sku: str
    name: str | None = None
    standard_cost: str | None = None
    lot_tracked: bool | None = None
    inspect_on_receipt: bool | None = None
    inspect_on_production: bool | None = None
    status: str | None = None
    units: UnitSpec | None = None
    barcodes: BarcodeSpec | None = None


@dataclass(frozen=True)
class SetThresholds:
    sku: str
    warehouse: str
    safety_stock: str
    max_stock: str


@dataclass(frozen=True)
class CreateBomVersion:
    parent_sku: str
    effective_from: date | None
    effective_to: date | None
    copy_from_bom_id: str = ""


@dataclass(frozen=True)
class AddBomLine:
    bom_id: str
    component_sku: str
    quantity: str
    unit: str
    scrap_percent: str


@dataclass(frozen=True)
class RemoveBomLine:
    bom_id: str
    line_id: str


@dataclass(frozen=True)
class ActivateBomVersion:
    bom_id: str


@dataclass(frozen=True)
class ObsoleteBomVersion:
    bom_id: str
