"""What every order line holds: an item at a warehouse, its quantity as entered and in the
item's base unit, which is what stock holds."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class ItemLine:
    # 1, 2, … in the order given.
    line: int
    item_sku: str
    quantity: Decimal
    unit: str
    base_quantity: Decimal
    base_unit: str
    warehouse: str
