"""Counting's handlers over in-memory fakes of its repository, stock and the catalog: each
command as the dispatcher runs it (prepared, then in a transaction of its own)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from counting_fakes import (
    WAREHOUSE,
    CountingService,
    FakeCatalog,
    FakeCountingRepository,
    FakeStock,
    new_counting,
    reading,
)

from counting.domain import commands, counts
from counting.domain.commands import GivenEntry
from counting.domain.counts import CountState
from counting.domain.entries import Accepted
from counting.domain.events import AdjustmentApproved, CountPosted
from counting.domain.lines import LineState
from counting.domain.trace import SuspectKind
from counting.service import handlers, planning, queries, reports, rounds, tracing
from counting.service.queries import FIRST, CountView, LineView
from invariant_core import identity
from invariant_core.commands import Stale
from invariant_core.paging import PageQuery
from invariant_core.testing import FakeRecorder, refusal
from invariant_kernel.errors import ErrorCode, ItemsNotReplicatedError

D = Decimal
A01 = ("BOLT", "A-01", "")
SAM = ("sam", "supervisor")
FAY = ("fay", "finance")
ANN = ("ann", "operator")
BOB = ("bob", "operator")


@contextmanager
def acting(actor: str, *roles: str) -> Iterator[None]:
    with identity.acting(identity.Identity(actor=actor, roles=frozenset(roles))):
        yield


class Suite:
    """Counting with stock and the catalog beside it: BOLT (cost 30, barcode BOLT-EACH) is kept
    in counting's replica; NUT (barcode NUT-EACH) is in the catalog only."""

    def __init__(self) -> None:
        self.counting: CountingService = new_counting()
        self.stock = FakeStock()
        self.catalog = FakeCatalog(self.counting)
        self.catalog.create("BOLT", "30", "BOLT-EACH")
        self.catalog.create("NUT", "1", "NUT-EACH")
        self.catalog.keep("BOLT")

    async def create(self, **fields: object) -> CountView:
        given: dict[str, object] = {
            "warehouse": WAREHOUSE,
            "kind": "SPOT",
            "blind": False,
            "locations": [],
            "item_skus": [],
            "abc_class": "",
            # Wide: a round stands unless a test narrows it.
            "tolerance": ("2000", "", ""),
            "counters": ["ann", "bob"],
            "note": "",
        }
        with acting(*SAM):
            sited = await handlers.site(self.stock, commands.CreateCount(**(given | fields)))  # type: ignore[arg-type]
            return await self.counting.run(handlers.create_count, sited)

    async def open(self, count_id: str) -> CountView:
        with acting(*SAM):
            booked = await handlers.book(reading(self.counting), self.stock, commands.OpenCount(count_id))
            return await self.counting.run(handlers.open_count, booked)

    async def opened(self, **fields: object) -> tuple[str, list[LineView]]:
        count_id = (await self.create(**fields)).count.id
        await self.open(count_id)
        return count_id, await self.lines(count_id)

    async def enter(self, who: tuple[str, str], count_id: str, *entries: GivenEntry) -> list[Accepted]:
        with acting(*who):
            return await self.counting.run(handlers.submit_entries, commands.SubmitEntries(count_id, entries))

    async def finish(self, count_id: str) -> CountView:
        with acting(*SAM):
            closing = await rounds.close(reading(self.counting), self.stock, commands.FinishRound(count_id))
            return await self.counting.run(rounds.finish_round, closing)

    async def lines(self, count_id: str) -> list[LineView]:
        with acting(*SAM):
            every = PageQuery(1000, None, reverse=False)
            return await queries.list_lines(self.counting.repo, count_id, [], False, every)

    async def counted(self, count_id: str, *shelves: tuple[LineView, str]) -> CountView:
        """The lines counted once by ann and the round closed; reasons given for what differs."""
        await self.enter(ANN, count_id, *(at_line(line, shelf) for line, shelf in shelves))
        view = await self.finish(count_id)
        for closed in await self.lines(count_id):
            if closed.variance:
                size = str(abs(closed.variance))
                with acting(*SAM):
                    await self.counting.run(
                        handlers.explain_line,
                        commands.ExplainLine(count_id, closed.line.id, [("THEFT_OR_UNKNOWN", size)]),
                    )
        return view

    async def posted(self, count_id: str) -> None:
        """Submitted, approved by sam, and confirmed by stock line by line."""
        with acting(*SAM):
            await self.counting.run(handlers.submit_for_approval, commands.SubmitForApproval(count_id))
            await self.counting.run(handlers.approve, commands.Approve(count_id, "SUPERVISOR", ""))
        for event in self.counting.relay():
            if isinstance(event, AdjustmentApproved):
                movements = {line.line_id: f"MV-{line.line_id}" for line in event.lines}
                await self.counting.run(confirm, (event.count_id, movements))


async def confirm(uow: FakeRecorder, repo: FakeCountingRepository, posted: tuple[str, dict[str, str]]) -> None:
    """Stock's confirmation of the lines it posted (line id → movement id), as counting's consumer applies it."""
    await handlers.confirm_posted(uow, repo, *posted)


def at_line(line: LineView, quantity: str, unit: str = "", entry_id: str = "") -> GivenEntry:
    return GivenEntry(entry_id or f"e-{line.line.id}-{quantity}", line.line.id, "", "", "", "", quantity, unit, None)


def at_place(sku: str, location: str, quantity: str, entry_id: str, barcode: str = "") -> GivenEntry:
    return GivenEntry(entry_id, "", "" if barcode else sku, barcode, location, "", quantity, "", None)


@pytest.fixture
def suite() -> Suite:
    world = Suite()
    world.stock.move(A01, "1200", "olga", datetime(2025, 1, 6, tzinfo=UTC))
    return world


async def test_a_count_is_planned_in_a_warehouse_stock_knows_and_never_on_the_road(suite: Suite) -> None:
    view = await suite.create(locations=["a-01"])
    assert (view.count.state, view.count.locations, view.summary.total) == (CountState.DRAFT, ("A-01",), 0)
    unknown = await refusal(suite.create(warehouse="WH9"))
    assert (unknown.code, unknown.field) == (ErrorCode.NOT_FOUND, "warehouse")
    road = await refusal(suite.create(locations=["A-01", "ROAD"]))
    assert (road.code, road.field) == (ErrorCode.OUT_OF_RANGE, "locations[1]")
    assert list(suite.counting.repo.count_rows) == [view.count.id]


async def test_a_count_opens_from_the_book_stock_gave_before_its_transaction(suite: Suite) -> None:
    suite.stock.move(("NUT", "B-01", ""), "5", "olga", datetime(2025, 1, 6, tzinfo=UTC))
    count_id, lines = await suite.opened(item_skus=["BOLT"])
    assert [(x.line.number, x.line.item_sku, x.book_at_open) for x in lines] == [(1, "BOLT", 1200)]
    assert suite.stock.calls == ["warehouse", "balances"]
    again = await refusal(suite.open(count_id))
    assert (again.code, suite.stock.calls[-1]) == (ErrorCode.INVALID_STATE, "balances")  # stock is not asked again


async def test_an_item_the_replica_lacks_is_read_through_and_the_upload_taken_on_its_second_run(suite: Suite) -> None:
    count_id, _ = await suite.opened()
    upload = (at_place("NUT", "B-01", "2", "e-1"), at_place("", "B-02", "1", "e-2", barcode="NUT-EACH"))
    missing = await refusal(suite.enter(ANN, count_id, *upload))
    assert isinstance(missing, ItemsNotReplicatedError)
    assert (missing.code, missing.barcodes, missing.missing) == (
        ErrorCode.UNAVAILABLE,
        [("NUT-EACH", "entries[1].barcode")],
        [("NUT", "entries[0].item_sku")],
    )
    assert not suite.counting.repo.entry_rows
    assert await suite.catalog.read_through(missing)
    taken = await suite.enter(ANN, count_id, *upload)
    found = {x.line.location: x.line for x in await suite.lines(count_id)}
    assert [a.line_id for a in taken] == [found["B-01"].id, found["B-02"].id]
    assert (found["B-01"].origin, found["B-01"].number, found["B-02"].number) == ("FOUND", 2, 3)
    unknown = at_place("", "B-01", "1", "e-3", barcode="NOPE")
    assert (await refusal(suite.catalog.read_through(await refusal(suite.enter(ANN, count_id, unknown))))).field == (
        "entries[0].barcode"
    )


async def test_a_shelf_off_the_book_is_recounted_by_another_counter_and_stands_when_confirmed(suite: Suite) -> None:
    count_id, (line,) = await suite.opened(tolerance=("5", "", ""))
    await suite.enter(ANN, count_id, at_line(line, "96", "BOX"), at_line(line, "8"))
    view = await suite.finish(count_id)
    assert (view.count.state, view.summary.recounts) == (CountState.COUNTING, 1)
    denied = await refusal(suite.enter(ANN, count_id, at_line(line, "1160")))
    assert denied.code is ErrorCode.PERMISSION_DENIED
    assert [a.round for a in await suite.enter(BOB, count_id, at_line(line, "1160"))] == [2]
    view = await suite.finish(count_id)
    (closed,) = await suite.lines(count_id)
    assert view.count.state is CountState.REVIEW
    assert (closed.line.state, closed.counted, closed.variance, closed.variance_value) == ("FINAL", 1160, -40, -1200)
    assert [(r.round, r.counters) for r in closed.rounds] == [(1, ("ann",)), (2, ("bob",))]


async def test_entries_arriving_while_a_round_is_judged_send_it_back_to_be_judged_again(suite: Suite) -> None:
    count_id, (line,) = await suite.opened()
    await suite.enter(ANN, count_id, at_line(line, "1000"))
    with acting(*SAM):
        closing = await rounds.close(reading(suite.counting), suite.stock, commands.FinishRound(count_id))
    await suite.enter(ANN, count_id, at_line(line, "200"))
    with acting(*SAM):
        moved = await refusal(suite.counting.run(rounds.finish_round, closing))
    assert isinstance(moved, Stale) and moved.code is ErrorCode.INVALID_STATE
    assert not suite.counting.repo.round_rows
    assert (await suite.finish(count_id)).count.state is CountState.REVIEW


async def test_an_approved_count_goes_to_stock_in_parts_and_is_posted_with_its_last_confirmation(
    suite: Suite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(counts, "PART_LINES", 1)
    suite.stock.move(("BOLT", "A-02", ""), "10", "olga", datetime(2025, 1, 6, tzinfo=UTC))
    count_id, lines = await suite.opened()
    await suite.counted(count_id, *((line, "9") for line in lines))
    with acting(*SAM):
        export = await refusal(reports.export_adjustments(suite.counting.repo, count_id))
        assert export.code is ErrorCode.INVALID_STATE
        # A supervisor alone approves this much here.
        policy = commands.SetApprovalPolicy("wh1", "50000", "90000")
        assert (await suite.counting.run(handlers.set_approval_policy, policy))[0] == WAREHOUSE
        await suite.counting.run(handlers.submit_for_approval, commands.SubmitForApproval(count_id))
        approved = await suite.counting.run(handlers.approve, commands.Approve(count_id, "SUPERVISOR", "ok"))
    assert approved.count.state is CountState.APPROVED
    first, second = suite.counting.relay()
    assert isinstance(first, AdjustmentApproved) and isinstance(second, AdjustmentApproved)
    assert [(e.part, e.parts, [x.variance for x in e.lines]) for e in (first, second)] == [
        (1, 2, [-1191]),
        (2, 2, [-1]),
    ]
    for part in (first, second, first):
        await suite.counting.run(confirm, (count_id, {x.line_id: f"MV-{x.line_id}" for x in part.lines}))
    assert suite.counting.relay() == [CountPosted(count_id, WAREHOUSE, 2, 2, D("-35760"))]
    with acting(*SAM):
        _, csv = await reports.export_adjustments(suite.counting.repo, count_id)
        (row,) = await reports.record_accuracy(suite.counting.repo, WAREHOUSE, None, None, "")
    assert ",BOLT,A-01,,1200,9,-1191,LOSS,30,-35730,THEFT_OR_UNKNOWN 1191," in csv
    assert (row.group, row.lines, row.within) == (WAREHOUSE, 2, 2)


async def test_a_trace_writes_nothing_and_finds_an_operator_recurring_on_posted_variance_lines(suite: Suite) -> None:
    # olga moves stock at A-01 while it is being counted, and the shelf ends up short.
    count_id, (line,) = await suite.opened(item_skus=["BOLT"])
    suite.stock.move(A01, "-10", "olga", datetime.now(UTC))
    await suite.counted(count_id, (line, "1180"))
    assert [a for _, _, a in suite.counting.repo.round_actor_rows] == ["olga"]
    # Later she receives NUT at B-01 twice, and a count of it finds it short.
    for _ in range(2):
        suite.stock.move(("NUT", "B-01", ""), "6", "olga", datetime.now(UTC) - timedelta(hours=2))
    suite.catalog.keep("NUT")
    other_id, (nut,) = await suite.opened(item_skus=["NUT"])
    await suite.counted(other_id, (nut, "6"))

    async def trace() -> list[tracing.Suspect]:
        with acting(*SAM):
            found = await tracing.trace_line(reading(suite.counting), suite.stock, other_id, nut.line.id)
        return [s for s in found.suspects if s.kind is SuspectKind.RECURRING_OPERATOR]

    assert await trace() == []  # the first count is not posted yet: no history
    await suite.posted(count_id)
    before = repr(vars(suite.counting.repo))
    (recurring,) = await trace()
    assert "olga posted 2 movements on this line" in recurring.explanation
    assert "appears on 1 other variance line." in recurring.explanation and recurring.rank == 41
    assert repr(vars(suite.counting.repo)) == before


async def test_a_plan_makes_blind_cycle_counts_of_the_items_due_once_a_day(suite: Suite) -> None:
    day = datetime(2025, 6, 30, 9, tzinfo=UTC)
    await suite.counting.repo.add_issue(WAREHOUSE, "BOLT", day.date(), D(10))
    with acting(*SAM):
        plan = await suite.counting.run(planning.plan_counts, commands.PlanCounts(WAREHOUSE, day, ["ann"]))
        again = await suite.counting.run(planning.plan_counts, commands.PlanCounts(WAREHOUSE, day, ["ann"]))
    (view,) = plan.counts
    assert [(i.item_sku, [str(t) for t in i.triggers]) for i in plan.due] == [("BOLT", ["NEVER_COUNTED"])]
    assert (view.count.kind, view.count.blind, view.count.item_skus, view.count.note) == (
        "CYCLE",
        True,
        ("BOLT",),
        "cycle count planned for 2025-06-30",
    )
    assert (again.due, again.counts) == ([], [])


async def test_a_counter_sees_no_book_of_a_blind_count_and_is_handed_the_lines_left_to_them(suite: Suite) -> None:
    count_id, (line,) = await suite.opened(blind=True)
    with acting(*ANN):
        shown, remaining = await queries.next_line(suite.counting.repo, count_id)
        view = await queries.get_count(suite.counting.repo, count_id)
        hidden = await refusal(queries.list_lines(suite.counting.repo, count_id, [], True, FIRST))
    assert shown is not None and (shown.line.id, shown.book_at_open, remaining) == (line.line.id, None, 1)
    assert view.totals is None and hidden.field == "differing_only"
    await suite.enter(ANN, count_id, at_line(line, "1"))
    with acting(*ANN):
        assert await queries.next_line(suite.counting.repo, count_id) == (None, 0)
    assert (await suite.lines(count_id))[0].line.state == LineState.COUNTED
