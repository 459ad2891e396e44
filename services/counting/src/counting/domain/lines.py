"""A count's lines: a place counted (item, location, lot), its state through the rounds,
and the figures a count's lines add up to. Lines are many and change in bulk, so they are
values handed to the `Count` and back, never a collection it loads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple


class LineState(StrEnum):
    TO_COUNT = "TO_COUNT"
    COUNTED = "COUNTED"
    RECOUNT = "RECOUNT"
    INVESTIGATION = "INVESTIGATION"
    FINAL = "FINAL"
    POSTED = "POSTED"


# Lines that still take entries in the current round.
OPEN_LINE_STATES = frozenset({LineState.TO_COUNT, LineState.COUNTED, LineState.RECOUNT})
# Lines the current round cannot close without.
PENDING_LINE_STATES = (LineState.TO_COUNT, LineState.RECOUNT)


class Origin(StrEnum):
    BOOK = "BOOK"
    FOUND = "FOUND"


# (item, location, lot): the place a line counts.
Key = tuple[str, str, str]


class Line(NamedTuple):
    """A count line as it is kept: the place, its state, and what stands once a round does."""

    id: str
    count_id: str
    number: int
    item_sku: str
    location: str
    lot: str
    origin: str
    state: str
    round: int
    book_at_open: Decimal
    opened_at: datetime
    counted: Decimal | None = None
    counted_at: datetime | None = None
    book: Decimal | None = None
    variance: Decimal | None = None
    variance_value: Decimal | None = None
    within_tolerance: bool | None = None
    first_round_within: bool | None = None
    moved_during_count: bool = False
    movement_id: str | None = None


@dataclass(frozen=True)
class LineSummary:
    """A count's lines by state: what its figures and its next step are made of."""

    by_state: Mapping[str, int]

    def _of(self, *states: LineState) -> int:
        return sum(self.by_state.get(state, 0) for state in states)

    @property
    def total(self) -> int:
        return sum(self.by_state.values())

    @property
    def counted(self) -> int:
        return self.total - self._of(LineState.TO_COUNT)

    @property
    def pending(self) -> int:
        """Lines the round cannot close without: not counted, or waiting for a recount."""
        return self._of(*PENDING_LINE_STATES)

    @property
    def recounts(self) -> int:
        return self._of(LineState.RECOUNT)

    @property
    def investigations(self) -> int:
        return self._of(LineState.INVESTIGATION)

    @property
    def unsettled(self) -> int:
        return self.total - self._of(LineState.FINAL, LineState.POSTED)


@dataclass(frozen=True)
class VarianceTotals:
    """A count's lines, those that differ, and what their variances are worth, net and absolute."""

    lines: int
    differing: int
    net: Decimal
    absolute: Decimal


class RoundRecord(NamedTuple):
    """What a closed round found on a line."""

    round: int
    counted: Decimal
    counted_at: datetime
    book: Decimal
    variance: Decimal
    moved: bool
    counters: tuple[str, ...]
    book_by_status: Mapping[str, Decimal]


class Standing(NamedTuple):
    """The round that stands on a line, and whether its variance is within tolerance."""

    counted: Decimal
    counted_at: datetime
    book: Decimal
    variance: Decimal
    variance_value: Decimal
    within_tolerance: bool
