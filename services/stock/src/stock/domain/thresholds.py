"""Safety and maximum stock alerts, and shortages.

Available to promise is below safety stock when ATP < safety, and above maximum stock
when ATP > maximum. An alert fires when a change moves ATP from one side of a level to
the other, and only then, so a stream of movements that stays below safety raises one
alert, not one per movement.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class CrossingKind(StrEnum):
    BELOW_SAFETY = "BELOW_SAFETY"
    BACK_ABOVE_SAFETY = "BACK_ABOVE_SAFETY"
    ABOVE_MAX = "ABOVE_MAX"
    BACK_BELOW_MAX = "BACK_BELOW_MAX"


@dataclass(frozen=True)
class Crossing:
    kind: CrossingKind
    level: Decimal


def threshold_crossing(
    before_atp: Decimal, after_atp: Decimal, safety: Decimal | None, maximum: Decimal | None
) -> list[Crossing]:
    """The levels crossed going from `before_atp` to `after_atp`, in the order they were crossed.

    None means no such level for this item and warehouse.
    """
    crossings: list[Crossing] = []
    if safety is not None:
        if before_atp >= safety > after_atp:
            crossings.append(Crossing(CrossingKind.BELOW_SAFETY, safety))
        elif before_atp < safety <= after_atp:
            crossings.append(Crossing(CrossingKind.BACK_ABOVE_SAFETY, safety))
    if maximum is not None:
        if before_atp <= maximum < after_atp:
            crossings.append(Crossing(CrossingKind.ABOVE_MAX, maximum))
        elif before_atp > maximum >= after_atp:
            crossings.append(Crossing(CrossingKind.BACK_BELOW_MAX, maximum))
    if after_atp < before_atp:
        crossings.reverse()
    return crossings


def shortage(available_on_hand: Decimal, reserved: Decimal) -> Decimal:
    """How much of what is reserved is not on hand any more (an issue or a loss took it)."""
    return max(Decimal(0), reserved - available_on_hand)
