"""The catalog's model: items and BOMs. Standard library and invariant_kernel.errors/decimals only."""

from __future__ import annotations

from catalog.domain.boms import (
    BomLine,
    BomState,
    BomVersion,
    Explosion,
    ExplosionNode,
    Requirement,
    Usage,
    check_no_cycle,
    effective,
    explode,
    find_cycle,
    where_used,
)
from catalog.domain.events import BomActivated, ItemUpserted, ThresholdsChanged
from catalog.domain.items import (
    Barcode,
    FieldChange,
    Item,
    ItemStatus,
    JsonValue,
    Symbology,
    Thresholds,
    normalise_sku,
    normalise_unit,
    validate_barcode,
)
from invariant_kernel.codes import normalise_warehouse
from invariant_kernel.units import decimal_text

__all__ = [
    "Barcode",
    "BomActivated",
    "BomLine",
    "BomState",
    "BomVersion",
    "Explosion",
    "ExplosionNode",
    "FieldChange",
    "Item",
    "ItemStatus",
    "ItemUpserted",
    "JsonValue",
    "Requirement",
    "Symbology",
    "Thresholds",
    "ThresholdsChanged",
    "Usage",
    "check_no_cycle",
    "decimal_text",
    "effective",
    "explode",
    "find_cycle",
    "normalise_sku",
    "normalise_unit",
    "normalise_warehouse",
    "validate_barcode",
    "where_used",
]
