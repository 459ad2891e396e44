"""Cycle-count planning through the real services: stock's issues rank items into ABC
classes, and a plan turns the items due into counts a team can finish."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import nats
import pytest
from counting_support import (
    Suite,
    acting,
    caught_up,
    create_item,
    d,
    enter,
    finish,
    is_posted,
    key,
    lines,
    open_count,
    refused,
)
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from invariant.counting.v1 import counting_pb2 as pb
from invariant.events.v1 import orders_pb2 as orders_events
from invariant.events.v1 import stock_pb2 as stock_events
from invariant.events.v1.envelope_pb2 import Envelope
from invariant.stock.v1 import stock_pb2 as spb
from invariant_core.testing import eventually
from invariant_kernel.errors import ErrorCode

SUPERVISOR = ("sam", "supervisor")
ANN = ("ann", "operator")
# A warehouse of this module's own: counting learns of issues and shortages from every
# stock event on the bus, and other suites on a shared NATS post to WH1 too.
WAREHOUSE = f"P{uuid.uuid4().hex[:8].upper()}"


def days_from_now(days: int) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(datetime.now(UTC) + timedelta(days=days))
    return stamp


async def create_warehouse(suite: Suite, warehouse: str = WAREHOUSE) -> None:
    await suite.stock.CreateWarehouse(spb.CreateWarehouseRequest(idempotency_key=key(), code=warehouse, name="Planned"))
    await suite.stock.CreateLocation(spb.CreateLocationRequest(idempotency_key=key(), warehouse=warehouse, code="A-01"))


async def move(
    suite: Suite, kind: int, sku: str, quantity: int | str, warehouse: str = WAREHOUSE, **fields: str
) -> spb.Movement:
    """A receipt into A-01, or an issue or a scrap from it."""
    side = "to" if kind == spb.MOVEMENT_TYPE_RECEIPT else "from"
    shelf = spb.StockPlace(warehouse=warehouse, location="A-01", status=spb.STOCK_STATUS_AVAILABLE)
    return await suite.stock.PostMovement(
        spb.PostMovementRequest(
            idempotency_key=key(), type=kind, item_sku=sku, quantity=d(quantity), **{side: shelf}, **fields
        )
    )


async def count_and_post(suite: Suite, sku: str, shelf: int, warehouse: str = WAREHOUSE) -> None:
    """A spot count of `sku` finding `shelf`, explained, approved by a supervisor and posted by stock."""
    with acting(*SUPERVISOR):
        count = await suite.counting.CreateCount(
            pb.CreateCountRequest(
                idempotency_key=key(),
                warehouse=warehouse,
                kind="SPOT",
                item_skus=[sku],
                counters=["ann"],
                tolerance=pb.Tolerance(quantity=d(1000)),
            )
        )
    await post(suite, count.id, shelf)


async def counted_item(suite: Suite, shelf: int) -> tuple[str, str]:
    """A warehouse of its own, so that its plans hold this item alone, with 10 of a new item
    received into A-01 and counted just now finding `shelf`."""
    warehouse = f"N{uuid.uuid4().hex[:8].upper()}"
    await create_warehouse(suite, warehouse)
    sku = await create_item(suite)
    await move(suite, spb.MOVEMENT_TYPE_RECEIPT, sku, 10, warehouse)
    await count_and_post(suite, sku, shelf, warehouse)
    return warehouse, sku


async def post(suite: Suite, count_id: str, shelf: int) -> None:
    """A DRAFT count of one place opened and found holding `shelf`; a difference explained,
    approved by a supervisor and posted by stock."""
    with acting(*SUPERVISOR):
        await open_count(suite, count_id)
    with acting(*ANN):
        (line,) = await lines(suite, count_id)
        await enter(suite, count_id, line.id, shelf)
    with acting(*SUPERVISOR):
        await finish(suite, count_id)
        (line,) = await lines(suite, count_id)
        loss = abs(Decimal(line.variance.value))
        if loss:
            await suite.counting.ExplainLine(
                pb.ExplainLineRequest(
                    idempotency_key=key(),
                    count_id=count_id,
                    line_id=line.id,
                    reasons=[pb.ReasonQuantity(reason_code="DAMAGE_NOT_RECORDED", quantity=d(loss))],
                )
            )
        await suite.counting.SubmitForApproval(pb.SubmitForApprovalRequest(idempotency_key=key(), count_id=count_id))
        if loss:
            await suite.counting.Approve(
                pb.ApproveRequest(idempotency_key=key(), count_id=count_id, level="SUPERVISOR")
            )
    await eventually(lambda: is_posted(suite, count_id), "stock posted the count", within=60)


async def plan(suite: Suite, warehouse: str, days: int = 0) -> pb.PlanCountsResponse:
    """A supervisor's plan of the warehouse's counts `days` from now, for ann to count."""
    with acting(*SUPERVISOR):
        return await suite.counting.PlanCounts(
            pb.PlanCountsRequest(idempotency_key=key(), warehouse=warehouse, date=days_from_now(days), counters=["ann"])
        )


async def publish(suite: Suite, kind: str, fact: Message, producer: str) -> None:
    """A fact as its producer publishes it, in an envelope of its own (a new id each time)."""
    envelope = Envelope(id=key(), type=kind, producer=producer, actor="olga")
    envelope.payload.Pack(fact)
    envelope.occurred_at.GetCurrentTime()
    client = await nats.connect(suite.events.url)
    try:
        await client.jetstream().publish(
            suite.events.subject(kind), envelope.SerializeToString(), headers={"Nats-Msg-Id": envelope.id}
        )
    finally:
        await client.close()


def classified(classes: pb.AbcClasses) -> list[tuple[str, str]]:
    return [(c.item_sku, c.abc_class) for c in classes.classes]


async def classes_once_issued(suite: Suite, values: dict[str, Decimal]) -> pb.AbcClasses:
    """Classes computed once counting has applied every issue stock posted (it learns of them by events)."""
    found = pb.AbcClasses()

    async def issued() -> bool:
        answer = await suite.counting.ComputeAbcClasses(
            pb.ComputeAbcClassesRequest(idempotency_key=key(), warehouse=WAREHOUSE)
        )
        found.CopyFrom(answer)
        return {c.item_sku: Decimal(c.issue_value.value) for c in answer.classes} == values

    # Generous: a new consumer first replays every stock fact already on the stream.
    await eventually(issued, "counting has the issue value of every item", within=120)
    return found


async def test_issues_rank_items_and_a_plan_splits_the_due_items_by_capacity_once_a_day(suite: Suite) -> None:
    await create_warehouse(suite)
    fast, middle, slow, slowest = [await create_item(suite, cost=c) for c in ("20", "3", "2.5", "0.8")]
    counted = await create_item(suite, cost="100")
    for sku in (fast, middle, slow, slowest):
        await move(suite, spb.MOVEMENT_TYPE_RECEIPT, sku, 100)
    await move(suite, spb.MOVEMENT_TYPE_RECEIPT, counted, 10)
    # A loss of 6 worth 600: above the default large adjustment value of 500.
    await count_and_post(suite, counted, 4)
    # Then 3 of the 4 left are promised and 2 scrapped: stock reports a shortage.
    await suite.stock.Reserve(
        spb.ReserveRequest(
            idempotency_key=key(),
            lines=[spb.ReservationLine(item_sku=counted, warehouse=WAREHOUSE, quantity=d(3))],
            owner=spb.DocumentRef(type="SALES_ORDER", id="SO-1"),
        )
    )
    await move(suite, spb.MOVEMENT_TYPE_SCRAP, counted, 2, reason_code="DAMAGED")
    # Issued after the shortage: stock publishes in order, so the shortage is on the bus
    # once counting has every issue; its own consumer may still be applying it.
    for sku, quantity in ((fast, "40"), (middle, "50"), (slow, "16"), (slowest, "12.5")):
        await move(suite, spb.MOVEMENT_TYPE_ISSUE, sku, quantity)

    values = {fast: Decimal(800), middle: Decimal(150), slow: Decimal(40), slowest: Decimal(10), counted: Decimal(0)}
    computed = await classes_once_issued(suite, values)
    await eventually(lambda: caught_up(suite, "counting-shortages"), "counting has applied the shortage")
    # 80 % of 1,000 is the fast item alone; 95 % adds the middle one; the rest, and the
    # item with stock but no issues, are C.
    assert classified(computed) == [(fast, "A"), (middle, "B"), (slow, "C"), (slowest, "C"), (counted, "C")]
    # Listed class by class, each by SKU, in pages either way.
    in_order = [(fast, "A"), (middle, "B"), *sorted((sku, "C") for sku in (slow, slowest, counted))]
    first = await suite.counting.ListAbcClasses(pb.ListAbcClassesRequest(warehouse=WAREHOUSE.lower(), page_size=2))
    rest = await suite.counting.ListAbcClasses(
        pb.ListAbcClassesRequest(warehouse=WAREHOUSE, page_size=3, page_token=first.next_page_token)
    )
    last = await suite.counting.ListAbcClasses(pb.ListAbcClassesRequest(warehouse=WAREHOUSE, page_size=2, reverse=True))
    back = await suite.counting.ListAbcClasses(
        pb.ListAbcClassesRequest(warehouse=WAREHOUSE, page_size=3, page_token=last.next_page_token, reverse=True)
    )
    assert classified(first) + classified(rest) == in_order
    assert (len(first.cursors), rest.next_page_token) == (2, "")
    assert (classified(last), classified(back)) == (in_order[:2:-1], in_order[2::-1])
    assert back.next_page_token == ""
    assert first.computed_at == rest.computed_at == computed.computed_at

    with acting(*SUPERVISOR):
        policy = await suite.counting.SetCyclePolicy(
            pb.SetCyclePolicyRequest(
                idempotency_key=key(),
                policy=pb.CyclePolicy(
                    warehouse=WAREHOUSE, a_days=30, b_days=91, c_days=182, capacity=2, large_adjustment_value=d(500)
                ),
            )
        )
        assert await suite.counting.GetCyclePolicy(pb.GetCyclePolicyRequest(warehouse=WAREHOUSE)) == policy
        request = pb.PlanCountsRequest(
            idempotency_key=key(), warehouse=WAREHOUSE, date=days_from_now(0), counters=["ann"]
        )
        plan = await suite.counting.PlanCounts(request)
        assert await suite.counting.PlanCounts(request) == plan  # a retry answers the same

    assert {i.item_sku: (i.abc_class, list(i.triggers)) for i in plan.due} == {
        fast: ("A", ["NEVER_COUNTED"]),
        middle: ("B", ["NEVER_COUNTED"]),
        slow: ("C", ["NEVER_COUNTED"]),
        slowest: ("C", ["NEVER_COUNTED"]),
        counted: ("C", ["SHORTAGE", "LARGE_ADJUSTMENT"]),
    }
    assert sorted((c.abc_class, len(c.item_skus)) for c in plan.counts) == [("A", 1), ("B", 1), ("C", 1), ("C", 2)]
    assert sorted(sku for c in plan.counts for sku in c.item_skus) == sorted(values)
    for count in plan.counts:
        assert (count.kind, count.state, count.blind, list(count.counters)) == ("CYCLE", "DRAFT", True, ["ann"])
    with acting(*SUPERVISOR):
        opened = [await open_count(suite, c.id) for c in plan.counts]
        assert max(c.lines for c in opened) == 2

        again = await suite.counting.PlanCounts(
            pb.PlanCountsRequest(idempotency_key=key(), warehouse=WAREHOUSE, date=days_from_now(0), counters=["ann"])
        )
    assert (list(again.counts), list(again.due)) == ([], [])

    # Once those counts are cancelled, a plan for half a year on finds the counted item
    # due by its class as well.
    with acting(*SUPERVISOR):
        for count in plan.counts:
            await suite.counting.CancelCount(
                pb.CancelCountRequest(idempotency_key=key(), count_id=count.id, reason="replanned")
            )
        later = await suite.counting.PlanCounts(
            pb.PlanCountsRequest(idempotency_key=key(), warehouse=WAREHOUSE, date=days_from_now(182))
        )
    assert {i.item_sku: list(i.triggers) for i in later.due}[counted] == [
        "DUE_BY_CLASS",
        "SHORTAGE",
        "LARGE_ADJUSTMENT",
    ]
    assert sorted(sku for c in later.counts for sku in c.item_skus) == sorted(values)


async def test_an_issue_of_more_than_the_shelf_holds_makes_the_item_due_for_a_count(suite: Suite) -> None:
    warehouse, sku = await counted_item(suite, 8)

    # Counted just now: not due for months.
    assert list((await plan(suite, warehouse)).due) == []
    error = await refused(move(suite, spb.MOVEMENT_TYPE_ISSUE, sku, 12, warehouse))
    assert (error.code, error.field) == (ErrorCode.INSUFFICIENT_STOCK, "quantity")

    planned = pb.PlanCountsResponse()

    async def due() -> bool:
        planned.CopyFrom(await plan(suite, warehouse))
        return bool(planned.due)

    # Counting learns of the attempt from stock's event; a new consumer replays the stream first.
    await eventually(due, "a plan finds the item due after the refused issue", within=120)
    assert [(i.item_sku, list(i.triggers)) for i in planned.due] == [(sku, ["NEGATIVE_BALANCE_ATTEMPT"])]
    assert [list(c.item_skus) for c in planned.counts] == [[sku]]


async def test_planning_refuses_bad_input_naming_the_field_and_writes_nothing(suite: Suite) -> None:
    with acting(*SUPERVISOR):
        defaults = await suite.counting.GetCyclePolicy(pb.GetCyclePolicyRequest(warehouse=WAREHOUSE))
        assert (defaults.a_days, defaults.b_days, defaults.c_days, defaults.capacity) == (30, 91, 182, 200)
        assert Decimal(defaults.large_adjustment_value.value) == 500

        for policy, field in (
            (pb.CyclePolicy(warehouse=WAREHOUSE, a_days=0, b_days=1, c_days=1, capacity=1), "policy.a_days"),
            (pb.CyclePolicy(warehouse=WAREHOUSE, a_days=1, b_days=1, c_days=1, capacity=0), "policy.capacity"),
            (
                pb.CyclePolicy(
                    warehouse=WAREHOUSE, a_days=1, b_days=1, c_days=1, capacity=1, large_adjustment_value=d(-1)
                ),
                "policy.large_adjustment_value",
            ),
            (pb.CyclePolicy(warehouse="", a_days=1, b_days=1, c_days=1, capacity=1), "policy.warehouse"),
        ):
            error = await refused(
                suite.counting.SetCyclePolicy(pb.SetCyclePolicyRequest(idempotency_key=key(), policy=policy))
            )
            assert error.field == field
        assert await suite.counting.GetCyclePolicy(pb.GetCyclePolicyRequest(warehouse=WAREHOUSE)) == defaults

        for fields, code, field in (
            ({"a_percent": d(90), "b_percent": d(85)}, ErrorCode.OUT_OF_RANGE, "b_percent"),
            ({"a_percent": d(101)}, ErrorCode.OUT_OF_RANGE, "a_percent"),
            ({"warehouse": "WH 1"}, ErrorCode.INVALID_FORMAT, "warehouse"),
        ):
            request = pb.ComputeAbcClassesRequest(idempotency_key=key(), **({"warehouse": WAREHOUSE} | fields))
            error = await refused(suite.counting.ComputeAbcClasses(request))
            assert (error.code, error.field) == (code, field)
        listed = await suite.counting.ListAbcClasses(pb.ListAbcClassesRequest(warehouse=WAREHOUSE))
        assert not listed.HasField("computed_at") and not listed.classes

        error = await refused(suite.counting.PlanCounts(pb.PlanCountsRequest(idempotency_key=key(), warehouse="")))
        assert (error.code, error.field) == (ErrorCode.REQUIRED, "warehouse")


@pytest.mark.fault
async def test_an_issue_republished_in_another_envelope_adds_its_value_once(suite: Suite) -> None:
    await create_warehouse(suite)
    sku = await create_item(suite, cost="2")
    issue = stock_events.MovementPosted(movement_id=key(), type="ISSUE", item_sku=sku, quantity=d(3))
    getattr(issue, "from").CopyFrom(stock_events.StockPlace(warehouse=WAREHOUSE, location="A-01", status="AVAILABLE"))
    issue.business_time.CopyFrom(days_from_now(0))
    # The same fact twice, each in an envelope of its own (a relay restored from a backup, say).
    for _ in range(2):
        await publish(suite, "inventory.stock.issue.posted", issue, "stock")
    await eventually(lambda: caught_up(suite, "counting-issues"), "counting has applied both", within=60)

    with acting(*SUPERVISOR):
        classes = await suite.counting.ComputeAbcClasses(
            pb.ComputeAbcClassesRequest(idempotency_key=key(), warehouse=WAREHOUSE)
        )
    assert {c.item_sku: Decimal(c.issue_value.value) for c in classes.classes} == {sku: 6}


@pytest.mark.fault
async def test_a_failed_pick_plans_one_spot_count_of_its_place_however_often_it_is_delivered(suite: Suite) -> None:
    # Counted just now: due for nothing but what happens next.
    warehouse, sku = await counted_item(suite, 9)
    failed = orders_events.PickFailed(
        order="SO-000001",
        line=1,
        item_sku=sku,
        warehouse=warehouse.lower(),
        location="a-01",
        expected=d(3),
        found=d(1),
        who="pia",
        order_id=key(),
        pick=1,
    )
    # Orders' relay delivers the failed pick twice, in two envelopes.
    for _ in range(2):
        await publish(suite, "inventory.orders.pick.failed", failed, "orders")
    await eventually(lambda: caught_up(suite, "counting-failed-picks"), "counting has applied both", within=120)

    planned = await plan(suite, warehouse)
    assert [(i.item_sku, list(i.triggers)) for i in planned.due] == [(sku, ["FAILED_PICK"])]
    assert [
        (c.kind, list(c.locations), list(c.item_skus), c.state, c.blind, list(c.counters)) for c in planned.counts
    ] == [("SPOT", ["A-01"], [sku], "DRAFT", True, ["ann"])]
    assert list((await plan(suite, warehouse)).counts) == []

    # Counted where the pick failed (the shelf holds what the book says: the picker missed
    # it), the place is settled: the same failed pick delivered once more afterwards makes
    # nothing due again.
    await post(suite, planned.counts[0].id, 9)
    await publish(suite, "inventory.orders.pick.failed", failed, "orders")
    await eventually(lambda: caught_up(suite, "counting-failed-picks"), "counting has taken the third delivery")
    assert list((await plan(suite, warehouse, days=1)).due) == []
