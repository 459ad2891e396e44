"""A count from plan to posted adjustment, through the real services over gRPC and NATS."""

from __future__ import annotations

from decimal import Decimal

from counting_support import (
    WAREHOUSE,
    Suite,
    acting,
    book,
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

from invariant.counting.v1 import counting_pb2 as pb
from invariant.stock.v1 import stock_pb2 as spb
from invariant_core.testing import eventually
from invariant_kernel.errors import ErrorCode

SUPERVISOR = ("sam", "supervisor")
FINANCE = ("fay", "finance")
ANN = ("ann", "operator")
BOB = ("bob", "operator")


async def test_book_1200_shelf_1160_is_recounted_explained_approved_twice_and_posted(suite: Suite) -> None:
    await create_warehouse(suite)
    sku = await create_item(suite, cost="30")
    await receive(suite, sku, 1200)
    with acting(*SUPERVISOR):
        count = await create_count(suite, blind=True, item_skus=[sku], counters=["ann", "bob"])
        count = await open_count(suite, count.id)
    assert count.state == "OPEN" and count.lines == 1

    with acting(*ANN):
        (line,) = await lines(suite, count.id)
        # Blind: the counter sees what to count, never what the book says.
        assert not line.HasField("book_at_open") and not line.HasField("variance")
        nxt = await suite.counting.NextLine(pb.NextLineRequest(count_id=count.id))
        assert nxt.line.id == line.id and nxt.remaining == 1
        # Two parts of one shelf: 96 boxes of 12 and 8 loose, converted exactly.
        await enter(suite, count.id, line.id, 96, "BOX")
        await enter(suite, count.id, line.id, 8)
        seen = await suite.counting.GetCount(pb.GetCountRequest(count_id=count.id))
        assert not seen.HasField("variance_value")
    with acting(*SUPERVISOR):
        count = await finish(suite, count.id)
    assert count.state == "COUNTING" and count.recounts_pending == 1

    with acting(*ANN):
        denied = await refused(enter(suite, count.id, line.id, 1160))
        assert denied.code is ErrorCode.PERMISSION_DENIED
    with acting(*BOB):
        assert (await enter(suite, count.id, line.id, 1160)).round == 2
    with acting(*SUPERVISOR):
        count = await finish(suite, count.id)
        assert count.state == "REVIEW"
        (line,) = await lines(suite, count.id)
        assert (line.state, Decimal(line.counted.value), Decimal(line.variance.value)) == ("FINAL", 1160, -40)
        assert Decimal(line.variance_value.value) == -1200
        assert [r.round for r in line.rounds] == [1, 2] and list(line.rounds[1].counters) == ["bob"]

        short = await refused(
            suite.counting.ExplainLine(
                pb.ExplainLineRequest(
                    idempotency_key=key(),
                    count_id=count.id,
                    line_id=line.id,
                    reasons=[pb.ReasonQuantity(reason_code="GIFT_OR_SAMPLE_NOT_RECORDED", quantity=d(20))],
                )
            )
        )
        assert (short.code, short.field) == (ErrorCode.OUT_OF_RANGE, "reasons")
        reasons = [("GIFT_OR_SAMPLE_NOT_RECORDED", 20), ("DAMAGE_NOT_RECORDED", 10), ("ENTRY_ERROR", 10)]
        await suite.counting.ExplainLine(
            pb.ExplainLineRequest(
                idempotency_key=key(),
                count_id=count.id,
                line_id=line.id,
                reasons=[pb.ReasonQuantity(reason_code=c, quantity=d(q)) for c, q in reasons],
            )
        )
        count = await suite.counting.SubmitForApproval(
            pb.SubmitForApprovalRequest(idempotency_key=key(), count_id=count.id)
        )
    assert count.state == "AWAITING_APPROVAL" and list(count.levels_required) == ["SUPERVISOR", "FINANCE"]

    def approve(level: str) -> object:
        return suite.counting.Approve(pb.ApproveRequest(idempotency_key=key(), count_id=count.id, level=level))

    with acting("ann", "operator", "supervisor"):
        assert (await refused(approve("SUPERVISOR"))).code is ErrorCode.PERMISSION_DENIED  # she counted
    with acting(*FINANCE):
        assert (await refused(approve("FINANCE"))).field == "level"  # the supervisor comes first
    with acting(*SUPERVISOR):
        await approve("SUPERVISOR")
    with acting("sam", "supervisor", "finance"):
        assert (await refused(approve("FINANCE"))).code is ErrorCode.PERMISSION_DENIED  # one level each
    with acting(*FINANCE):
        await approve("FINANCE")

    await eventually(lambda: is_posted(suite, count.id), "the count is posted")
    assert await book(suite, sku) == 1160
    history = await suite.stock.ListMovements(spb.ListMovementsRequest(item_sku=sku, page_size=10))
    (adjustment,) = [m for m in history.movements if m.type == spb.MOVEMENT_TYPE_ADJUSTMENT]
    assert (adjustment.document.type, adjustment.document.id, adjustment.document.line) == ("COUNT", count.id, line.id)
    assert sorted((r.reason_code, Decimal(r.quantity.value)) for r in adjustment.reasons) == sorted(
        (c, Decimal(q)) for c, q in reasons
    )
    with acting(*SUPERVISOR):
        (line,) = await lines(suite, count.id)
        assert (line.state, line.movement_id) == ("POSTED", adjustment.id)
        export = await suite.counting.ExportAdjustments(pb.ExportAdjustmentsRequest(count_id=count.id))
        assert f",{sku},A-01,,1200,1160,-40,LOSS,30,-1200," in export.csv
        accuracy = await suite.counting.GetAccuracy(pb.GetAccuracyRequest(warehouse=WAREHOUSE))
    (row,) = accuracy.rows
    assert (row.group, row.lines, row.lines_within_tolerance) == (WAREHOUSE, 1, 0)
    assert Decimal(row.value_accuracy.value) == Decimal("0.9667")  # 1 - 1,200 / 36,000


async def test_a_receipt_after_the_line_opened_is_kept_and_nothing_is_adjusted(suite: Suite) -> None:
    await create_warehouse(suite)
    sku = await create_item(suite)
    await receive(suite, sku, 100)
    with acting(*SUPERVISOR):
        count = await open_count(suite, (await create_count(suite, item_skus=[sku], counters=["ann"])).id)
    await receive(suite, sku, 5)
    with acting(*ANN):
        (line,) = await lines(suite, count.id)
        await enter(suite, count.id, line.id, 105)  # the shelf, with the five that arrived
    with acting(*SUPERVISOR):
        count = await finish(suite, count.id)
        (line,) = await lines(suite, count.id)
        assert (Decimal(line.book_at_open.value), Decimal(line.variance.value)) == (100, 0)
        assert line.moved_during_count
        count = await suite.counting.SubmitForApproval(
            pb.SubmitForApprovalRequest(idempotency_key=key(), count_id=count.id)
        )
    assert count.state == "POSTED"
    assert await book(suite, sku) == 105
    history = await suite.stock.ListMovements(spb.ListMovementsRequest(item_sku=sku, page_size=10))
    assert [m.type for m in history.movements].count(spb.MOVEMENT_TYPE_ADJUSTMENT) == 0
