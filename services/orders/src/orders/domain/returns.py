"""Customer returns (RMA): goods a customer sends back against a shipped order line. They go
into stock's QC_HOLD with the RMA as document, and quality decides them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from invariant_kernel.errors import DomainError, ErrorCode
from invariant_kernel.limits import TEXT, bounded

NUMBER_PREFIX = "RMA-"
# The document type stock's RETURN movements name a customer return by.
DOCUMENT_TYPE = "RMA"


def return_number(sequence: int) -> str:
    return f"{NUMBER_PREFIX}{sequence:06d}"


@dataclass(frozen=True)
class CreateReturn:
    number: str
    line: int
    quantity: str
    unit: str
    # Where the returned goods are put on hold; the lot they came from for a lot-tracked item.
    location: str
    lot: str
    reason: str


@dataclass(frozen=True)
class CustomerReturn:
    id: str
    number: str
    order_number: str
    line: int
    item_sku: str
    warehouse: str
    location: str
    lot: str
    # In the item's base unit.
    quantity: Decimal
    reason: str
    actor: str
    created_at: datetime
    # Stock's RETURN movement, once stock has posted it.
    movement_id: str = ""

    @classmethod
    def create(
        cls,
        *,
        id: str,
        number: str,
        order_number: str,
        line: int,
        item_sku: str,
        warehouse: str,
        location: str,
        lot: str,
        quantity: Decimal,
        reason: str,
        actor: str,
        now: datetime,
    ) -> CustomerReturn:
        why = bounded(reason.strip(), "reason", TEXT)
        if not why:
            raise DomainError(ErrorCode.REQUIRED, "reason is required: quality reads it", "reason")
        return cls(id, number, order_number, line, item_sku, warehouse, location, lot, quantity, why, actor, now)
