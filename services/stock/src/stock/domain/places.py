"""Where stock is: warehouses, their locations, and the place that keys a balance."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from invariant_kernel.codes import normalise_warehouse
from stock.domain.codes import (
    LocationKind,
    StockStatus,
    normalise_location,
    parse_enum,
    validate_lot,
)


class StockKey(NamedTuple):
    """An item in a warehouse: what availability, reservations and thresholds are kept for."""

    item_sku: str
    warehouse: str


@dataclass(frozen=True)
class Place:
    """A location of a warehouse, a lot (empty when the item is not lot-tracked) and a status.

    With the item's SKU it is the key of a balance.
    """

    warehouse: str
    location: str
    lot: str
    status: StockStatus

    def __str__(self) -> str:
        lot = f" lot {self.lot}" if self.lot else ""
        return f"{self.warehouse}/{self.location}{lot} ({self.status})"


@dataclass(frozen=True)
class LocationView:
    warehouse: str
    code: str
    kind: LocationKind


@dataclass(frozen=True)
class WarehouseView:
    code: str
    allow_negative_stock: bool
    in_transit_location: str


def parse_place(warehouse: str, location: str, lot: str, status: str, field: str) -> Place:
    """A place from a request's fields; `field` is the request field holding them ("from", "to").

    Codes are checked for their format here; whether they exist is for plan_movement.
    """
    prefix = f"{field}." if field else ""
    return Place(
        warehouse=normalise_warehouse(warehouse, f"{prefix}warehouse"),
        location=normalise_location(location, f"{prefix}location"),
        lot=validate_lot(lot, f"{prefix}lot"),
        status=parse_enum(StockStatus, status, f"{prefix}status"),
    )
