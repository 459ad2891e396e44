"""Closing a round: each counted line judged against its book as of its count time.

A line's book is every status at its place, summed (DESIGN 3.3); the movements in its
window (opened → counted) say it moved while it was counted. Lines are closed in parts of
consecutive numbers, each part judged as soon as stock has answered for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from counting.domain.counts import Outcome, RoundFound, Tolerance, judge, value_of
from counting.domain.lines import LineState, RoundRecord, Standing


class ClosingLine(NamedTuple):
    """A line of the closing round: where it is and what its entries add up to."""

    line_id: str
    item_sku: str
    location: str
    lot: str
    round: int
    moved_during_count: bool
    opened_at: datetime
    counted: Decimal
    counted_at: datetime
    counters: tuple[str, ...]


class Book(NamedTuple):
    """A line's book as of its count."""

    quantity: Decimal
    # Movements in its window that changed the quantity.
    movements: int
    # The quantity's non-zero parts by stock status, shown to reviewers.
    statuses: Mapping[str, Decimal]


class ClosedLine(NamedTuple):
    """A line's closed round and what it does to the line."""

    line_id: str
    found: RoundRecord
    # Who moved stock at the place in the round's window.
    actors: tuple[str, ...]
    state: LineState
    next_round: int
    # Set when the round stands: what its variance is worth.
    variance_value: Decimal | None
    within_tolerance: bool
    # Set on a first round: what record accuracy is made of.
    first_round_within: bool | None
    moved_during_count: bool

    @property
    def standing(self) -> Standing | None:
        """What the line takes when its round stands."""
        if self.variance_value is None:
            return None
        found = self.found
        return Standing(
            found.counted, found.counted_at, found.book, found.variance, self.variance_value, self.within_tolerance
        )


def close(
    tolerance: Tolerance,
    lines: Sequence[ClosingLine],
    books: Sequence[Book],
    earlier: Mapping[str, Sequence[RoundRecord]],
    costs: Mapping[str, Decimal],
    actors: Mapping[str, tuple[str, ...]],
) -> list[ClosedLine]:
    """Each line's round judged against its book (`books` in the lines' order): it stands,
    is recounted, or goes to investigation (`judge`), the round before a recount's
    (`earlier`, by line) being its second opinion."""
    closed = []
    for line, book in zip(lines, books, strict=True):
        cost = costs.get(line.item_sku, Decimal(0))
        found = RoundFound(line.round, line.counted, book.quantity)
        before = earlier.get(line.line_id)
        prior = RoundFound(before[-1].round, before[-1].counted, before[-1].book) if before else None
        variance = found.variance
        within = tolerance.allows(variance, found.book, cost)
        # A round within tolerance stands (judge's first rule), asked once of most lines.
        outcome = Outcome.STANDS if within else judge(found, prior, tolerance, cost)
        moved = book.movements > 0
        state, next_round = LineState.FINAL, line.round
        if outcome is Outcome.RECOUNT:
            state, next_round = LineState.RECOUNT, line.round + 1
        elif outcome is Outcome.INVESTIGATE:
            state = LineState.INVESTIGATION
        closed.append(
            ClosedLine(
                line.line_id,
                RoundRecord(
                    line.round,
                    found.counted,
                    line.counted_at,
                    found.book,
                    variance,
                    moved,
                    line.counters,
                    book.statuses,
                ),
                actors.get(line.line_id, ()),
                state,
                next_round,
                value_of(variance, cost) if outcome is Outcome.STANDS else None,
                within,
                within if line.round == 1 else None,
                line.moved_during_count or moved,
            )
        )
    return closed
