"""MIL-STD-105E single sampling, normal inspection: the published plans, and every cell of the
tables held to the structure the standard prints them in, so that a typo in the data fails."""

from __future__ import annotations

from decimal import Decimal
from itertools import pairwise

import pytest

from invariant_kernel.errors import DomainError, ErrorCode
from quality.domain.sampling import (
    AQLS,
    CODE_LETTERS,
    DOWN,
    MASTER_TABLE,
    SAMPLE_SIZES,
    TABLE_I,
    UP,
    InspectionLevel,
    code_letter,
    follow_arrows,
    plan_for_lot,
)

# The plans every summary of the standard quotes: lot size, AQL → letter, sample, Ac, Re.
PUBLISHED = [
    (100, "2.5", "F", 20, 1, 2),
    (1_000, "1.0", "J", 80, 2, 3),
    (1_000, "2.5", "J", 80, 5, 6),
    (1_000, "4.0", "J", 80, 7, 8),
]

# The accept numbers of a row, from its Ac 0 plan on (Re is always Ac + 1).
ACCEPT_NUMBERS = [0, 1, 2, 3, 5, 7, 10, 14, 21, 30, 44]


@pytest.mark.parametrize(("lot_size", "aql", "letter", "sample", "accept", "reject"), PUBLISHED)
def test_the_published_plans_come_out_of_the_tables(
    lot_size: int, aql: str, letter: str, sample: int, accept: int, reject: int
) -> None:
    plan = plan_for_lot(lot_size, Decimal(aql))

    assert (plan.code_letter, plan.sample_size, plan.accept, plan.reject) == (letter, sample, accept, reject)
    assert not plan.every_unit


def test_level_two_letters_follow_the_lot_sizes_of_table_one() -> None:
    firsts = {2: "A", 9: "B", 16: "C", 26: "D", 51: "E", 91: "F", 151: "G", 281: "H", 501: "J"}
    firsts |= {1_201: "K", 3_201: "L", 10_001: "M", 35_001: "N", 150_001: "P", 500_001: "Q"}
    for first, letter in firsts.items():
        assert code_letter(first) == letter
        assert code_letter(first - 1) != letter or first == 2
    assert code_letter(1) == "A"
    assert code_letter(10**9) == "Q"


def test_table_one_is_contiguous_and_each_level_climbs_one_letter_at_most_per_row() -> None:
    for above, below in pairwise(TABLE_I):
        assert above[1] is not None and below[0] == above[1] + 1
    for column in (2, 3, 4):
        letters = [CODE_LETTERS.index(row[column]) for row in TABLE_I]
        assert all(0 <= b - a <= 1 for a, b in pairwise(letters))
    # Level III is one letter above level II; level I up to two below it.
    for row in TABLE_I:
        i, ii, iii = (CODE_LETTERS.index(letter) for letter in row[2:])
        assert iii == ii + 1
        assert 0 <= ii - i <= 2


def test_sample_sizes_follow_the_standards_preferred_numbers() -> None:
    assert list(SAMPLE_SIZES) == list(CODE_LETTERS)
    sizes = list(SAMPLE_SIZES.values())
    assert sizes[:3] == [2, 3, 5]
    # From C on each size is about 1.6 times the one before (the R5 series of preferred numbers).
    for before, after in pairwise(sizes[2:]):
        assert Decimal("1.5") <= Decimal(after) / Decimal(before) <= Decimal("1.7")
    assert sizes[3:] == [8, 13, 20, 32, 50, 80, 125, 200, 315, 500, 800, 1_250, 2_000]


def row_ac0_column(letter: str) -> int:
    """Where the row's Ac 0 plan sits: F at 0.65, one AQL step further left per row down."""
    return AQLS.index(Decimal("0.65")) + CODE_LETTERS.index("F") - CODE_LETTERS.index(letter)


def last_accept_number(letter: str) -> int:
    """Plans above AQL 10 are printed for the smallest samples only: A ends at Ac 30, B to E
    at Ac 44, and from F on every row ends at Ac 21."""
    if letter == "A":
        return 30
    return 44 if letter in "BCDE" else 21


@pytest.mark.parametrize("letter", CODE_LETTERS)
def test_every_cell_of_the_master_table_keeps_the_standards_structure(letter: str) -> None:
    start = row_ac0_column(letter)
    expected: list[str] = []
    for column in range(len(AQLS)):
        offset = column - start
        if offset < 0:
            expected.append(DOWN)
        elif offset == 0:
            expected.append("0/1")
        elif offset == 1:
            expected.append(UP)
        elif offset == 2:
            expected.append(DOWN)
        elif offset - 2 < len(ACCEPT_NUMBERS) and ACCEPT_NUMBERS[offset - 2] <= last_accept_number(letter):
            accept = ACCEPT_NUMBERS[offset - 2]
            expected.append(f"{accept}/{accept + 1}")
        else:
            expected.append(UP)
    printed = [cell.arrow or f"{cell.accept}/{cell.reject}" for cell in MASTER_TABLE[letter]]

    assert printed == expected


def test_every_plan_rejects_at_one_more_than_it_accepts() -> None:
    for row in MASTER_TABLE.values():
        for cell in row:
            assert cell.arrow or cell.reject == cell.accept + 1


@pytest.mark.parametrize("letter", CODE_LETTERS)
def test_every_arrow_leads_to_a_plan_in_its_column(letter: str) -> None:
    for column, cell in enumerate(MASTER_TABLE[letter]):
        found = follow_arrows(letter, column)
        assert not MASTER_TABLE[found][column].arrow
        if cell.arrow == DOWN and letter != CODE_LETTERS[-1]:
            assert CODE_LETTERS.index(found) > CODE_LETTERS.index(letter)
        if cell.arrow == UP and letter != CODE_LETTERS[0]:
            assert CODE_LETTERS.index(found) < CODE_LETTERS.index(letter)


def test_a_down_arrow_takes_the_plan_below_with_its_sample_size() -> None:
    # Lot 100 (F) at AQL 0.15: ↓ past G and H to J, which holds 0/1 with a sample of 80.
    plan = plan_for_lot(100, "0.15")

    assert (plan.table_letter, plan.code_letter, plan.sample_size, plan.accept, plan.reject) == ("F", "J", 80, 0, 1)


def test_an_up_arrow_takes_the_plan_above_with_its_sample_size() -> None:
    # Lot 100 (F) at AQL 1.0: ↑ to E, which holds 0/1 with a sample of 13.
    plan = plan_for_lot(100, "1.0")

    assert (plan.table_letter, plan.code_letter, plan.sample_size, plan.accept, plan.reject) == ("F", "E", 13, 0, 1)
    # Lot 5,000 (L) at AQL 10: ↑ past L's end to K, whose last plan is 21/22 of 125.
    plan = plan_for_lot(5_000, "10")
    assert (plan.code_letter, plan.sample_size, plan.accept, plan.reject) == ("K", 125, 21, 22)


def test_an_arrow_off_the_table_is_followed_the_other_way() -> None:
    # Row A's ↑ at AQL 10 has nothing above it: the nearest plan is below, C's 1/2 of 5.
    assert follow_arrows("A", AQLS.index(Decimal(10))) == "C"
    # Row R's ↓ at AQL 0.015 has nothing below it: up through Q's ↑ to P's 0/1 of 800.
    assert follow_arrows("R", AQLS.index(Decimal("0.015"))) == "P"


def test_a_sample_as_large_as_the_lot_means_inspecting_every_unit() -> None:
    # Lot 10 (B) at AQL 0.65: ↓ to F, a sample of 20 from 10 units.
    plan = plan_for_lot(10, "0.65")

    assert plan.every_unit
    assert (plan.code_letter, plan.sample_size, plan.accept, plan.reject) == ("F", 10, 0, 1)


def test_the_inspection_level_chooses_the_letter() -> None:
    assert plan_for_lot(1_000, "2.5", InspectionLevel.I).code_letter == "G"
    assert plan_for_lot(1_000, "2.5", InspectionLevel.III).code_letter == "K"
    assert plan_for_lot(600_000, "0.65", InspectionLevel.III).code_letter == "R"


@pytest.mark.parametrize("lot_size", [0, -3])
def test_a_lot_of_no_units_is_refused_naming_the_lot_size(lot_size: int) -> None:
    with pytest.raises(DomainError) as refused:
        plan_for_lot(lot_size, "2.5")

    assert (refused.value.code, refused.value.field) == (ErrorCode.OUT_OF_RANGE, "lot_size")


@pytest.mark.parametrize("aql", ["2.0", "0.01O", "", "-1", "1e400"])
def test_an_aql_outside_the_series_is_refused_naming_the_aql(aql: str) -> None:
    with pytest.raises(DomainError) as refused:
        plan_for_lot(100, aql)

    assert refused.value.field == "aql"


def test_an_aql_is_matched_by_value_however_it_is_written() -> None:
    assert plan_for_lot(100, "2.50") == plan_for_lot(100, Decimal("2.5"))
    assert plan_for_lot(100, "0.1") == plan_for_lot(100, "0.10")
