"""The stock service's enumerations and the codes people type: warehouses, locations, lots.

- Warehouse code: 1 to 20 characters; upper-case letters, digits, '_' and '-'; starts
  with a letter (WAREHOUSE_PATTERN).
- Location code: 1 to 40 characters; upper-case letters, digits, '.', '_', '/' and '-';
  starts with a letter or digit (LOCATION_PATTERN).
- Lot number: 1 to 40 printable ASCII characters without spaces, kept as given (lots are
  printed by suppliers, and "a12" and "A12" may be different lots).

Warehouse and location codes are stripped and upper-cased before they are checked.
Enumerations parse both their own names ("AVAILABLE") and the proto enum names
("STOCK_STATUS_AVAILABLE"); the proto's *_UNSPECIFIED means the field was left unset.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import TypeVar

from invariant_kernel.codes import normalise_code
from invariant_kernel.errors import DomainError, ErrorCode, quoted

LOCATION_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9._/-]{0,39}")
LOT_PATTERN = re.compile(r"[!-~]{1,40}")
# The location every warehouse is created with, for transfers into it from other warehouses.
IN_TRANSIT_LOCATION = "IN_TRANSIT"


class MovementType(StrEnum):
    RECEIPT = "RECEIPT"
    ISSUE = "ISSUE"
    TRANSFER = "TRANSFER"
    SCRAP = "SCRAP"
    RETURN = "RETURN"
    ADJUSTMENT = "ADJUSTMENT"
    STATUS_CHANGE = "STATUS_CHANGE"


class StockStatus(StrEnum):
    AVAILABLE = "AVAILABLE"
    QC_HOLD = "QC_HOLD"
    REJECTED = "REJECTED"


class LocationKind(StrEnum):
    STORAGE = "STORAGE"
    RECEIVING = "RECEIVING"
    SHIPPING = "SHIPPING"
    QUARANTINE = "QUARANTINE"
    IN_TRANSIT = "IN_TRANSIT"


class ReservationPolicy(StrEnum):
    ALL_OR_NOTHING = "ALL_OR_NOTHING"
    PARTIAL = "PARTIAL"


class ReservationState(StrEnum):
    OPEN = "OPEN"
    CONSUMED = "CONSUMED"
    RELEASED = "RELEASED"
    EXPIRED = "EXPIRED"


_PROTO_PREFIXES: dict[type[StrEnum], str] = {
    MovementType: "MOVEMENT_TYPE_",
    StockStatus: "STOCK_STATUS_",
    LocationKind: "LOCATION_KIND_",
    ReservationPolicy: "RESERVATION_POLICY_",
}

E = TypeVar("E", bound=StrEnum)


def parse_enum(kind: type[E], raw: str, field: str) -> E:
    """`raw` as a member of `kind`: "QC_HOLD", "qc_hold" and "STOCK_STATUS_QC_HOLD" all parse."""
    name = raw.strip().upper().removeprefix(_PROTO_PREFIXES.get(kind, ""))
    if name in ("", "UNSPECIFIED"):
        raise DomainError(ErrorCode.REQUIRED, f"{field} is required", field)
    try:
        return kind(name)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise DomainError(
            ErrorCode.INVALID_FORMAT, f"{field} must be one of {allowed}, got {quoted(raw)}", field
        ) from None


def normalise_location(raw: str, field: str = "location") -> str:
    return normalise_code(
        raw,
        LOCATION_PATTERN,
        field,
        "a location code is 1 to 40 letters, digits, '.', '_', '/' or '-', starting with a letter or digit",
    )


def validate_lot(raw: str, field: str = "lot") -> str:
    """A lot number, stripped but case kept; empty stays empty (the item is not lot-tracked)."""
    lot = raw.strip()
    if lot and not LOT_PATTERN.fullmatch(lot):
        raise DomainError(
            ErrorCode.INVALID_FORMAT,
            f"{field} {quoted(raw)} is not valid: a lot number is 1 to 40 printable characters without spaces",
            field,
        )
    return lot
