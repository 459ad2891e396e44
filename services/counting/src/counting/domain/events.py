"""Facts the counting service publishes (inventory.counting.*)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from counting.domain.lines import Line


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

    @classmethod
    def of(cls, line: Line, reasons: Sequence[tuple[str, Decimal]]) -> ApprovedLine:
        """A line whose difference stands (its variance and count time are set)."""
        assert line.variance is not None and line.counted_at is not None
        return cls(line.id, line.item_sku, line.location, line.lot, line.variance, tuple(reasons), line.counted_at)


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
