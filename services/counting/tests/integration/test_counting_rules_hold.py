"""What a count refuses, hides and survives: bad input, a blind count's book, retries and a crash."""

from __future__ import annotations

import asyncio
import logging
import uuid
from decimal import Decimal
from typing import Any

import nats
import pytest
from counting_support import (
    WAREHOUSE,
    Suite,
    acting,
    book,
    caught_up,
    create_count,
    create_item,
    create_warehouse,
    d,
    enter,
    finish,
    is_posted,
    key,
    lines,
    open_count,
    receive,
    refused,
)

from counting.adapters import repository
from counting.adapters.stock import StockClient
from invariant.catalog.v1 import catalog_pb2 as cpb
from invariant.counting.v1 import counting_pb2 as pb
from invariant.events.v1 import catalog_pb2 as catalog_events
from invariant.events.v1 import stock_pb2 as events
from invariant.events.v1.envelope_pb2 import Envelope
from invariant.stock.v1 import stock_pb2 as spb
from invariant_core import runtime
from invariant_core.testing import eventually
from invariant_kernel.errors import ErrorCode
from stock.bootstrap import SPEC as STOCK_SPEC

SUPERVISOR = ("sam", "supervisor")
ANN = ("ann", "operator")
OLGA = ("olga", "operator")


async def counted_and_reviewed(suite: Suite, sku: str, shelf: int, **count: Any) -> tuple[pb.Count, pb.CountLine]:
    """A one-line count of `sku` at A-01, counted once by ann at `shelf`, closed by sam; the
    tolerance lets the first round stand."""
    count.setdefault("tolerance", pb.Tolerance(quantity=d(1000)))
    with acting(*SUPERVISOR):
        opened = await open_count(suite, (await create_count(suite, item_skus=[sku], counters=["ann"], **count)).id)
    with acting(*ANN):
        (line,) = await lines(suite, opened.id)
        await enter(suite, opened.id, line.id, shelf)
    with acting(*SUPERVISOR):
        closed = await finish(suite, opened.id)
        (line,) = await lines(suite, opened.id)
    return closed, line


async def explain_and_submit(suite: Suite, count_id: str, line: pb.CountLine) -> pb.Count:
    with acting(*SUPERVISOR):
        size = abs(Decimal(line.variance.value))
        await suite.counting.ExplainLine(
            pb.ExplainLineRequest(
                idempotency_key=key(),
                count_id=count_id,
                line_id=line.id,
                reasons=[pb.ReasonQuantity(reason_code="THEFT_OR_UNKNOWN", quantity=d(size))],
            )
        )
        count: pb.Count = await suite.counting.SubmitForApproval(
            pb.SubmitForApprovalRequest(idempotency_key=key(), count_id=count_id)
        )
        return count


async def test_bad_entries_are_refused_naming_the_field_and_nothing_is_written(suite: Suite) -> None:
    await create_warehouse(suite)
    # Unique: the counting service's replica may hold items of earlier runs on a shared NATS.
    barcode = f"BC{uuid.uuid4().hex[:12]}"
    sku = await create_item(suite, barcode=barcode)
    await receive(suite, sku, 10)
    with acting(*SUPERVISOR):
        count = await open_count(suite, (await create_count(suite, item_skus=[sku], counters=["ann"])).id)
    with acting(*ANN):
        (line,) = await lines(suite, count.id)

        def upload(*entries: pb.Entry) -> Any:
            return suite.counting.SubmitEntries(pb.SubmitEntriesRequest(count_id=count.id, entries=list(entries)))

        good = pb.Entry(entry_id=key(), line_id=line.id, quantity=d(4))
        cases = [
            (pb.Entry(entry_id=key(), line_id=line.id, quantity=d(-1)), "entries[1].quantity", ErrorCode.OUT_OF_RANGE),
            (pb.Entry(entry_id=key(), line_id=line.id, quantity=d("NaN")), "entries[1].quantity", None),
            (pb.Entry(entry_id=key(), line_id=line.id, quantity=d("1.0000001")), "entries[1].quantity", None),
            (
                pb.Entry(entry_id=key(), barcode="0000000000000", location="A-01", quantity=d(1)),
                "entries[1].barcode",
                None,
            ),
            (pb.Entry(entry_id=key(), line_id=line.id, quantity=d(1), unit="PALLET"), "entries[1].unit", None),
            (pb.Entry(entry_id="", line_id=line.id, quantity=d(1)), "entries[1].entry_id", None),
            (pb.Entry(entry_id=key(), item_sku=sku, quantity=d(1)), "entries[1].location", None),
        ]
        for bad, field, code in cases:
            error = await refused(upload(good, bad))
            assert error.field == field, bad
            if code is not None:
                assert error.code is code
        # All or nothing: the good entry of each refused upload was not taken either.
        (line,) = await lines(suite, count.id)
        assert line.state == "TO_COUNT" and not line.rounds
        by_barcode = await upload(pb.Entry(entry_id=key(), barcode=barcode, location="A-01", quantity=d(9)))
        assert by_barcode.entries[0].line_id == line.id
    with acting(*SUPERVISOR):
        await finish(suite, count.id)
        await suite.counting.CancelCount(pb.CancelCountRequest(idempotency_key=key(), count_id=count.id))
    with acting(*ANN):
        closed = await refused(upload(pb.Entry(entry_id=key(), line_id=line.id, quantity=d(1))))
        assert (closed.code, closed.field) == (ErrorCode.INVALID_STATE, "count_id")


async def test_uploads_side_by_side_all_go_in_and_the_stock_they_found_gets_distinct_line_numbers(
    suite: Suite,
) -> None:
    await create_warehouse(suite, locations=[f"A-{n:02}" for n in range(1, 7)])
    sku = await create_item(suite)
    await receive(suite, sku, 10)
    others = [await create_item(suite) for _ in range(6)]
    with acting(*SUPERVISOR):
        count = await open_count(
            suite, (await create_count(suite, item_skus=[sku, *others], counters=["ann"], kind="FULL")).id
        )
    with acting(*ANN):
        (line,) = await lines(suite, count.id)
        # Six handhelds at once: each counts the known line and finds an item the book lacks.
        uploads = [
            pb.SubmitEntriesRequest(
                count_id=count.id,
                entries=[
                    pb.Entry(entry_id=key(), line_id=line.id, quantity=d(1)),
                    pb.Entry(entry_id=key(), item_sku=other, location=f"A-{n + 1:02}", quantity=d(2)),
                ],
            )
            for n, other in enumerate(others)
        ]
        await asyncio.gather(*(suite.counting.SubmitEntries(upload) for upload in uploads))
        counted = await lines(suite, count.id)
    assert sorted(x.number for x in counted) == list(range(1, 8))
    assert {x.state for x in counted} == {"COUNTED"}
    with acting(*SUPERVISOR):
        await finish(suite, count.id)
        counted = {x.item_sku: x for x in await lines(suite, count.id)}
    assert Decimal(counted[sku].rounds[0].counted.value) == 6  # one from each upload


@pytest.mark.fault
async def test_uploads_counting_the_same_lines_in_any_order_never_wait_for_each_other(
    suite: Suite, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # A statement a line, so that uploads are long enough to overlap.
    monkeypatch.setattr(repository, "SLICE", 1)
    await create_warehouse(suite)
    skus = [await create_item(suite) for _ in range(41)]
    for sku in skus:
        await receive(suite, sku, 5)
    with acting(*SUPERVISOR):
        count = await open_count(suite, (await create_count(suite, item_skus=skus, counters=["ann"], kind="FULL")).id)
    with acting(*ANN):
        first, *others = await lines(suite, count.id)
        # The first upload moves the count to COUNTING alone; the rest go in side by side.
        await enter(suite, count.id, first.id, 5)
        orders = [others, others[::-1], others[::2] + others[1::2], others[1::2] + others[::2]] * 2
        uploads = [
            pb.SubmitEntriesRequest(
                count_id=count.id, entries=[pb.Entry(entry_id=key(), line_id=line.id, quantity=d(1)) for line in order]
            )
            for order in orders
        ]
        with caplog.at_level(logging.INFO, logger="invariant_core.rpc"):
            await asyncio.gather(*(suite.counting.SubmitEntries(upload) for upload in uploads))
        counted = await lines(suite, count.id)
    # No upload was given up for a deadlock (and run again) on the way.
    assert [r.getMessage() for r in caplog.records if "gave way" in r.getMessage()] == []
    assert {line.state for line in counted} == {"COUNTED"}


@pytest.mark.fault
async def test_a_late_older_state_of_an_item_leaves_the_newer_cost_in_countings_replica(suite: Suite) -> None:
    await create_warehouse(suite)
    sku = await create_item(suite, cost="2")
    await receive(suite, sku, 10)
    await suite.catalog.UpdateItem(cpb.UpdateItemRequest(idempotency_key=key(), sku=sku, standard_cost=d(5)))
    item = await suite.catalog.GetItem(cpb.GetItemRequest(sku=sku))
    # The item as it was created, arriving late in an envelope of its own (a republished event).
    stale = Envelope(id=key(), type="inventory.catalog.item.upserted", producer="catalog", actor="catalog")
    stale.payload.Pack(
        catalog_events.ItemUpserted(
            item_id=item.id, sku=sku, base_unit=item.base_unit, standard_cost=d(2), status="ACTIVE", version=1
        )
    )
    client = await nats.connect(suite.events.url)
    try:
        subject = suite.events.subject("inventory.catalog.item.upserted")
        await client.jetstream().publish(subject, stale.SerializeToString(), headers={"Nats-Msg-Id": stale.id})
    finally:
        await client.close()
    await eventually(lambda: caught_up(suite, "counting-catalog"), "counting has applied the catalog's events")

    _, line = await counted_and_reviewed(suite, sku, 9)
    assert Decimal(line.variance_value.value) == -5  # one short, at the cost the catalog has now


async def counted_by_ann(suite: Suite) -> tuple[pb.Count, pb.CountLine, str, str]:
    """An open full count of an item in stock and one the book lacks, for ann: the count,
    its one line, the item in stock and the other."""
    await create_warehouse(suite)
    sku, other = await create_item(suite), await create_item(suite)
    await receive(suite, sku, 10)
    with acting(*SUPERVISOR):
        count = await open_count(
            suite, (await create_count(suite, item_skus=[sku, other], counters=["ann"], kind="FULL")).id
        )
    with acting(*ANN):
        (line,) = await lines(suite, count.id)
    return count, line, sku, other


async def test_handhelds_finding_the_same_unknown_stock_at_once_share_one_new_line(suite: Suite) -> None:
    count, line, sku, unknown = await counted_by_ann(suite)
    with acting(*ANN):
        # The first upload moves the count to COUNTING (alone); later ones go in side by side.
        await enter(suite, count.id, line.id, 4)
        # Six handhelds find the same item the book lacks, at the same shelf, at the same time.
        uploads = [
            pb.SubmitEntriesRequest(
                count_id=count.id,
                entries=[
                    pb.Entry(entry_id=key(), line_id=line.id, quantity=d(1)),
                    pb.Entry(entry_id=key(), item_sku=unknown, location="A-02", quantity=d(2)),
                ],
            )
            for _ in range(6)
        ]
        answers = await asyncio.gather(*(suite.counting.SubmitEntries(upload) for upload in uploads))
        counted = await lines(suite, count.id)
    assert len({answer.entries[1].line_id for answer in answers}) == 1
    assert sorted((x.item_sku, x.number) for x in counted) == sorted([(sku, 1), (unknown, 2)])
    with acting(*SUPERVISOR):
        await finish(suite, count.id)
        found = {x.item_sku: x for x in await lines(suite, count.id)}
    assert Decimal(found[unknown].rounds[0].counted.value) == 12


async def test_the_same_entry_sent_twice_counts_once_and_found_stock_gets_its_own_line(suite: Suite) -> None:
    count, line, sku, other = await counted_by_ann(suite)
    with acting(*ANN):
        entry = pb.Entry(entry_id=key(), line_id=line.id, quantity=d(6))
        first = await suite.counting.SubmitEntries(pb.SubmitEntriesRequest(count_id=count.id, entries=[entry]))
        again = await suite.counting.SubmitEntries(pb.SubmitEntriesRequest(count_id=count.id, entries=[entry]))
        assert (first.entries[0].duplicate, again.entries[0].duplicate) == (False, True)
        await enter(suite, count.id, line.id, 4)
        found = await suite.counting.SubmitEntries(
            pb.SubmitEntriesRequest(
                count_id=count.id,
                entries=[pb.Entry(entry_id=key(), item_sku=other, location="A-02", quantity=d(3))],
            )
        )
    with acting(*SUPERVISOR):
        await finish(suite, count.id)
        counted = {(x.item_sku, x.location): x for x in await lines(suite, count.id)}
    assert Decimal(counted[(sku, "A-01")].counted.value) == 10  # 6 once, plus 4
    new = counted[(other, "A-02")]
    assert (new.origin, new.id, Decimal(new.rounds[0].variance.value)) == ("FOUND", found.entries[0].line_id, 3)
    assert new.state == "RECOUNT"  # stock the book did not know is outside any percent of nothing


async def test_an_entry_that_arrives_while_the_round_closes_is_in_the_round(
    suite: Suite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The round reads its lines, then asks stock for their books; a handheld uploading in
    between is not lost: the round is read again and judges what was really counted."""
    await create_warehouse(suite)
    sku = await create_item(suite)
    await receive(suite, sku, 10)
    with acting(*SUPERVISOR):
        count = await open_count(suite, (await create_count(suite, item_skus=[sku], counters=["ann"])).id)
    with acting(*ANN):
        (line,) = await lines(suite, count.id)
        await enter(suite, count.id, line.id, 6)
    books = StockClient.books
    late: list[pb.AcceptedEntry] = []

    async def books_while_ann_uploads(self: StockClient, *args: Any) -> Any:
        found = await books(self, *args)
        if not late:
            with acting(*ANN):
                late.append(await enter(suite, count.id, line.id, 4))
        return found

    monkeypatch.setattr(StockClient, "books", books_while_ann_uploads)
    with acting(*SUPERVISOR):
        request = pb.FinishRoundRequest(idempotency_key=key(), count_id=count.id)
        closed = await suite.counting.FinishRound(request)
        (line,) = await lines(suite, count.id)
        # A retry after the round is closed is answered, not refused for the count's new state.
        again = await suite.counting.FinishRound(request)
    assert late and closed.state == "REVIEW"
    assert Decimal(line.counted.value) == 10 and Decimal(line.variance.value) == 0
    assert again == closed


async def test_a_blind_count_shows_a_counter_no_book_through_any_query(suite: Suite) -> None:
    await create_warehouse(suite)
    sku = await create_item(suite)
    await receive(suite, sku, 4321)
    with acting(*SUPERVISOR):
        count = await open_count(suite, (await create_count(suite, item_skus=[sku], counters=["ann"], blind=True)).id)
    with acting(*ANN):
        (line,) = await lines(suite, count.id)
        await enter(suite, count.id, line.id, 4319)
        listed = await lines(suite, count.id)
        nxt = await suite.counting.NextLine(pb.NextLineRequest(count_id=count.id))
        got = await suite.counting.GetCount(pb.GetCountRequest(count_id=count.id))
        mine = await suite.counting.ListCounts(pb.ListCountsRequest(counter="ann"))
        hidden = [listed[0], *mine.counts, got]
        assert not nxt.HasField("line")  # counted: nothing left for her
        assert not any(m.HasField("book_at_open") or m.HasField("variance") for m in listed)
        assert not any(r.HasField("book") for r in listed[0].rounds)
        assert not got.HasField("variance_value") and not mine.counts[0].HasField("variance_value")
        assert "4321" not in "".join(str(m) for m in hidden)
        for call in (
            suite.counting.ListLines(pb.ListLinesRequest(count_id=count.id, differing_only=True)),
            suite.counting.TraceLine(pb.TraceLineRequest(count_id=count.id, line_id=line.id)),
        ):
            assert (await refused(call)).code is ErrorCode.PERMISSION_DENIED
    with acting(*SUPERVISOR):
        (seen,) = await lines(suite, count.id)
        assert Decimal(seen.book_at_open.value) == 4321


async def test_approving_in_the_wrong_state_or_by_a_counter_is_refused(suite: Suite) -> None:
    await create_warehouse(suite)
    sku = await create_item(suite)
    await receive(suite, sku, 20)
    count, line = await counted_and_reviewed(suite, sku, 19)
    assert count.state == "REVIEW"
    with acting(*SUPERVISOR):
        early = await refused(
            suite.counting.Approve(pb.ApproveRequest(idempotency_key=key(), count_id=count.id, level="SUPERVISOR"))
        )
        assert (early.code, early.field) == (ErrorCode.INVALID_STATE, "count_id")
        unexplained = await refused(
            suite.counting.SubmitForApproval(pb.SubmitForApprovalRequest(idempotency_key=key(), count_id=count.id))
        )
        assert (unexplained.code, unexplained.field) == (ErrorCode.REQUIRED, "reasons")
    count = await explain_and_submit(suite, count.id, line)
    with acting(*ANN):
        counter = await refused(
            suite.counting.Approve(pb.ApproveRequest(idempotency_key=key(), count_id=count.id, level="SUPERVISOR"))
        )
        assert counter.code is ErrorCode.PERMISSION_DENIED
    with acting(*SUPERVISOR):
        wrong = await refused(
            suite.counting.Approve(pb.ApproveRequest(idempotency_key=key(), count_id=count.id, level="BOSS"))
        )
        assert wrong.field == "level"
        rejected = await suite.counting.Reject(
            pb.RejectRequest(idempotency_key=key(), count_id=count.id, level="SUPERVISOR", comment="recheck A-01")
        )
    assert rejected.state == "REVIEW" and rejected.transitions[-1].comment.endswith("recheck A-01")


async def stop_stock(suite: Suite) -> None:
    await suite.stock_running.stop()


@pytest.mark.fault
async def test_a_crash_between_approval_and_posting_ends_posted_exactly_once(suite: Suite) -> None:
    await create_warehouse(suite)
    sku = await create_item(suite)
    await receive(suite, sku, 30)
    count, line = await counted_and_reviewed(suite, sku, 27)
    count = await explain_and_submit(suite, count.id, line)
    # Stock is down when the approval is given: the event waits in the stream.
    await stop_stock(suite)
    with acting(*SUPERVISOR):
        approved = await suite.counting.Approve(
            pb.ApproveRequest(idempotency_key=key(), count_id=count.id, level="SUPERVISOR")
        )
    assert approved.state == "APPROVED"
    await asyncio.sleep(0.5)
    suite.stock_running = await runtime.start(STOCK_SPEC, suite.stock_settings)

    await eventually(lambda: is_posted(suite, count.id), "the count is posted once stock is back")
    assert await book(suite, sku) == 27
    history = await suite.stock.ListMovements(spb.ListMovementsRequest(item_sku=sku, page_size=10))
    assert [m.type for m in history.movements].count(spb.MOVEMENT_TYPE_ADJUSTMENT) == 1
    report = await suite.stock.CheckIntegrity(spb.CheckIntegrityRequest())
    assert not report.drifts


async def test_a_loss_below_what_is_reserved_posts_and_stock_reports_the_shortage(suite: Suite) -> None:
    await create_warehouse(suite)
    sku = await create_item(suite)
    await receive(suite, sku, 10)
    await suite.stock.Reserve(
        spb.ReserveRequest(
            idempotency_key=key(),
            lines=[spb.ReservationLine(item_sku=sku, warehouse=WAREHOUSE, quantity=d(8))],
            owner=spb.DocumentRef(type="SALES_ORDER", id="SO-9", line="1"),
        )
    )
    count, line = await counted_and_reviewed(suite, sku, 5)
    count = await explain_and_submit(suite, count.id, line)
    client = await nats.connect(suite.events.url)
    # JetStream's messages reach plain subscribers of the subject too.
    shortages = await client.subscribe(suite.events.subject("inventory.stock.shortage"))
    with acting(*SUPERVISOR):
        await suite.counting.Approve(pb.ApproveRequest(idempotency_key=key(), count_id=count.id, level="SUPERVISOR"))

    await eventually(lambda: is_posted(suite, count.id), "the count is posted")
    held = await suite.stock.GetAvailability(spb.GetAvailabilityRequest(item_sku=sku, warehouse=WAREHOUSE))
    assert (Decimal(held.available_on_hand.value), Decimal(held.reserved.value)) == (5, 8)
    assert Decimal(held.available_to_promise.value) == -3
    try:
        while True:
            envelope = Envelope.FromString((await shortages.next_msg(timeout=10)).data)
            shortage = events.Shortage()
            envelope.payload.Unpack(shortage)
            if shortage.item_sku == sku:
                break
    finally:
        await client.close()
    assert (Decimal(shortage.short_by.value), len(shortage.reservation_ids)) == (3, 1)


@pytest.mark.parametrize("bad", ["", "A-9"])
async def test_a_count_needs_a_known_warehouse(suite: Suite, bad: str) -> None:
    with acting(*SUPERVISOR):
        error = await refused(
            suite.counting.CreateCount(pb.CreateCountRequest(idempotency_key=key(), warehouse=bad, kind="SPOT"))
        )
    assert (error.code, error.field) == (ErrorCode.REQUIRED if not bad else ErrorCode.NOT_FOUND, "warehouse")


async def test_a_reason_code_a_supervisor_adds_explains_a_loss_that_stock_posts(suite: Suite) -> None:
    await create_warehouse(suite)
    sku = await create_item(suite)
    await receive(suite, sku, 12)
    with acting(*SUPERVISOR):
        await suite.counting.SetReasonCode(
            pb.SetReasonCodeRequest(
                idempotency_key=key(),
                reason_code=pb.ReasonCode(code="SHELF_MIXUP", name="Put on the next shelf", active=True),
            )
        )
        codes = await suite.counting.ListReasonCodes(pb.ListReasonCodesRequest())
    assert "SHELF_MIXUP" in [c.code for c in codes.reason_codes]
    count, line = await counted_and_reviewed(suite, sku, 10)
    with acting(*SUPERVISOR):
        await suite.counting.ExplainLine(
            pb.ExplainLineRequest(
                idempotency_key=key(),
                count_id=count.id,
                line_id=line.id,
                reasons=[pb.ReasonQuantity(reason_code="SHELF_MIXUP", quantity=d(2))],
            )
        )
        await suite.counting.SubmitForApproval(pb.SubmitForApprovalRequest(idempotency_key=key(), count_id=count.id))
        await suite.counting.Approve(pb.ApproveRequest(idempotency_key=key(), count_id=count.id, level="SUPERVISOR"))

    await eventually(lambda: is_posted(suite, count.id), "the count is posted")
    history = await suite.stock.ListMovements(spb.ListMovementsRequest(item_sku=sku, page_size=10))
    (adjustment,) = [m for m in history.movements if m.type == spb.MOVEMENT_TYPE_ADJUSTMENT]
    assert [(r.reason_code, Decimal(r.quantity.value)) for r in adjustment.reasons] == [("SHELF_MIXUP", 2)]


async def test_an_operator_who_moved_stock_on_a_posted_variance_line_recurs_and_a_trace_writes_nothing(
    suite: Suite,
) -> None:
    await create_warehouse(suite)
    bolt, nut = await create_item(suite), await create_item(suite)
    await receive(suite, bolt, 10)
    with acting(*OLGA):
        await receive(suite, nut, 10, "A-02")
    with acting(*SUPERVISOR):
        tolerance = pb.Tolerance(quantity=d(1000))
        first = await open_count(suite, (await create_count(suite, item_skus=[bolt], tolerance=tolerance)).id)
    # olga receives at A-01 while it is counted, and the count finds it one short.
    with acting(*OLGA):
        await receive(suite, bolt, 5)
    with acting(*ANN):
        (short,) = await lines(suite, first.id)
        await enter(suite, first.id, short.id, 14)
    with acting(*SUPERVISOR):
        await finish(suite, first.id)
        (short,) = await lines(suite, first.id)
    assert short.moved_during_count and Decimal(short.variance.value) == -1
    other, nut_line = await counted_and_reviewed(suite, nut, 9)

    async def recurring() -> list[pb.Suspect]:
        with acting(*SUPERVISOR):
            trace = await suite.counting.TraceLine(pb.TraceLineRequest(count_id=other.id, line_id=nut_line.id))
        return [s for s in trace.suspects if s.kind == "RECURRING_OPERATOR"]

    assert await recurring() == []  # the first count is not posted yet
    await explain_and_submit(suite, first.id, short)
    with acting(*SUPERVISOR):
        await suite.counting.Approve(pb.ApproveRequest(idempotency_key=key(), count_id=first.id, level="SUPERVISOR"))
    await eventually(lambda: is_posted(suite, first.id), "the first count is posted")
    found = await recurring()
    assert [(s.rank, "olga posted 1 movement on this line" in s.explanation) for s in found] == [(41, True)]
    assert "appears on 1 other variance line." in found[0].explanation
    # Tracing remembers nothing: the same trace again finds the same.
    assert await recurring() == found
