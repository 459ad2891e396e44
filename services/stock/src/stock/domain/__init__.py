"""The stock service's model. Standard library and invariant_kernel.errors/decimals/codes/units only."""

from __future__ import annotations

from invariant_kernel.codes import normalise_warehouse
from invariant_kernel.units import QUANTITY_LIMIT, ItemView, decimal_text, parse_quantity
from stock.domain.codes import (
    IN_TRANSIT_LOCATION,
    LocationKind,
    MovementType,
    ReservationPolicy,
    ReservationState,
    StockStatus,
    normalise_location,
    parse_enum,
    validate_lot,
)
from stock.domain.movements import (
    ADJUSTMENT_REASON_CODES,
    RETURN_TO_SUPPLIER,
    REWORK,
    STATUS_TRANSITIONS,
    AvailabilityDelta,
    MovementPlan,
    ReasonQuantity,
    availability_deltas,
    balances_after,
    plan_movement,
)
from stock.domain.places import LocationView, Place, StockKey, WarehouseView, parse_place
from stock.domain.reservations import DocumentRef, Reservation, grant
from stock.domain.thresholds import Crossing, CrossingKind, shortage, threshold_crossing

__all__ = [
    "ADJUSTMENT_REASON_CODES",
    "IN_TRANSIT_LOCATION",
    "QUANTITY_LIMIT",
    "RETURN_TO_SUPPLIER",
    "REWORK",
    "STATUS_TRANSITIONS",
    "AvailabilityDelta",
    "Crossing",
    "CrossingKind",
    "DocumentRef",
    "ItemView",
    "LocationKind",
    "LocationView",
    "MovementPlan",
    "MovementType",
    "Place",
    "ReasonQuantity",
    "Reservation",
    "ReservationPolicy",
    "ReservationState",
    "StockKey",
    "StockStatus",
    "WarehouseView",
    "availability_deltas",
    "balances_after",
    "decimal_text",
    "grant",
    "normalise_location",
    "normalise_warehouse",
    "parse_enum",
    "parse_place",
    "parse_quantity",
    "plan_movement",
    "shortage",
    "threshold_crossing",
    "validate_lot",
]
