"""The commands that fulfil a confirmed sales order: pick by scan, ship, close."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PickLine:
    """A picker at `location` scanned `barcode` (and `lot` where the item is lot-tracked)
    and took `quantity` in `unit` (empty: the item's base unit) for an order line."""

    number: str
    line: int
    location: str
    barcode: str
    lot: str
    quantity: str
    unit: str


@dataclass(frozen=True)
class ShortPick:
    """A picker found only `found` (base unit) at a location the pick list named for a line."""

    number: str
    line: int
    location: str
    lot: str
    found: str


@dataclass(frozen=True)
class ShipSalesOrder:
    number: str


@dataclass(frozen=True)
class CloseSalesOrder:
    number: str
