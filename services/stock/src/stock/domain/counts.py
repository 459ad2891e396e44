"""Where a count's difference at a place goes, status by status.

A counter counts what is at a place, whatever its status: goods in QC_HOLD or REJECTED
are on the shelf too. A count line's book is therefore every status at the place, summed
(the in-transit location is never counted), and its difference is posted to the statuses
it belongs to:

- a gain goes to AVAILABLE, unless the place holds held stock only: goods found beside
  goods under inspection (or rejected) are held with them, so that they skip no inspection;
- a loss is taken from REJECTED first, then QC_HOLD, then AVAILABLE, each as far as its
  stock goes: rejected goods wait to be scrapped or sent back and are the likeliest to
  have left without a posting, goods under inspection the next likeliest. What no status
  holds (stock moved out since the count) comes off AVAILABLE.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from stock.domain.codes import StockStatus

LOSS_ORDER = (StockStatus.REJECTED, StockStatus.QC_HOLD, StockStatus.AVAILABLE)
HELD = (StockStatus.QC_HOLD, StockStatus.REJECTED)


def difference_by_status(variance: Decimal, book: Mapping[StockStatus, Decimal]) -> list[tuple[StockStatus, Decimal]]:
    """A count line's signed difference split over statuses (non-zero parts, same sign),
    given the place's balance in each status."""
    if variance > 0:
        held = [status for status in HELD if book.get(status, Decimal(0)) > 0]
        if held and book.get(StockStatus.AVAILABLE, Decimal(0)) <= 0:
            return [(held[0], variance)]
        return [(StockStatus.AVAILABLE, variance)]
    left = -variance
    parts: dict[StockStatus, Decimal] = {}
    for status in LOSS_ORDER:
        taken = min(left, max(book.get(status, Decimal(0)), Decimal(0)))
        if taken > 0:
            parts[status] = taken
            left -= taken
    if left > 0:
        parts[StockStatus.AVAILABLE] = parts.get(StockStatus.AVAILABLE, Decimal(0)) + left
    return [(status, -taken) for status, taken in parts.items()]


def reasons_by_part(
    reasons: Sequence[tuple[str, Decimal]], parts: Sequence[Decimal]
) -> list[list[tuple[str, Decimal]]]:
    """The reasons of a difference (adding up to its size) shared out over its parts in order,
    so that each part's reasons add up to its own size; a reason may straddle two parts."""
    shared: list[list[tuple[str, Decimal]]] = [[] for _ in parts]
    index, room = 0, [abs(part) for part in parts]
    for code, quantity in reasons:
        left = quantity
        while left > 0 and index < len(parts):
            given = min(left, room[index])
            if given > 0:
                shared[index].append((code, given))
            left -= given
            room[index] -= given
            if room[index] == 0:
                index += 1
    return shared
