"""Facts the catalog's aggregates record; the service layer publishes them through the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class ItemUpserted:
    """The item's whole state after the change, so a replica needs no read-back."""

    item_id: str
    sku: str
    name: str
    base_unit: str
    units: tuple[tuple[str, Decimal], ...]
    barcodes: tuple[str, ...]
    standard_cost: Decimal
    lot_tracked: bool
    inspect_on_receipt: bool
    inspect_on_production: bool
    status: str
    version: int


@dataclass(frozen=True)
class ThresholdsChanged:
    item_id: str
    sku: str
    warehouse: str
    safety_stock: Decimal
    max_stock: Decimal


@dataclass(frozen=True)
class BomActivated:
    bom_id: str
    parent_sku: str
    version: int
    # Empty when no version was active before.
    replaced_bom_id: str
