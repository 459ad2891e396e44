"""TraceLine through the real services: an operator recurs on the variance lines of posted
counts, and a trace leaves nothing behind for the next one to find."""

from __future__ import annotations

from decimal import Decimal

from counting_support import (
    Suite,
    acting,
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
)

from invariant.counting.v1 import counting_pb2 as pb
from invariant_core.testing import eventually

SUPERVISOR = ("sam", "supervisor")
ANN = ("ann", "operator")
OLGA = ("olga", "operator")


async def counted_short(suite: Suite, sku: str, shelf: int, while_counting: str = "") -> tuple[pb.Count, pb.CountLine]:
    """A count of `sku` finding `shelf`, its round closed; olga receives 5 more at `while_counting`
    (a location) after it opens and before it is counted."""
    with acting(*SUPERVISOR):
        count = await create_count(suite, item_skus=[sku], counters=["ann"], tolerance=pb.Tolerance(quantity=d(1000)))
        count = await open_count(suite, count.id)
    if while_counting:
        with acting(*OLGA):
            await receive(suite, sku, 5, while_counting)
    with acting(*ANN):
        (line,) = await lines(suite, count.id)
        await enter(suite, count.id, line.id, shelf)
    with acting(*SUPERVISOR):
        count = await finish(suite, count.id)
        (line,) = await lines(suite, count.id)
    return count, line


async def posted(suite: Suite, count: pb.Count, line: pb.CountLine) -> None:
    with acting(*SUPERVISOR):
        await suite.counting.ExplainLine(
            pb.ExplainLineRequest(
                idempotency_key=key(),
                count_id=count.id,
                line_id=line.id,
                reasons=[
                    pb.ReasonQuantity(reason_code="THEFT_OR_UNKNOWN", quantity=d(abs(Decimal(line.variance.value))))
                ],
            )
        )
        await suite.counting.SubmitForApproval(pb.SubmitForApprovalRequest(idempotency_key=key(), count_id=count.id))
        await suite.counting.Approve(pb.ApproveRequest(idempotency_key=key(), count_id=count.id, level="SUPERVISOR"))
    await eventually(lambda: is_posted(suite, count.id), "the count is posted")


async def test_an_operator_who_moved_stock_on_a_posted_variance_line_recurs_and_a_trace_writes_nothing(
    suite: Suite,
) -> None:
    await create_warehouse(suite)
    bolt, nut = await create_item(suite), await create_item(suite)
    await receive(suite, bolt, 10)
    with acting(*OLGA):
        await receive(suite, nut, 10, "A-02")
    # olga receives at A-01 while it is counted, and the count finds it one short.
    first, short = await counted_short(suite, bolt, 14, while_counting="A-01")
    assert short.moved_during_count and Decimal(short.variance.value) == -1
    nut_count, nut_line = await counted_short(suite, nut, 9)

    async def recurring() -> list[pb.Suspect]:
        with acting(*SUPERVISOR):
            trace = await suite.counting.TraceLine(pb.TraceLineRequest(count_id=nut_count.id, line_id=nut_line.id))
        return [s for s in trace.suspects if s.kind == "RECURRING_OPERATOR"]

    assert await recurring() == []  # the first count is not posted yet
    await posted(suite, first, short)
    found = await recurring()
    assert [(s.rank, "olga posted 1 movement on this line" in s.explanation) for s in found] == [(41, True)]
    assert "appears on 1 other variance line." in found[0].explanation
    # Tracing remembers nothing: the same trace again finds the same, not one more line.
    assert await recurring() == found
