"""The Count aggregate's rules, in memory: its states from plan to posted, who may count and
approve, and what each step hands back to be written."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from counting.domain import counts
from counting.domain.commands import GivenEntry
from counting.domain.counts import Acting, BookBalance, Count, CountState, Level, Tolerance
from counting.domain.entries import CountedEntry, KnownEntry, Lookup, Taken, checked, counted
from counting.domain.events import AdjustmentApproved, ApprovedLine, CountPosted
from counting.domain.lines import Line, LineState, LineSummary, RoundRecord, VarianceTotals
from counting.domain.policies import ApprovalLimits
from invariant_kernel.errors import DomainError, ErrorCode
from invariant_kernel.units import ItemView

D = Decimal
T0 = datetime(2025, 6, 30, 8, tzinfo=UTC)
SAM = Acting("sam", frozenset({"supervisor"}), T0)
FAY = Acting("fay", frozenset({"finance"}), T0)
ANN = Acting("ann", frozenset({"operator"}), T0)
BOB = Acting("bob", frozenset({"operator"}), T0)
BOLT = ItemView("BOLT", "EA", {"BOX": D(12)})


def planned(**fields: object) -> Count:
    given: dict[str, object] = {
        "warehouse": "wh1",
        "kind": "",
        "blind": True,
        "locations": [],
        "item_skus": [],
        "abc_class": "",
        "tolerance": Tolerance(quantity=D(5)),
        "counters": ["ann", "bob"],
        "note": "",
        "in_transit_location": "ROAD",
        "acting": SAM,
    }
    return Count.plan(**(given | fields))  # type: ignore[arg-type]


def opened(*balances: BookBalance) -> tuple[Count, list[Line]]:
    count = planned()
    lines = count.open(balances or [BookBalance("BOLT", "A-01", "", D(10))], T0, SAM)
    return count, lines


def entry(line: Line, quantity: str, entry_id: str = "e-1", field: str = "entries[0]") -> CountedEntry:
    return CountedEntry(
        entry_id, line.id, line.item_sku, line.location, line.lot, D(quantity), quantity, "EA", T0, field
    )


def take(
    count: Count,
    entries: Sequence[CountedEntry],
    lines: Sequence[Line],
    acting: Acting = ANN,
    known: dict[str, KnownEntry] | None = None,
    counted_before: dict[tuple[str, int], list[str]] | None = None,
) -> Taken:
    by_id = {line.id: line for line in lines}
    at_places = {(line.item_sku, line.location, line.lot): line for line in lines}
    return count.take_entries(entries, Lookup(known or {}, by_id, at_places, counted_before or {}, 7), acting)


def refused(attempt: object, *args: object, **kwargs: object) -> DomainError:
    with pytest.raises(DomainError) as error:
        attempt(*args, **kwargs)  # type: ignore[operator]
    return error.value


def reviewed(differing: int = 1, absolute: str = "40") -> Count:
    count = planned(blind=False)
    count.state = CountState.REVIEW
    count.submit(0, VarianceTotals(3, differing, D(absolute), D(absolute)), ApprovalLimits(D(100), D(1000)), SAM)
    return count


def test_a_count_is_planned_in_draft_with_its_scope_tidied_and_the_step_recorded() -> None:
    count = planned(locations=[" a-02", "A-01", "a-01"], item_skus=["bolt"], counters=[" ann", "bob", ""])
    assert (count.warehouse, count.state, count.kind) == ("WH1", CountState.DRAFT, "SPOT")
    assert (count.locations, count.item_skus, count.counters) == (("A-01", "A-02"), ("BOLT",), ("ann", "bob"))
    assert [(t.from_state, t.to_state, t.actor) for t in count.new_transitions] == [("", "DRAFT", "sam")]


def test_goods_on_the_road_are_never_counted_in_transit() -> None:
    error = refused(planned, locations=["A-01", "road"])
    assert (error.code, error.field) == (ErrorCode.OUT_OF_RANGE, "locations[1]")
    assert refused(planned, abc_class="D").field == "abc_class"
    assert refused(planned, kind="WEEKLY").field == "kind"


def test_a_count_without_a_tolerance_of_its_own_is_judged_by_its_class_default() -> None:
    assert planned(abc_class="a", tolerance=Tolerance()).tolerance == Tolerance(percent=D(1), value=D(50))
    assert planned(tolerance=Tolerance(quantity=D(3))).tolerance == Tolerance(quantity=D(3))
    assert refused(Tolerance.parse, "-1", "", "").field == "tolerance.quantity"


def test_a_count_opens_a_line_per_place_in_location_item_lot_order_every_status_summed() -> None:
    count, lines = opened(
        BookBalance("NUT", "A-02", "", D(5)),
        BookBalance("BOLT", "A-02", "L2", D(1)),
        BookBalance("BOLT", "A-02", "L1", D(2)),
        BookBalance("BOLT", "A-01", "", D(7)),
        BookBalance("BOLT", "A-01", "", D(3)),
    )
    assert count.state is CountState.OPEN and count.opened_at == T0
    assert [(x.number, x.item_sku, x.location, x.lot, x.book_at_open) for x in lines] == [
        (1, "BOLT", "A-01", "", 10),
        (2, "BOLT", "A-02", "L1", 2),
        (3, "BOLT", "A-02", "L2", 1),
        (4, "NUT", "A-02", "", 5),
    ]
    assert refused(count.open, [], T0, SAM).code is ErrorCode.INVALID_STATE


def test_the_first_entry_moves_an_open_count_to_counting() -> None:
    count, lines = opened()
    taken = take(count, [entry(lines[0], "4")], lines)
    assert count.state is CountState.COUNTING
    assert taken.counted == [lines[0].id] and [e.counter for e in taken.entries] == ["ann"]
    again = take(count, [entry(lines[0], "4", "e-2")], [lines[0]._replace(state=LineState.COUNTED)])
    assert again.counted == [] and count.new_transitions[-1].to_state == "COUNTING"


def test_a_recount_needs_another_counter() -> None:
    count, (line,) = opened()
    recount = line._replace(state=LineState.RECOUNT, round=2)
    before = {(line.id, 1): ["ann"]}
    error = refused(take, count, [entry(recount, "9")], [recount], counted_before=before)
    assert (error.code, error.field) == (ErrorCode.PERMISSION_DENIED, "entries[0]")
    taken = take(count, [entry(recount, "9")], [recount], acting=BOB, counted_before=before)
    assert [(a.line_id, a.round, a.duplicate) for a in taken.answers] == [(line.id, 2, False)]


def test_an_entry_sent_twice_counts_once_and_an_id_is_kept_to_its_count() -> None:
    count, (line,) = opened()
    known = {"e-1": KnownEntry(count.id, line.id, 1)}
    taken = take(count, [entry(line, "4")], [line], known=known)
    assert [(a.duplicate, a.round) for a in taken.answers] == [(True, 1)] and not taken.entries
    assert count.state is CountState.OPEN  # nothing new was counted
    elsewhere = {"e-1": KnownEntry("another", line.id, 1)}
    assert refused(take, count, [entry(line, "4")], [line], known=elsewhere).code is ErrorCode.IDEMPOTENCY_KEY_REUSED
    twice = [entry(line, "1"), entry(line, "2", field="entries[1]")]
    assert refused(take, count, twice, [line]).field == "entries[1].entry_id"


def test_stock_the_book_did_not_know_gets_a_line_of_its_own_numbered_after_the_rest() -> None:
    count, lines = opened()
    found = CountedEntry("e-9", "", "NUT", "B-01", "", D(3), "3", "EA", T0, "entries[0]")
    more = found._replace(entry_id="e-10", quantity=D(1))
    taken = take(count, [found, more], lines)
    (new,) = taken.lines
    assert (new.number, new.origin, new.state, new.book_at_open) == (7, "FOUND", LineState.COUNTED, 0)
    assert {e.line_id for e in taken.entries} == {new.id} and taken.counted == []


def test_a_line_that_stands_takes_no_more_entries_nor_does_a_count_under_review() -> None:
    count, (line,) = opened()
    final = line._replace(state=LineState.FINAL)
    assert refused(take, count, [entry(final, "1")], [final]).code is ErrorCode.INVALID_STATE
    count.state = CountState.REVIEW
    assert refused(take, count, [entry(line, "1")], [line]).field == "count_id"


def test_an_entry_takes_a_lot_where_its_item_is_lot_tracked_in_any_unit_never_later_than_now() -> None:
    given = GivenEntry("e-1", "", "BOLT", "", "A-01", "", "2", "box", None)
    assert counted(given, ("BOLT", "A-01", ""), BOLT, "entries[0]", T0).quantity == 24
    tracked = replace(BOLT, lot_tracked=True)
    assert refused(counted, given, ("BOLT", "A-01", ""), tracked, "entries[0]", T0).field == "entries[0].lot"
    assert refused(counted, given, ("BOLT", "A-01", "L1"), BOLT, "entries[0]", T0).field == "entries[0].lot"
    future = given._replace(counted_at=T0 + timedelta(minutes=1))
    assert refused(counted, future, ("BOLT", "A-01", ""), BOLT, "entries[0]", T0).field == "entries[0].counted_at"
    assert refused(checked, [given._replace(location=" ")]).field == "entries[0].location"
    assert refused(checked, [given._replace(item_sku="")]).field == "entries[0].line_id"
    assert refused(checked, []).code is ErrorCode.REQUIRED


def test_a_round_closes_once_every_line_is_counted_and_the_count_is_reviewed_once_every_line_stands() -> None:
    count, _ = opened()
    error = refused(count.check_round_closes, LineSummary({"TO_COUNT": 2, "COUNTED": 1}), 4)
    assert "2 lines are not counted yet (first: line 4)" in error.message
    count.settle(LineSummary({"FINAL": 2, "RECOUNT": 1}), SAM)
    assert count.state is CountState.COUNTING
    count.settle(LineSummary({"FINAL": 3}), SAM)
    assert count.state is CountState.REVIEW


def test_a_supervisor_decides_which_round_of_a_line_under_investigation_stands() -> None:
    count, (line,) = opened()
    count.state = CountState.COUNTING
    rounds = [
        RoundRecord(1, D(8), T0, D(10), D(-2), False, ("ann",), {}),
        RoundRecord(2, D(12), T0, D(10), D(2), False, ("bob",), {}),
    ]
    investigated = line._replace(state=LineState.INVESTIGATION, round=2)
    stands = count.decide(investigated, line.id, rounds, 1, D(3), "ann was right", SAM)
    assert (stands.counted, stands.variance, stands.variance_value, stands.within_tolerance) == (8, -2, -6, True)
    assert count.new_transitions[-1].comment == "line 1: round 1 stands. ann was right"
    assert refused(count.decide, investigated, line.id, rounds, 3, D(3), "", SAM).field == "round"
    assert refused(count.decide, line, line.id, rounds, 1, D(3), "", SAM).field == "line_id"
    assert refused(count.decide, None, "nope", rounds, 1, D(3), "", SAM).code is ErrorCode.NOT_FOUND


def test_reasons_explain_every_line_or_none_naming_the_first_bad_one() -> None:
    count, (line,) = opened()
    count.state = CountState.REVIEW
    short = line._replace(variance=D(-40), number=3)
    active = frozenset({"ENTRY_ERROR", "COUNTING_ERROR"})
    explained = count.explain(
        [(short.id, [("entry_error", "30"), ("COUNTING_ERROR", "10")])], {short.id: short}, active
    )
    assert explained == {short.id: [("ENTRY_ERROR", D(30)), ("COUNTING_ERROR", D(10))]}
    error = refused(count.explain, [(short.id, [("ENTRY_ERROR", "30")])], {short.id: short}, active)
    assert (error.field, error.message) == ("lines[0].reasons", "line 3: reasons add up to 30, the variance is -40")
    assert refused(count.explain, [(short.id, [("ENTRY_ERROR", "-4")])], {short.id: short}, active).field == (
        "lines[0].reasons[0].quantity"
    )
    assert refused(count.explain, [("nope", [])], {}, active).field == "lines[0].line_id"


def test_a_count_is_submitted_once_explained_and_routed_by_the_value_of_its_variances() -> None:
    count = planned()
    count.state = CountState.REVIEW
    error = refused(count.submit, 2, VarianceTotals(3, 2, D(9), D(9)), ApprovalLimits(), SAM)
    assert (error.code, error.field) == (ErrorCode.REQUIRED, "reasons")
    assert reviewed(absolute="40").levels_required == (Level.SUPERVISOR,)
    assert reviewed(absolute="1000.01").levels_required == (Level.SUPERVISOR, Level.FINANCE, Level.MANAGER)
    assert reviewed().state is CountState.AWAITING_APPROVAL


def test_a_count_where_nothing_differs_is_approved_and_posted_when_submitted() -> None:
    count = reviewed(differing=0, absolute="0")
    assert count.state is CountState.POSTED
    assert [t.to_state for t in count.new_transitions][-2:] == ["APPROVED", "POSTED"]
    assert count.events == [CountPosted(count.id, "WH1", 3, 0, D(0))]


def test_nobody_approves_a_count_they_counted_or_at_two_levels_and_levels_go_in_order() -> None:
    count = reviewed(absolute="500")
    assert count.levels_required == (Level.SUPERVISOR, Level.FINANCE)
    assert refused(count.approve, "FINANCE", False, "", FAY).field == "level"
    assert refused(count.approve, "SUPERVISOR", True, "", SAM).field == "count_id"
    assert refused(count.approve, "SUPERVISOR", False, "", ANN).code is ErrorCode.PERMISSION_DENIED
    assert refused(count.approve, "BOSS", False, "", SAM).code is ErrorCode.INVALID_FORMAT
    assert count.approve("supervisor", False, " fine ", SAM) is False
    both = Acting("sam", frozenset({"supervisor", "finance"}), T0)
    assert refused(count.approve, "FINANCE", False, "", both).code is ErrorCode.PERMISSION_DENIED
    assert count.approve("FINANCE", False, "", FAY) is True
    assert count.state is CountState.APPROVED
    assert [(a.level, a.actor, a.comment) for a in count.new_approvals] == [
        (Level.SUPERVISOR, "sam", "fine"),
        (Level.FINANCE, "fay", ""),
    ]


def test_an_approved_count_sends_its_differences_to_stock_in_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(counts, "PART_LINES", 2)
    count = reviewed()
    count.approve("SUPERVISOR", False, "", SAM)
    differing = [ApprovedLine(f"L{n}", "BOLT", "A-01", "", D(-1), (("ENTRY_ERROR", D(1)),), T0) for n in range(5)]
    count.send(differing)
    parts = [e for e in count.events if isinstance(e, AdjustmentApproved)]
    assert [(p.part, p.parts, len(p.lines)) for p in parts] == [(1, 3, 2), (2, 3, 2), (3, 3, 1)]
    assert count.awaits_stock() and count.state is CountState.APPROVED
    count.posted(VarianceTotals(9, 5, D(-5), D(5)), SAM)
    assert count.events[-1] == CountPosted(count.id, "WH1", 9, 5, D(-5)) and not count.awaits_stock()


def test_a_rejection_needs_a_comment_and_voids_the_approvals_given() -> None:
    count = reviewed(absolute="500")
    count.approve("SUPERVISOR", False, "", SAM)
    assert refused(count.reject, "FINANCE", " ", FAY).field == "comment"
    assert refused(count.reject, "FINANCE", "recount", ANN).code is ErrorCode.PERMISSION_DENIED
    count.reject("finance", "recount aisle A", FAY)
    assert (count.state, count.approvals, count.approvals_voided, count.levels_required) == (
        CountState.REVIEW,
        [],
        True,
        (),
    )
    assert count.new_transitions[-1].comment == "rejected at FINANCE: recount aisle A"


def test_a_blind_count_shows_a_counter_no_book_while_it_is_counted_and_cancels_until_approved() -> None:
    count, _ = opened()
    assert count.blind_to(frozenset({"operator"})) and not count.blind_to(frozenset({"supervisor"}))
    assert refused(count.require_shown, frozenset({"operator"}), "the ledger is", "count_id").code is (
        ErrorCode.PERMISSION_DENIED
    )
    count.state = CountState.REVIEW
    assert not count.blind_to(frozenset({"operator"}))
    count.cancel(" wrong aisle ", SAM)
    assert (count.state, count.new_transitions[-1].comment) == (CountState.CANCELLED, "wrong aisle")
    assert refused(count.cancel, "again", SAM).code is ErrorCode.INVALID_STATE
    assert refused(count.check_exports).field == "count_id"
