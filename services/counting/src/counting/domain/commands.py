"""What the counting service is asked to do, as its handlers take it: the fields as given,
checked by the aggregate and the rules they reach."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

# (reason code, quantity) as given.
ReasonsGiven = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class CreateCount:
    warehouse: str
    kind: str
    blind: bool
    locations: Sequence[str]
    item_skus: Sequence[str]
    abc_class: str
    # Quantity, percent and value limits as decimal strings, empty where unset.
    tolerance: tuple[str, str, str]
    counters: Sequence[str]
    note: str


@dataclass(frozen=True)
class OpenCount:
    count_id: str


class GivenEntry(NamedTuple):
    """An entry as a handheld sends it: its line, or the item (by SKU or barcode) and where it
    was found. Thousands come in one upload: a tuple is the lightest to make."""

    entry_id: str
    line_id: str
    item_sku: str
    barcode: str
    location: str
    lot: str
    quantity: str
    unit: str
    # None: when it arrives.
    counted_at: datetime | None


@dataclass(frozen=True)
class SubmitEntries:
    count_id: str
    entries: Sequence[GivenEntry]


@dataclass(frozen=True)
class FinishRound:
    count_id: str


@dataclass(frozen=True)
class DecideLine:
    count_id: str
    line_id: str
    round: int
    comment: str


@dataclass(frozen=True)
class ExplainLine:
    count_id: str
    line_id: str
    reasons: ReasonsGiven


@dataclass(frozen=True)
class ExplainLines:
    count_id: str
    # (line id, its reasons).
    lines: Sequence[tuple[str, ReasonsGiven]]


@dataclass(frozen=True)
class SubmitForApproval:
    count_id: str


@dataclass(frozen=True)
class Approve:
    count_id: str
    level: str
    comment: str


@dataclass(frozen=True)
class Reject:
    count_id: str
    level: str
    comment: str


@dataclass(frozen=True)
class CancelCount:
    count_id: str
    reason: str


@dataclass(frozen=True)
class SetApprovalPolicy:
    warehouse: str
    supervisor_limit: str
    finance_limit: str


@dataclass(frozen=True)
class SetReasonCode:
    code: str
    name: str
    active: bool


@dataclass(frozen=True)
class ComputeAbcClasses:
    warehouse: str
    from_time: datetime | None
    to_time: datetime | None
    a_percent: str
    b_percent: str


@dataclass(frozen=True)
class SetCyclePolicy:
    warehouse: str
    a_days: int
    b_days: int
    c_days: int
    capacity: int
    large_adjustment_value: str


@dataclass(frozen=True)
class PlanCounts:
    warehouse: str
    # The day's time; None: today.
    date: datetime | None
    counters: Sequence[str]
