"""Sampling by attributes: MIL-STD-105E single sampling plans for normal inspection.

The same plans as ANSI/ASQ Z1.4 and ISO 2859-1. Table I gives a lot's sample size code
letter for an inspection level; Table II-A gives, for each code letter and acceptable
quality level (AQL), the accept and reject numbers, or an arrow to the first plan below
(↓) or above (↑) in the same column, whose sample size is then used too. The tables are
kept as printed, so that a reader can hold them against a copy of the standard; the
tests check every cell against the table's regular structure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from invariant_kernel.decimals import parse_decimal
from invariant_kernel.errors import DomainError, ErrorCode, quoted


class InspectionLevel(StrEnum):
    I = "I"  # noqa: E741 - the standard's own name for the level
    II = "II"
    III = "III"


# The standard's series of AQLs, in percent nonconforming (nonconformities per 100 units
# above 10), in the order of Table II-A's columns.
SERIES = (
    "0.010 0.015 0.025 0.040 0.065 0.10 0.15 0.25 0.40 0.65 1.0 1.5 2.5 4.0 6.5 10 15 25 40 65 100 150 250 400 650 1000"
)
AQLS: tuple[Decimal, ...] = tuple(Decimal(text) for text in SERIES.split())

# Table I, general inspection levels: lot sizes from, to (None: and over), code letter at I, II, III.
TABLE_I: tuple[tuple[int, int | None, str, str, str], ...] = (
    (2, 8, "A", "A", "B"),
    (9, 15, "A", "B", "C"),
    (16, 25, "B", "C", "D"),
    (26, 50, "C", "D", "E"),
    (51, 90, "C", "E", "F"),
    (91, 150, "D", "F", "G"),
    (151, 280, "E", "G", "H"),
    (281, 500, "F", "H", "J"),
    (501, 1_200, "G", "J", "K"),
    (1_201, 3_200, "H", "K", "L"),
    (3_201, 10_000, "J", "L", "M"),
    (10_001, 35_000, "K", "M", "N"),
    (35_001, 150_000, "L", "N", "P"),
    (150_001, 500_000, "M", "P", "Q"),
    (500_001, None, "N", "Q", "R"),
)

# Table II-A's sample size per code letter.
SAMPLE_SIZES: dict[str, int] = {
    "A": 2,
    "B": 3,
    "C": 5,
    "D": 8,
    "E": 13,
    "F": 20,
    "G": 32,
    "H": 50,
    "J": 80,
    "K": 125,
    "L": 200,
    "M": 315,
    "N": 500,
    "P": 800,
    "Q": 1_250,
    "R": 2_000,
}

DOWN = "↓"
UP = "↑"

# Table II-A, single sampling plans for normal inspection: per code letter, one cell per AQL
# (the columns above, in two halves): "Ac/Re", or an arrow.
TABLE_II_A: dict[str, str] = {
    #    0.010 0.015 0.025 0.040 0.065 0.10  0.15  0.25  0.40  0.65  1.0   1.5   2.5
    #    4.0   6.5   10    15    25    40    65    100   150   250   400   650   1000
    "A": (
        "↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     "
        "↓     0/1   ↑     ↓     1/2   2/3   3/4   5/6   7/8   10/11 14/15 21/22 30/31"
    ),
    "B": (
        "↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     "
        "0/1   ↑     ↓     1/2   2/3   3/4   5/6   7/8   10/11 14/15 21/22 30/31 44/45"
    ),
    "C": (
        "↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     0/1   "
        "↑     ↓     1/2   2/3   3/4   5/6   7/8   10/11 14/15 21/22 30/31 44/45 ↑"
    ),
    "D": (
        "↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     0/1   ↑     "
        "↓     1/2   2/3   3/4   5/6   7/8   10/11 14/15 21/22 30/31 44/45 ↑     ↑"
    ),
    "E": (
        "↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     0/1   ↑     ↓     "
        "1/2   2/3   3/4   5/6   7/8   10/11 14/15 21/22 30/31 44/45 ↑     ↑     ↑"
    ),
    "F": (
        "↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     0/1   ↑     ↓     1/2   "
        "2/3   3/4   5/6   7/8   10/11 14/15 21/22 ↑     ↑     ↑     ↑     ↑     ↑"
    ),
    "G": (
        "↓     ↓     ↓     ↓     ↓     ↓     ↓     ↓     0/1   ↑     ↓     1/2   2/3   "
        "3/4   5/6   7/8   10/11 14/15 21/22 ↑     ↑     ↑     ↑     ↑     ↑     ↑"
    ),
    "H": (
        "↓     ↓     ↓     ↓     ↓     ↓     ↓     0/1   ↑     ↓     1/2   2/3   3/4   "
        "5/6   7/8   10/11 14/15 21/22 ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑"
    ),
    "J": (
        "↓     ↓     ↓     ↓     ↓     ↓     0/1   ↑     ↓     1/2   2/3   3/4   5/6   "
        "7/8   10/11 14/15 21/22 ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑"
    ),
    "K": (
        "↓     ↓     ↓     ↓     ↓     0/1   ↑     ↓     1/2   2/3   3/4   5/6   7/8   "
        "10/11 14/15 21/22 ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑"
    ),
    "L": (
        "↓     ↓     ↓     ↓     0/1   ↑     ↓     1/2   2/3   3/4   5/6   7/8   10/11 "
        "14/15 21/22 ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑"
    ),
    "M": (
        "↓     ↓     ↓     0/1   ↑     ↓     1/2   2/3   3/4   5/6   7/8   10/11 14/15 "
        "21/22 ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑"
    ),
    "N": (
        "↓     ↓     0/1   ↑     ↓     1/2   2/3   3/4   5/6   7/8   10/11 14/15 21/22 "
        "↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑"
    ),
    "P": (
        "↓     0/1   ↑     ↓     1/2   2/3   3/4   5/6   7/8   10/11 14/15 21/22 ↑     "
        "↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑"
    ),
    "Q": (
        "0/1   ↑     ↓     1/2   2/3   3/4   5/6   7/8   10/11 14/15 21/22 ↑     ↑     "
        "↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑"
    ),
    "R": (
        "↑     ↓     1/2   2/3   3/4   5/6   7/8   10/11 14/15 21/22 ↑     ↑     ↑     "
        "↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑     ↑"
    ),
}

CODE_LETTERS = tuple(TABLE_II_A)


@dataclass(frozen=True)
class Cell:
    """One cell of Table II-A: a plan (accept and reject numbers) or an arrow."""

    arrow: str = ""
    accept: int = 0
    reject: int = 0


def parse_row(row: str) -> tuple[Cell, ...]:
    cells = []
    for text in row.split():
        if text in (DOWN, UP):
            cells.append(Cell(arrow=text))
        else:
            accept, reject = text.split("/")
            cells.append(Cell(accept=int(accept), reject=int(reject)))
    if len(cells) != len(AQLS):
        raise ValueError(f"a row of Table II-A has {len(cells)} cells, not {len(AQLS)}")
    return tuple(cells)


MASTER_TABLE: dict[str, tuple[Cell, ...]] = {letter: parse_row(row) for letter, row in TABLE_II_A.items()}


@dataclass(frozen=True)
class SamplingPlan:
    """What to inspect of a lot and how to judge it.

    `table_letter` is the lot's code letter by Table I, `code_letter` the one whose plan
    applies once the arrows are followed (empty for a fixed sample). Where the plan's sample
    is at least the lot, every unit is inspected: `sample_size` is the lot's size and
    `every_unit` says so, with the plan's accept and reject numbers kept.
    """

    sample_size: int
    accept: int
    reject: int
    every_unit: bool = False
    table_letter: str = ""
    code_letter: str = ""


def code_letter(lot_size: int, level: InspectionLevel = InspectionLevel.II) -> str:
    """Table I: the sample size code letter of a lot of `lot_size` units."""
    if lot_size < 1:
        raise DomainError(ErrorCode.OUT_OF_RANGE, f"lot_size must be at least 1, not {lot_size}", "lot_size")
    column = 2 + list(InspectionLevel).index(level)
    for row in TABLE_I:
        upper = row[1]
        # A lot of one unit is sampled as the smallest lots are: all of it.
        if upper is None or lot_size <= upper:
            return str(row[column])
    raise AssertionError("Table I's last row has no upper bound")


def aql_column(aql: Decimal | str) -> int:
    """The column of Table II-A for an AQL of the standard's series; refused naming `aql` otherwise."""
    value = parse_decimal(aql, "aql", places=None, strictly_positive=True)
    for column, listed in enumerate(AQLS):
        if value == listed:
            return column
    shown = quoted(aql) if isinstance(aql, str) else str(aql)
    raise DomainError(ErrorCode.OUT_OF_RANGE, f"aql {shown} is not one of the standard's AQLs", "aql")


def follow_arrows(letter: str, column: int) -> str:
    """The code letter whose cell in `column` holds a plan, starting at `letter`'s cell and
    moving the way its arrow points. An arrow that points off the table (↑ in row A, ↓ in
    row R) is followed the other way, to the nearest plan the standard gives for that AQL."""
    start = CODE_LETTERS.index(letter)
    arrow = MASTER_TABLE[letter][column].arrow
    if not arrow:
        return letter
    step = 1 if arrow == DOWN else -1
    for direction in (step, -step):
        row = start + direction
        while 0 <= row < len(CODE_LETTERS):
            if not MASTER_TABLE[CODE_LETTERS[row]][column].arrow:
                return CODE_LETTERS[row]
            row += direction
    raise AssertionError(f"column {AQLS[column]} of Table II-A holds no plan")


def plan_for_lot(lot_size: int, aql: Decimal | str, level: InspectionLevel = InspectionLevel.II) -> SamplingPlan:
    """The single sampling plan, normal inspection, for a lot of `lot_size` units at `aql`."""
    table_letter = code_letter(lot_size, level)
    letter = follow_arrows(table_letter, aql_column(aql))
    cell = MASTER_TABLE[letter][aql_column(aql)]
    return sized_to_lot(
        SamplingPlan(SAMPLE_SIZES[letter], cell.accept, cell.reject, table_letter=table_letter, code_letter=letter),
        lot_size,
    )


def sized_to_lot(plan: SamplingPlan, lot_size: int) -> SamplingPlan:
    """`plan` for a lot of `lot_size` units: a sample of the whole lot where it asks as many or more."""
    if plan.sample_size < lot_size:
        return plan
    return SamplingPlan(lot_size, plan.accept, plan.reject, True, plan.table_letter, plan.code_letter)


def units_of(quantity: Decimal) -> int:
    """The lot size sampling counts for a quantity in the item's base unit: its whole units,
    a part unit counting as one (a base unit is the smallest thing one can take as a sample)."""
    return math.ceil(quantity)
