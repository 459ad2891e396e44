"""Purchase suggestions: what to buy for a place whose available to promise fell below its
safety stock, worked by a buyer into a purchase order or dismissed with a reason.

A suggestion brings available to promise plus what is already on order up to max stock, in
whole packs of the supplier. A place has at most one OPEN suggestion at a time, and none is
drafted when the place is no longer below safety stock or when what is on order covers it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_CEILING, Decimal
from enum import StrEnum

from invariant_kernel.errors import DomainError, ErrorCode
from invariant_kernel.limits import TEXT, bounded


class SuggestionState(StrEnum):
    OPEN = "OPEN"
    CONVERTED = "CONVERTED"
    DISMISSED = "DISMISSED"


@dataclass(frozen=True)
class PlaceFigures:
    """A place's stock as stock and the catalog tell it when a crossing is handled, in the
    base unit; `max_stock` None when the catalog sets none."""

    available_to_promise: Decimal
    safety_stock: Decimal | None
    max_stock: Decimal | None


@dataclass(frozen=True)
class Source:
    """The supplier chosen for an item and its pack size (None: any quantity)."""

    supplier: str
    pack_size: Decimal | None


def suggested_quantity(figures: PlaceFigures, on_order: Decimal, pack_size: Decimal | None) -> Decimal:
    """What to order so that available to promise plus on order reaches max stock (safety
    stock where no max is set), rounded up to whole packs; zero when nothing is needed,
    including when the place is no longer below its safety stock."""
    safety = figures.safety_stock
    if safety is None or figures.available_to_promise >= safety:
        return Decimal(0)
    target = figures.max_stock if figures.max_stock is not None else safety
    short = target - (figures.available_to_promise + on_order)
    if short <= 0:
        return Decimal(0)
    if pack_size is None or pack_size <= 0:
        return short
    packs = (short / pack_size).to_integral_value(rounding=ROUND_CEILING)
    return packs * pack_size


@dataclass
class Suggestion:
    id: str
    item_sku: str
    warehouse: str
    # In the item's base unit.
    quantity: Decimal
    base_unit: str
    supplier: str
    pack_size: Decimal | None
    figures: PlaceFigures
    on_order: Decimal
    state: SuggestionState
    created_at: datetime
    # The crossing it was drafted for.
    cause: str = ""
    purchase_order: str = ""
    reason: str = ""
    decided_by: str = ""
    decided_at: datetime | None = None

    def require_open(self, field: str) -> None:
        if self.state is not SuggestionState.OPEN:
            raise DomainError(ErrorCode.INVALID_STATE, f"suggestion {self.id} is {self.state}, not OPEN", field)

    def convert(self, purchase_order: str, actor: str, now: datetime) -> None:
        self.require_open("suggestion_ids")
        self.state = SuggestionState.CONVERTED
        self.purchase_order = purchase_order
        self.decided_by, self.decided_at = actor, now

    def dismiss(self, reason: str, actor: str, now: datetime) -> None:
        self.require_open("id")
        why = reason.strip()
        if not why:
            raise DomainError(ErrorCode.REQUIRED, "a dismissal needs a reason", "reason")
        self.state = SuggestionState.DISMISSED
        self.reason = bounded(why, "reason", TEXT)
        self.decided_by, self.decided_at = actor, now
