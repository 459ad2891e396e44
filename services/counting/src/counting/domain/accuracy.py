"""Inventory record accuracy (IRA) of posted counts, by warehouse, ABC class, counter,
reason or month."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple


class Grouping(StrEnum):
    WAREHOUSE = "WAREHOUSE"
    ABC_CLASS = "ABC_CLASS"
    COUNTER = "COUNTER"
    REASON = "REASON"
    MONTH = "MONTH"


class PostedLine(NamedTuple):
    """A line of a posted count, with what accuracy is made of."""

    id: str
    warehouse: str
    abc_class: str
    counted_at: datetime
    book: Decimal
    variance_value: Decimal | None
    # Whether its first round was within tolerance.
    first_round_within: bool
    standard_cost: Decimal | None
    # Who counted its first round.
    counters: tuple[str, ...]


@dataclass(frozen=True)
class AccuracyFigure:
    group: str
    lines: int
    within: int
    record_accuracy: Decimal
    value_accuracy: Decimal


def groups_of(
    line: PostedLine, grouping: Grouping, reasons: Mapping[str, Sequence[tuple[str, Decimal]]]
) -> tuple[str, ...]:
    """The groups a posted line counts in: a line counted by two counters counts for both."""
    match grouping:
        case Grouping.WAREHOUSE:
            return (line.warehouse,)
        case Grouping.ABC_CLASS:
            return (line.abc_class or "UNCLASSIFIED",)
        case Grouping.COUNTER:
            return line.counters
        case Grouping.REASON:
            return tuple(code for code, _ in reasons.get(line.id, [])) or ("NONE",)
    return (line.counted_at.strftime("%Y-%m"),)


def accuracy(
    lines: Sequence[PostedLine], grouping: Grouping, reasons: Mapping[str, Sequence[tuple[str, Decimal]]]
) -> list[AccuracyFigure]:
    """Inventory record accuracy per group: the share of lines right at the first count,
    and the value accuracy 1 - |variance value| / book value (1 when nothing was on the book
    and nothing was found)."""
    totals: dict[str, list[Decimal]] = {}
    for line in lines:
        cost = line.standard_cost or Decimal(0)
        for group in groups_of(line, grouping, reasons):
            count, within, book, off = totals.setdefault(group, [Decimal(0)] * 4)
            totals[group] = [
                count + 1,
                within + line.first_round_within,
                book + abs(line.book) * cost,
                off + abs(line.variance_value or Decimal(0)),
            ]
    figures = []
    for group in sorted(totals):
        count, within, book, off = totals[group]
        value = Decimal(1) - off / book if book else Decimal(0 if off else 1)
        figures.append(
            AccuracyFigure(
                group,
                int(count),
                int(within),
                (within / count).quantize(Decimal("0.0001")),
                max(value, Decimal(0)).quantize(Decimal("0.0001")),
            )
        )
    return figures
