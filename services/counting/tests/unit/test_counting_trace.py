"""Suggested causes for a count variance: what a supervisor reads first, and why."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from counting.domain.trace import Suspect, SuspectKind, TracedMovement, rank_suspects

T0 = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)
BOX = {"BOX": Decimal(12)}


def movement(
    movement_id: str,
    quantity: str,
    *,
    type: str = "ISSUE",
    document: str = "SO-1",
    actor: str = "ann",
    at: datetime = T0,
    posted_after: timedelta = timedelta(minutes=5),
    corrects: str = "",
) -> TracedMovement:
    return TracedMovement(
        movement_id=movement_id,
        type=type,
        quantity=Decimal(quantity),
        document_type="SO" if document.startswith("SO") else "PO",
        document_id=document,
        actor=actor,
        business_time=at,
        posted_at=at + posted_after,
        corrects_movement_id=corrects,
    )


def of_kind(suspects: list[Suspect], kind: SuspectKind) -> list[Suspect]:
    return [suspect for suspect in suspects if suspect.kind == kind]


def test_the_40_unit_issue_on_so_1_is_the_first_suspect_for_a_shelf_40_short_of_1200() -> None:
    issue = movement("M-2", "-40", document="SO-1", actor="ann", at=T0)
    others = [
        movement("M-1", "500", type="RECEIPT", document="PO-7", actor="bob", at=T0 - timedelta(days=2)),
        movement("M-3", "-15", document="SO-2", actor="bob", at=T0 + timedelta(hours=3)),
    ]
    variance = Decimal(1160) - Decimal(1200)

    suspects = rank_suspects(variance, [*others, issue], pack_sizes=BOX)

    first = suspects[0]
    assert first.kind == SuspectKind.MISSED_OR_DOUBLED_ENTRY
    assert first.rank == 100
    assert first.movements == (issue,)
    for fact in ("SO-1", "ann", "2025-03-04 09:00 UTC", "40"):
        assert fact in first.explanation
    assert len(of_kind(suspects, SuspectKind.MISSED_OR_DOUBLED_ENTRY)) == 1


def test_a_movement_of_the_opposite_quantity_is_a_doubled_entry_suspect() -> None:
    receipt = movement("M-1", "40", type="RECEIPT", document="PO-7", actor="bob")

    suspects = rank_suspects(Decimal(-40), [receipt], pack_sizes={})

    assert [(s.kind, s.rank, s.movements) for s in suspects] == [(SuspectKind.MISSED_OR_DOUBLED_ENTRY, 100, (receipt,))]
    assert "posted twice" in suspects[0].explanation


def test_the_second_of_two_equal_receipts_of_one_po_line_ranks_first_and_says_why() -> None:
    original = movement("M-1", "30", type="RECEIPT", document="PO-1", actor="ann", at=T0)
    again = movement("M-2", "30", type="RECEIPT", document="PO-1", actor="ann", at=T0 + timedelta(minutes=4))

    suspects = rank_suspects(Decimal(-30), [original, again], pack_sizes={})

    assert [(s.movements, s.rank) for s in suspects] == [((again,), 109), ((original,), 100)]
    assert "It is the second RECEIPT for PO PO-1 of the same quantity, 4 min after the first, by the same operator" in (
        suspects[0].explanation
    )


def test_a_repeat_by_another_operator_a_day_later_weighs_less_than_a_quick_one_by_the_same_hand() -> None:
    first = movement("M-1", "30", type="RECEIPT", document="PO-1", actor="ann", at=T0)
    next_day = movement("M-2", "30", type="RECEIPT", document="PO-1", actor="bob", at=T0 + timedelta(days=1))
    other_line = replace(movement("M-3", "30", type="RECEIPT", document="PO-1", actor="ann", at=T0), document_line="2")

    suspects = rank_suspects(Decimal(-30), [next_day, first, other_line], pack_sizes={})

    assert [(s.movements[0].movement_id, s.rank) for s in suspects] == [("M-2", 105), ("M-1", 100), ("M-3", 100)]
    assert "by bob after ann" in suspects[0].explanation


def test_every_movement_that_matches_the_variance_is_its_own_suspect() -> None:
    first = movement("M-1", "-40", document="SO-1", at=T0)
    second = movement("M-2", "-40", document="SO-9", at=T0 + timedelta(hours=1))

    suspects = rank_suspects(Decimal(-40), [second, first], pack_sizes={})

    assert [s.movements for s in suspects] == [(first,), (second,)]


def test_a_shortage_of_two_whole_boxes_is_a_pack_size_confusion() -> None:
    unrelated = movement("M-1", "-5")

    suspects = rank_suspects(Decimal(-24), [unrelated], pack_sizes=BOX)

    first = suspects[0]
    assert (first.kind, first.rank, first.movements) == (SuspectKind.PACK_SIZE_CONFUSION, 80, ())
    assert "2 BOX" in first.explanation


@pytest.mark.parametrize(
    ("variance", "pack_sizes"),
    [
        (Decimal(-25), BOX),
        (Decimal(-6), BOX),
        (Decimal(-3), {"EA": Decimal(1)}),
        (Decimal("-0.003"), {"G": Decimal("0.001")}),
    ],
    ids=["not-whole-boxes", "half-a-box", "pack-of-one", "smaller-than-the-base-unit"],
)
def test_a_variance_that_is_not_whole_packs_of_more_than_one_is_no_pack_size_confusion(
    variance: Decimal, pack_sizes: dict[str, Decimal]
) -> None:
    suspects = rank_suspects(variance, [movement("M-1", "-5")], pack_sizes=pack_sizes)

    assert of_kind(suspects, SuspectKind.PACK_SIZE_CONFUSION) == []


def test_twelve_keyed_in_boxes_where_twelve_units_were_meant_is_a_pack_size_confusion() -> None:
    # 12 EA arrived; 12 BOX (144) was posted, so the shelf is 132 short.
    receipt = movement("M-1", "144", type="RECEIPT", document="PO-7", actor="bob")

    suspects = rank_suspects(Decimal(12) - Decimal(144), [receipt], pack_sizes=BOX)

    packs = of_kind(suspects, SuspectKind.PACK_SIZE_CONFUSION)
    assert [(s.rank, s.movements) for s in packs] == [(80, (receipt,))]
    assert suspects[0] == packs[0]
    for fact in ("PO-7", "bob", "144", "12 BOX", "132"):
        assert fact in packs[0].explanation


def test_twelve_keyed_in_units_where_twelve_boxes_were_meant_is_a_pack_size_confusion() -> None:
    # 12 BOX (144) arrived; 12 EA was posted, so the shelf is 132 over.
    receipt = movement("M-1", "12", type="RECEIPT", document="PO-7", actor="bob")

    suspects = rank_suspects(Decimal(144) - Decimal(12), [receipt], pack_sizes=BOX)

    packs = of_kind(suspects, SuspectKind.PACK_SIZE_CONFUSION)
    assert [(s.rank, s.movements) for s in packs] == [(80, (receipt,))]
    assert "surplus of 132" in packs[0].explanation


def test_backdated_and_correcting_movements_are_found_and_timely_ones_are_not() -> None:
    backdated = movement("M-1", "-3", document="SO-1", at=T0, posted_after=timedelta(hours=5))
    correction = movement("M-2", "2", type="ADJUSTMENT", document="SO-2", at=T0 + timedelta(hours=1), corrects="M-0")
    on_time = movement("M-3", "-4", document="SO-3", at=T0 + timedelta(hours=2), posted_after=timedelta(minutes=59))
    at_the_limit = movement("M-4", "-6", document="SO-4", at=T0 + timedelta(hours=3), posted_after=timedelta(hours=1))

    suspects = rank_suspects(Decimal(-7), [on_time, correction, at_the_limit, backdated], pack_sizes={})

    found = of_kind(suspects, SuspectKind.CORRECTION_OR_BACKDATED)
    assert [(s.rank, s.movements) for s in found] == [(60, (backdated,)), (60, (correction,))]
    assert "5 h 0 min after" in found[0].explanation
    assert "corrects movement M-0" in found[1].explanation


def test_the_backdating_threshold_can_be_set() -> None:
    late = movement("M-1", "-3", posted_after=timedelta(minutes=20))

    assert of_kind(rank_suspects(Decimal(-7), [late], pack_sizes={}), SuspectKind.CORRECTION_OR_BACKDATED) == []
    tight = rank_suspects(Decimal(-7), [late], pack_sizes={}, backdated_after=timedelta(minutes=15))
    assert [s.movements for s in of_kind(tight, SuspectKind.CORRECTION_OR_BACKDATED)] == [(late,)]


def test_stock_in_transit_explains_a_shortage_but_not_a_surplus() -> None:
    shortage = rank_suspects(Decimal(-30), [], pack_sizes={}, in_transit=Decimal(20))
    surplus = rank_suspects(Decimal(30), [], pack_sizes={}, in_transit=Decimal(20))
    nothing_on_the_road = rank_suspects(Decimal(-30), [], pack_sizes={}, in_transit=Decimal(0))

    assert [(s.kind, s.rank) for s in shortage] == [(SuspectKind.IN_TRANSIT, 50)]
    assert "20 of the shortage of 30" in shortage[0].explanation
    assert surplus == []
    assert nothing_on_the_road == []


def test_stock_on_qc_hold_explains_a_shortage_but_not_a_surplus() -> None:
    shortage = rank_suspects(Decimal(-30), [], pack_sizes={}, in_inspection=Decimal(45))
    surplus = rank_suspects(Decimal(30), [], pack_sizes={}, in_inspection=Decimal(45))

    assert [(s.kind, s.rank) for s in shortage] == [(SuspectKind.INSPECTION_UNDECIDED, 50)]
    assert "30 of the shortage of 30" in shortage[0].explanation
    assert surplus == []


def test_recurring_operators_rank_by_how_often_they_recur_and_never_above_a_late_movement() -> None:
    ann = movement("M-1", "-1", actor="ann", at=T0)
    bob = movement("M-2", "-2", actor="bob", at=T0 + timedelta(hours=1))
    cat_first = movement("M-3", "-3", actor="cat", at=T0 + timedelta(hours=2))
    cat_late = movement("M-4", "-4", actor="cat", at=T0 + timedelta(hours=3), posted_after=timedelta(days=2))
    dan = movement("M-5", "-5", actor="dan", at=T0 + timedelta(hours=4))

    suspects = rank_suspects(
        Decimal(-100),
        [dan, cat_late, bob, ann, cat_first],
        pack_sizes={},
        other_variance_lines_by_actor={"ann": 3, "bob": 12, "cat": 30, "dan": 0, "eve": 9},
    )

    assert suspects[0].kind == SuspectKind.CORRECTION_OR_BACKDATED
    recurring = of_kind(suspects, SuspectKind.RECURRING_OPERATOR)
    assert [(s.rank, s.movements) for s in recurring] == [
        (59, (cat_first, cat_late)),
        (52, (bob,)),
        (43, (ann,)),
    ]
    assert "cat posted 2 movements" in recurring[0].explanation
    assert "30 other variance lines" in recurring[0].explanation


def test_a_zero_variance_has_no_suspects() -> None:
    suspects = rank_suspects(
        Decimal("0.000"),
        [movement("M-1", "0"), movement("M-2", "12", corrects="M-0", posted_after=timedelta(days=3))],
        pack_sizes=BOX,
        in_transit=Decimal(5),
        in_inspection=Decimal(5),
        other_variance_lines_by_actor={"ann": 9},
    )

    assert suspects == []


def test_the_order_is_rank_then_kind_and_does_not_depend_on_the_order_of_the_ledger() -> None:
    ledger = [
        movement("M-1", "-24", actor="ann", at=T0, posted_after=timedelta(hours=2)),
        movement("M-2", "-12", actor="bob", at=T0 + timedelta(hours=1)),
        movement("M-3", "-24", actor="bob", at=T0 + timedelta(hours=2), corrects="M-1"),
    ]

    def trace(movements: list[TracedMovement]) -> list[Suspect]:
        return rank_suspects(
            Decimal(-24),
            movements,
            pack_sizes={"TRAY": Decimal(3), "CASE": Decimal(24), "BOX": Decimal(12)},
            in_transit=Decimal(10),
            in_inspection=Decimal(10),
            other_variance_lines_by_actor={"ann": 1, "bob": 1},
        )

    forward, backward = trace(ledger), trace(ledger[::-1])

    assert forward == backward
    assert [(s.kind, s.rank, [m.movement_id for m in s.movements]) for s in forward] == [
        (SuspectKind.MISSED_OR_DOUBLED_ENTRY, 100, ["M-1"]),
        (SuspectKind.MISSED_OR_DOUBLED_ENTRY, 100, ["M-3"]),
        (SuspectKind.PACK_SIZE_CONFUSION, 80, []),
        (SuspectKind.PACK_SIZE_CONFUSION, 80, []),
        (SuspectKind.PACK_SIZE_CONFUSION, 80, ["M-2"]),
        (SuspectKind.CORRECTION_OR_BACKDATED, 60, ["M-1"]),
        (SuspectKind.CORRECTION_OR_BACKDATED, 60, ["M-3"]),
        (SuspectKind.IN_TRANSIT, 50, []),
        (SuspectKind.INSPECTION_UNDECIDED, 50, []),
        (SuspectKind.RECURRING_OPERATOR, 41, ["M-1"]),
        (SuspectKind.RECURRING_OPERATOR, 41, ["M-2", "M-3"]),
    ]


def test_floats_and_naive_times_are_refused() -> None:
    with pytest.raises(TypeError):
        rank_suspects(-40.0, [], pack_sizes={})  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        rank_suspects(Decimal(-40), [], pack_sizes={"BOX": 12.0})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="timezone-aware"):
        movement("M-1", "-40", at=datetime(2025, 3, 4, 9, 0))


KINDS = list(SuspectKind)
RANKS = {
    SuspectKind.MISSED_OR_DOUBLED_ENTRY: range(100, 101),
    SuspectKind.PACK_SIZE_CONFUSION: range(80, 81),
    SuspectKind.CORRECTION_OR_BACKDATED: range(60, 61),
    SuspectKind.IN_TRANSIT: range(50, 51),
    SuspectKind.INSPECTION_UNDECIDED: range(50, 51),
    SuspectKind.RECURRING_OPERATOR: range(41, 60),
}
QUANTITIES = st.integers(-150, 150).map(Decimal) | st.sampled_from([Decimal("-0.5"), Decimal("1.25"), Decimal(144)])


@st.composite
def ledgers(draw: st.DrawFn) -> list[TracedMovement]:
    ledger = []
    for index in range(draw(st.integers(0, 8))):
        at = T0 + timedelta(minutes=draw(st.integers(0, 600)))
        ledger.append(
            TracedMovement(
                movement_id=f"M-{index}",
                type=draw(st.sampled_from(["RECEIPT", "ISSUE", "TRANSFER", "ADJUSTMENT"])),
                quantity=draw(QUANTITIES),
                document_type="SO",
                document_id=f"SO-{draw(st.integers(1, 3))}",
                actor=draw(st.sampled_from(["ann", "bob", "cat", ""])),
                business_time=at,
                posted_at=at + timedelta(minutes=draw(st.sampled_from([0, 30, 60, 61, 600]))),
                corrects_movement_id=draw(st.sampled_from(["", "M-X"])),
            )
        )
    return ledger


@given(
    variance=QUANTITIES,
    ledger=ledgers(),
    in_transit=st.integers(0, 50).map(Decimal),
    in_inspection=st.integers(0, 50).map(Decimal),
    other_lines=st.dictionaries(st.sampled_from(["ann", "bob", "cat", "dan"]), st.integers(0, 40)),
    data=st.data(),
)
def test_suspects_are_sorted_name_only_input_movements_and_ignore_the_ledger_order(
    variance: Decimal,
    ledger: list[TracedMovement],
    in_transit: Decimal,
    in_inspection: Decimal,
    other_lines: dict[str, int],
    data: st.DataObject,
) -> None:
    def trace(movements: list[TracedMovement]) -> list[Suspect]:
        return rank_suspects(
            variance,
            movements,
            pack_sizes={"BOX": Decimal(12), "PACK": Decimal(6), "EA": Decimal(1)},
            in_transit=in_transit,
            in_inspection=in_inspection,
            other_variance_lines_by_actor=other_lines,
        )

    suspects = trace(ledger)

    assert suspects == trace(data.draw(st.permutations(ledger)))
    if variance == 0:
        assert suspects == []
    keys = [(-s.rank, KINDS.index(s.kind)) for s in suspects]
    assert keys == sorted(keys)
    for suspect in suspects:
        assert suspect.rank in RANKS[suspect.kind]
        assert all(m in ledger for m in suspect.movements)
        assert suspect.explanation
    exact = of_kind(suspects, SuspectKind.MISSED_OR_DOUBLED_ENTRY)
    assert sorted(m.movement_id for s in exact for m in s.movements) == sorted(
        m.movement_id for m in ledger if variance != 0 and abs(m.quantity) == abs(variance)
    )
    if variance >= 0:
        assert of_kind(suspects, SuspectKind.IN_TRANSIT) == of_kind(suspects, SuspectKind.INSPECTION_UNDECIDED) == []
