"""Facts the counting service publishes (inventory.counting.*)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class ApprovedLine:
    line_id: str
    item_sku: str
    location: str
    lot: str
    # counted - book, base unit, never zero.
    variance: Decimal
    reasons: tuple[tuple[str, Decimal], ...]
    counted_at: datetime


@dataclass(frozen=True)
class AdjustmentApproved:
    """One part of an approved count's differences; parts keep each message small."""

    count_id: str
    warehouse: str
    part: int
    parts: int
    lines: tuple[ApprovedLine, ...]


@dataclass(frozen=True)
class CountPosted:
    count_id: str
    warehouse: str
    lines: int
    adjusted_lines: int
    variance_value: Decimal
