"""Cycle-count planning: ABC classes from issue value, which items are due, and how the
due items are split into counts a team can finish.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from invariant_kernel.decimals import MONEY_PLACES, parse_decimal
from invariant_kernel.errors import DomainError, ErrorCode

DEFAULT_A_PERCENT = Decimal(80)
DEFAULT_B_PERCENT = Decimal(95)
DEFAULT_PERIOD = timedelta(days=365)
PERCENT_PLACES = 4


class AbcClass(StrEnum):
    A = "A"
    B = "B"
    C = "C"


@dataclass(frozen=True)
class Classified:
    item_sku: str
    abc_class: AbcClass
    issue_value: Decimal


def abc_percents(a_percent: str, b_percent: str) -> tuple[Decimal, Decimal]:
    """The cumulative shares (percent) that make A, and A plus B; empty means the default."""
    a = _percent(a_percent, "a_percent", DEFAULT_A_PERCENT)
    b = _percent(b_percent, "b_percent", DEFAULT_B_PERCENT)
    if a > b:
        raise DomainError(ErrorCode.OUT_OF_RANGE, "b_percent must be at least a_percent", "b_percent")
    return a, b


def _percent(raw: str, field: str, default: Decimal) -> Decimal:
    if not raw.strip():
        return default
    value = parse_decimal(raw, field, places=PERCENT_PLACES, minimum=Decimal(0))
    if value > 100:
        raise DomainError(ErrorCode.OUT_OF_RANGE, f"{field} must be at most 100", field)
    return value


def issue_days(start: datetime | None, end: datetime | None, now: datetime) -> tuple[date, date]:
    """The first day and the day after the last whose issues count for [start, end).

    Issue value is kept per day, so a day counts when the period touches any part of it.
    An unset end is now; an unset start is a year before the end.
    """
    end = end or now
    start = start or end - DEFAULT_PERIOD
    if start >= end:
        raise DomainError(ErrorCode.OUT_OF_RANGE, "to_time must be after from_time", "to_time")
    last = (end - timedelta(microseconds=1)).date()
    return start.date(), last + timedelta(days=1)


def classify(values: Mapping[str, Decimal], a_percent: Decimal, b_percent: Decimal) -> list[Classified]:
    """ABC classes of the items in `values` (item → issue value), highest value first.

    An item is A when the value of the items worth more than it is still under
    a_percent of the total, that is when it is among the items that make up the first
    a_percent of value; B likewise under b_percent; C otherwise. Items of equal value
    share a class, whatever their SKUs. An item with no issue value is C, and so is
    every item when nothing was issued. Shares are compared as `before * 100 < percent *
    total`, so no division rounds an item across a boundary.
    """
    total = sum(values.values(), Decimal(0))
    ranked = sorted(values.items(), key=lambda pair: (-pair[1], pair[0]))
    found: list[Classified] = []
    before = Decimal(0)
    group_start = Decimal(0)
    previous: Decimal | None = None
    for sku, value in ranked:
        if value != previous:
            group_start, previous = before, value
        if value > 0 and group_start * 100 < a_percent * total:
            abc = AbcClass.A
        elif value > 0 and group_start * 100 < b_percent * total:
            abc = AbcClass.B
        else:
            abc = AbcClass.C
        found.append(Classified(sku, abc, value))
        before += value
    return found


@dataclass(frozen=True)
class CyclePolicy:
    """How often each class is counted, and how much one planned count may hold; the
    defaults hold for a warehouse until someone sets its policy."""

    a_days: int = 30
    b_days: int = 91
    c_days: int = 182
    capacity: int = 200
    large_adjustment_value: Decimal = Decimal(500)

    def days_for(self, abc_class: str) -> int:
        """An item not classified yet is counted as often as a C item."""
        return {"A": self.a_days, "B": self.b_days}.get(abc_class, self.c_days)


def cycle_policy(a_days: int, b_days: int, c_days: int, capacity: int, large_adjustment_value: str) -> CyclePolicy:
    for name, number in (("a_days", a_days), ("b_days", b_days), ("c_days", c_days), ("capacity", capacity)):
        if number < 1:
            raise DomainError(ErrorCode.OUT_OF_RANGE, f"policy.{name} must be at least 1", f"policy.{name}")
    value = parse_decimal(
        large_adjustment_value, "policy.large_adjustment_value", places=MONEY_PLACES, minimum=Decimal(0)
    )
    return CyclePolicy(a_days, b_days, c_days, capacity, value)


class Trigger(StrEnum):
    DUE_BY_CLASS = "DUE_BY_CLASS"
    NEVER_COUNTED = "NEVER_COUNTED"
    SHORTAGE = "SHORTAGE"
    NEGATIVE_BALANCE_ATTEMPT = "NEGATIVE_BALANCE_ATTEMPT"
    LARGE_ADJUSTMENT = "LARGE_ADJUSTMENT"
    FAILED_PICK = "FAILED_PICK"


@dataclass(frozen=True)
class LastCount:
    """An item's lines on the last posted count that counted it in the warehouse."""

    counted_at: datetime
    # (location, lot) places it was found at: what its next count will likely open.
    lines: int
    # Σ |variance value| of those lines.
    adjusted_value: Decimal


@dataclass(frozen=True)
class ItemHistory:
    item_sku: str
    # "" while no class has been computed for the item.
    abc_class: str
    last_count: LastCount | None
    # When each fact reported about the item (SHORTAGE, NEGATIVE_BALANCE_ATTEMPT, FAILED_PICK) last happened.
    reported: Mapping[Trigger, datetime] = field(default_factory=dict)
    # Where a pick of it came up short (location → when it last did).
    failed_picks: Mapping[str, datetime] = field(default_factory=dict)


@dataclass(frozen=True)
class DueItem:
    item_sku: str
    abc_class: str
    triggers: tuple[Trigger, ...]
    # The lines its count is expected to open: as many as on its last count, else one.
    # Lines come from the book only when a count opens, so planning can only estimate.
    lines: int
    # The locations a pick of it came up short at since its last count: places to spot count.
    failed_at: tuple[str, ...] = ()

    @property
    def cycle_counted(self) -> bool:
        """Whether its count is a cycle count of all its places: not when a failed pick is the
        only reason it is due, as the spot count of that place answers it."""
        return self.triggers != (Trigger.FAILED_PICK,) or not self.failed_at


def due_items(histories: Sequence[ItemHistory], policy: CyclePolicy, day: date) -> list[DueItem]:
    """The items to count on `day`, each with every reason it is due, in SKU order.

    Due by class when at least the class's days have passed since the day it was last
    counted; never counted; a fact reported after its last count (a shortage, an attempted
    negative balance, a failed pick); or its last count adjusted more than the policy's large
    adjustment value.
    """
    due = []
    for item in sorted(histories, key=lambda h: h.item_sku):
        last = item.last_count
        triggers = []
        if last is None:
            triggers.append(Trigger.NEVER_COUNTED)
        elif (day - last.counted_at.date()).days >= policy.days_for(item.abc_class):
            triggers.append(Trigger.DUE_BY_CLASS)
        triggers.extend(
            kind
            for kind in Trigger
            if kind in item.reported and (last is None or item.reported[kind] > last.counted_at)
        )
        if last is not None and last.adjusted_value > policy.large_adjustment_value:
            triggers.append(Trigger.LARGE_ADJUSTMENT)
        if triggers:
            lines = max(last.lines, 1) if last is not None else 1
            failed_at = tuple(
                sorted(loc for loc, at in item.failed_picks.items() if last is None or at > last.counted_at)
            )
            due.append(DueItem(item.item_sku, item.abc_class, tuple(triggers), lines, failed_at))
    return due


@dataclass(frozen=True)
class SpotCount:
    """A spot count of the places picks came up short at, of the items that did."""

    locations: tuple[str, ...]
    item_skus: tuple[str, ...]

    @property
    def places(self) -> str:
        return ", ".join(self.locations)


def spot_counts(due: Sequence[DueItem]) -> list[SpotCount]:
    """Spot counts of the items due for failed picks alone, one per set of places (an item
    is on one count a day), in location order. An item due for more is cycle counted at all
    its places, the failed ones among them, and never on two counts at once: each would post
    the same variance."""
    places: dict[tuple[str, ...], list[str]] = {}
    for item in due:
        if not item.cycle_counted:
            places.setdefault(item.failed_at, []).append(item.item_sku)
    return [SpotCount(locations, tuple(sorted(skus))) for locations, skus in sorted(places.items())]


# Classes in the order their counts are planned; unclassified items last.
_CLASS_ORDER = ("A", "B", "C", "")


@dataclass(frozen=True)
class PlannedCount:
    items: tuple[DueItem, ...]

    @property
    def abc_class(self) -> str:
        """The items' class when they share one, so that its default tolerance applies."""
        classes = {item.abc_class for item in self.items}
        return classes.pop() if len(classes) == 1 else ""


def split_into_counts(due: Sequence[DueItem], capacity: int) -> list[PlannedCount]:
    """Counts of at most `capacity` expected lines, one class each, items in SKU order.

    Each class is filled in turn, a count closed when the next item would not fit; an item
    is never split, so one expected to exceed the capacity alone gets a count of its own.
    """
    counts: list[PlannedCount] = []
    for abc in _CLASS_ORDER:
        current: list[DueItem] = []
        lines = 0
        for item in sorted((i for i in due if i.abc_class == abc), key=lambda i: i.item_sku):
            if current and lines + item.lines > capacity:
                counts.append(PlannedCount(tuple(current)))
                current, lines = [], 0
            current.append(item)
            lines += item.lines
        if current:
            counts.append(PlannedCount(tuple(current)))
    return counts
