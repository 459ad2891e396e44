"""Work orders against the real catalog and stock over gRPC: a two-level BOM released and
reserved, components issued, an over-issue approved by a supervisor who did not ask for it,
finished goods into inspection, and the material variance at close, worked out by hand."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import grpc
from orders_support import WAREHOUSE, Suite, d, key, receive, refused, warehouse

from invariant.catalog.v1 import catalog_pb2 as cpb
from invariant.orders.v1 import orders_pb2 as pb
from invariant.stock.v1 import stock_pb2 as spb
from invariant_core import identity, rpc
from invariant_core.messages import date_message
from invariant_core.testing import eventually
from invariant_kernel.errors import ErrorCode

OPERATOR = identity.Identity(actor="olga", roles=frozenset({"operator", "supervisor"}))
SUPERVISOR = identity.Identity(actor="sam", roles=frozenset({"supervisor"}))
PLANNER = identity.Identity(actor="pia", roles=frozenset({"planner"}))


async def item(suite: Suite, name: str, cost: str, **flags: bool) -> str:
    sku = f"{name}-{uuid.uuid4().hex[:8].upper()}"
    await suite.catalog.CreateItem(
        cpb.CreateItemRequest(
            idempotency_key=key(),
            sku=sku,
            name=name,
            base_unit="EA",
            units=[cpb.UnitConversion(unit="BOX", factor=d(10))],
            standard_cost=d(cost),
            **flags,
        )
    )
    return sku


async def bom(suite: Suite, parent: str, lines: list[tuple[str, str, str, str]]) -> str:
    """An active BOM (component, quantity, unit, scrap percent per line), in effect since 2020."""
    version = await suite.catalog.CreateBomVersion(
        cpb.CreateBomVersionRequest(
            idempotency_key=key(), parent_sku=parent, effective_from=date_message(date(2020, 1, 1))
        )
    )
    for component, quantity, unit, scrap in lines:
        await suite.catalog.AddBomLine(
            cpb.AddBomLineRequest(
                idempotency_key=key(),
                bom_id=version.id,
                component_sku=component,
                quantity=d(quantity),
                unit=unit,
                scrap_percent=d(scrap),
            )
        )
    await suite.catalog.ActivateBomVersion(cpb.ActivateBomVersionRequest(idempotency_key=key(), bom_id=version.id))
    return version.id


async def to_promise(suite: Suite, sku: str) -> Decimal:
    found = await suite.stock.GetAvailability(spb.GetAvailabilityRequest(item_sku=sku, warehouse=WAREHOUSE))
    return Decimal(found.available_to_promise.value or "0")


def line(sku: str, quantity: str, unit: str = "") -> pb.ComponentQuantity:
    return pb.ComponentQuantity(component_sku=sku, quantity=d(quantity), unit=unit, location="a-01")


def component(order: pb.WorkOrder, sku: str) -> pb.WorkOrderComponent:
    [found] = [c for c in order.components if c.item_sku == sku]
    return found


async def issue(suite: Suite, number: str, *lines: pb.ComponentQuantity, same: str = "") -> pb.WorkOrder:
    return await suite.orders.IssueComponents(
        pb.IssueComponentsRequest(idempotency_key=same or key(), number=number, lines=list(lines))
    )


@dataclass(frozen=True)
class Frames:
    number: str
    frame: str
    fork: str
    bolt: str

    def __iter__(self) -> Iterator[str]:
        return iter((self.number, self.frame, self.fork, self.bolt))


async def test_a_two_level_work_order_from_release_to_close(suite: Suite) -> None:
    frames = await released_frames(suite)
    await issued_beyond_on_approval(suite, frames)
    await returned_and_completed_into_inspection(suite, frames)
    await closed_with_the_variance(suite, frames)


async def released_frames(suite: Suite) -> Frames:
    await warehouse(suite)
    # A frame (inspected on production, lot-tracked) is made of 2 forks, each made of 3 tubes
    # (a sub-assembly), and half a box of 10 bolts with 10 % scrap: 5.5 bolts per frame.
    frame = await item(suite, "FRAME", "50", inspect_on_production=True, lot_tracked=True)
    fork = await item(suite, "FORK", "7")
    tube = await item(suite, "TUBE", "1")
    bolt = await item(suite, "BOLT", "2.5")
    await bom(suite, fork, [(tube, "3", "", "0")])
    frame_bom = await bom(suite, frame, [(fork, "2", "", "0"), (bolt, "0.5", "BOX", "10")])
    await receive(suite, fork, 12)
    await receive(suite, bolt, 100)

    with identity.acting(PLANNER):
        draft = await suite.orders.CreateWorkOrder(
            pb.CreateWorkOrderRequest(
                idempotency_key=key(), item_sku=frame.lower(), quantity=d(1), unit="box", warehouse=WAREHOUSE
            )
        )
        assert (draft.number[:3], draft.state, draft.base_quantity.value) == ("WO-", pb.WORK_ORDER_STATE_DRAFT, "10")
        once = key()
        released = await suite.orders.ReleaseWorkOrder(
            pb.ReleaseWorkOrderRequest(idempotency_key=once, number=draft.number)
        )
        again = await suite.orders.ReleaseWorkOrder(
            pb.ReleaseWorkOrderRequest(idempotency_key=once, number=draft.number)
        )
    assert again == released
    assert (released.state, released.bom_id, released.bom_version) == (pb.WORK_ORDER_STATE_RELEASED, frame_bom, 1)
    # 10 frames need 20 forks (12 in stock: 8 short, a sub-assembly) and 55 bolts.
    forks, bolts = component(released, fork), component(released, bolt)
    assert (forks.required.value, forks.reserved.value, forks.shortfall.value, forks.has_bom) == ("20", "12", "8", True)
    assert (bolts.required.value, bolts.reserved.value, bolts.shortfall.value, bolts.has_bom) == (
        "55",
        "55",
        "0",
        False,
    )
    [child] = released.suggested_work_orders
    assert (child.item_sku, child.quantity.value, child.warehouse) == (fork, "8", WAREHOUSE)
    assert (await to_promise(suite, bolt), await to_promise(suite, fork)) == (45, 0)
    return Frames(draft.number, frame, fork, bolt)


async def issued_beyond_on_approval(suite: Suite, frames: Frames) -> None:
    """10 % more bolts than required: refused, asked for, approved by another supervisor, issued once."""
    number, _, fork, bolt = frames
    with identity.acting(OPERATOR):
        issued = await issue(suite, number, line(bolt, "5", "BOX"), line(fork, "10"))
        assert (component(issued, bolt).issued.value, component(issued, fork).issued.value) == ("50", "10")
        # 10.5 more would bring the bolts to 60.5: 10 % beyond the requirement.
        beyond = await refused(issue(suite, number, line(bolt, "10.5")))
        assert (beyond.code, beyond.field) == (ErrorCode.OUT_OF_RANGE, "lines[0].quantity")
        asked = await suite.orders.RequestOverIssue(
            pb.RequestOverIssueRequest(
                idempotency_key=key(), number=number, component_sku=bolt, quantity=d("5.5"), reason="bent bolts"
            )
        )
        [request] = asked.over_issues
        assert (request.state, request.requested_by) == (pb.OVER_ISSUE_STATE_PENDING, "olga")
        own = await refused(
            suite.orders.ApproveOverIssue(
                pb.ApproveOverIssueRequest(idempotency_key=key(), number=number, request=request.number)
            )
        )
        assert (own.code, own.field) == (ErrorCode.PERMISSION_DENIED, "request")
    with identity.acting(PLANNER):
        no_role = await refused(
            suite.orders.ApproveOverIssue(
                pb.ApproveOverIssueRequest(idempotency_key=key(), number=number, request=request.number)
            )
        )
        assert no_role.code is ErrorCode.PERMISSION_DENIED
    with identity.acting(SUPERVISOR):
        approved = await suite.orders.ApproveOverIssue(
            pb.ApproveOverIssueRequest(idempotency_key=key(), number=number, request=request.number)
        )
    assert (approved.over_issues[0].state, approved.over_issues[0].decided_by) == (pb.OVER_ISSUE_STATE_APPROVED, "sam")

    with identity.acting(OPERATOR):
        same = key()
        over = await issue(suite, number, line(bolt, "10.5"), same=same)
        assert await issue(suite, number, line(bolt, "10.5"), same=same) == over
        bolts = component(over, bolt)
        assert (bolts.issued.value, bolts.over_issued.value, bolts.still_reserved.value) == ("60.5", "5.5", "0")
        assert over.over_issues[0].state == pb.OVER_ISSUE_STATE_USED
        # The approval is used up: nothing more beyond the requirement.
        used = await refused(issue(suite, number, line(bolt, "1")))
        assert used.field == "lines[0].quantity"


async def returned_and_completed_into_inspection(suite: Suite, frames: Frames) -> None:
    number, frame, _, bolt = frames
    with identity.acting(OPERATOR):
        back = await suite.orders.ReturnComponents(
            pb.ReturnComponentsRequest(idempotency_key=key(), number=number, lines=[line(bolt, "3.5")])
        )
        assert component(back, bolt).returned.value == "3.5"
        # 100 received, 60.5 issued (55 of them reserved first), 3.5 back.
        assert await to_promise(suite, bolt) == Decimal(43)

        no_lot = await refused(
            suite.orders.CompleteWorkOrder(
                pb.CompleteWorkOrderRequest(idempotency_key=key(), number=number, quantity=d(6), location="A-01")
            )
        )
        assert (no_lot.code, no_lot.field) == (ErrorCode.REQUIRED, "lot")
        done = await suite.orders.CompleteWorkOrder(
            pb.CompleteWorkOrderRequest(idempotency_key=key(), number=number, quantity=d(6), location="A-01", lot="L-1")
        )
    assert (done.completed.value, done.state) == ("6", pb.WORK_ORDER_STATE_RELEASED)
    [receipt] = [p for p in done.postings if p.kind == "RECEIPT"]
    [moved] = (await suite.stock.GetMovements(spb.GetMovementsRequest(ids=list(receipt.movement_ids)))).movements
    assert (moved.to.status, moved.to.lot, moved.document.type, moved.document.id) == (
        spb.STOCK_STATUS_QC_HOLD,
        "L-1",
        "WORK_ORDER",
        number,
    )
    assert await to_promise(suite, frame) == 0


async def closed_with_the_variance(suite: Suite, frames: Frames) -> None:
    number, _, fork, bolt = frames
    with identity.acting(PLANNER):
        closed = await suite.orders.CloseWorkOrder(pb.CloseWorkOrderRequest(idempotency_key=key(), number=number))
    assert closed.state == pb.WORK_ORDER_STATE_CLOSED
    variances = {v.item_sku: v for v in closed.variances}
    # Bolts: 60.5 issued - 3.5 returned - 55 x 6/10 standard = 24, at 2.5 each = 60.
    bolts_variance = variances[bolt]
    assert (bolts_variance.standard.value, bolts_variance.variance.value) == ("33", "24")
    assert Decimal(bolts_variance.variance_value.value) == Decimal(60)
    # Forks: 10 issued - 20 x 6/10 = -2, at 7 each = -14.
    forks_variance = variances[fork]
    assert (forks_variance.standard.value, forks_variance.variance.value) == ("12", "-2")
    assert Decimal(forks_variance.variance_value.value) == Decimal(-14)

    # The 2 forks still reserved are given back once the close has committed.
    async def forks_back() -> bool:
        return await to_promise(suite, fork) == 2

    await eventually(forks_back, "the closed order's fork reservation released")

    async def order_shows_it() -> bool:
        found = await suite.orders.GetWorkOrders(pb.GetWorkOrdersRequest(numbers=[number]))
        return component(found.orders[0], fork).still_reserved.value == "0"

    await eventually(order_shows_it, "the closed order shows nothing reserved")
    late = await refused(issue(suite, number, line(bolt, "1")))
    assert late.code is ErrorCode.INVALID_STATE


async def test_a_later_bom_change_does_not_touch_a_released_order(suite: Suite) -> None:
    await warehouse(suite)
    frame = await item(suite, "FRAME", "50")
    bolt = await item(suite, "BOLT", "2.5")
    nut = await item(suite, "NUT", "0.1")
    pinned = await bom(suite, frame, [(bolt, "4", "", "0")])
    order = await suite.orders.CreateWorkOrder(
        pb.CreateWorkOrderRequest(idempotency_key=key(), item_sku=frame, quantity=d(2), warehouse=WAREHOUSE)
    )
    released = await suite.orders.ReleaseWorkOrder(
        pb.ReleaseWorkOrderRequest(idempotency_key=key(), number=order.number)
    )
    await bom(suite, frame, [(nut, "1", "", "0")])

    [found] = (await suite.orders.GetWorkOrders(pb.GetWorkOrdersRequest(numbers=[order.number]))).orders
    assert found == released
    assert found.bom_id == pinned
    assert [(c.item_sku, c.required.value, c.shortfall.value) for c in found.components] == [(bolt, "8", "8")]
    listed = await suite.orders.ListWorkOrders(pb.ListWorkOrdersRequest(state=pb.WORK_ORDER_STATE_RELEASED))
    assert [o.number for o in listed.orders] == [order.number]

    # Nothing is on the shelf, and the finished goods have nowhere unknown to go.
    empty = await refused(issue(suite, order.number, line(bolt, "1")))
    assert (empty.code, empty.field) == (ErrorCode.INSUFFICIENT_STOCK, "lines[0].quantity")
    nowhere = await refused(
        suite.orders.CompleteWorkOrder(
            pb.CompleteWorkOrderRequest(idempotency_key=key(), number=order.number, quantity=d(1), location="Z-99")
        )
    )
    assert (nowhere.code, nowhere.field) == (ErrorCode.NOT_FOUND, "location")
    [still] = (await suite.orders.GetWorkOrders(pb.GetWorkOrdersRequest(numbers=[order.number]))).orders
    assert still == released


async def test_bad_work_orders_are_refused_naming_the_field(suite: Suite) -> None:
    await warehouse(suite)
    frame = await item(suite, "FRAME", "50")
    cases = [
        ({"quantity": d(0)}, "quantity", ErrorCode.OUT_OF_RANGE),
        ({"quantity": d("0.0000001")}, "quantity", ErrorCode.TOO_PRECISE),
        ({"item_sku": "NOPE-1"}, "item_sku", ErrorCode.NOT_FOUND),
        ({"warehouse": "NOWHERE"}, "warehouse", ErrorCode.NOT_FOUND),
        ({"unit": "CRATE"}, "unit", ErrorCode.NOT_FOUND),
    ]
    for change, field, code in cases:
        given = {"item_sku": frame, "quantity": d(1), "warehouse": WAREHOUSE} | change
        error = await refused(suite.orders.CreateWorkOrder(pb.CreateWorkOrderRequest(idempotency_key=key(), **given)))
        assert (error.code, error.field) == (code, field)
    assert not (await suite.orders.ListWorkOrders(pb.ListWorkOrdersRequest())).orders
    order = await suite.orders.CreateWorkOrder(
        pb.CreateWorkOrderRequest(idempotency_key=key(), item_sku=frame, quantity=d(1), warehouse=WAREHOUSE)
    )
    no_bom = await refused(
        suite.orders.ReleaseWorkOrder(pb.ReleaseWorkOrderRequest(idempotency_key=key(), number=order.number))
    )
    assert (no_bom.code, no_bom.field) == (ErrorCode.NOT_FOUND, "number")
    draft = await refused(issue(suite, order.number, line(frame, "1")))
    assert (draft.code, draft.field) == (ErrorCode.INVALID_STATE, "number")
    missing = await refused(
        suite.orders.ReleaseWorkOrder(pb.ReleaseWorkOrderRequest(idempotency_key=key(), number="WO-999999"))
    )
    assert (missing.code, missing.field) == (ErrorCode.NOT_FOUND, "number")


async def test_two_issues_at_once_get_no_more_than_the_requirement_between_them(suite: Suite) -> None:
    await warehouse(suite)
    frame = await item(suite, "FRAME", "50")
    bolt = await item(suite, "BOLT", "2.5")
    await bom(suite, frame, [(bolt, "4", "", "0")])
    await receive(suite, bolt, 100)
    order = await suite.orders.CreateWorkOrder(
        pb.CreateWorkOrderRequest(idempotency_key=key(), item_sku=frame, quantity=d(10), warehouse=WAREHOUSE)
    )
    await suite.orders.ReleaseWorkOrder(pb.ReleaseWorkOrderRequest(idempotency_key=key(), number=order.number))

    # 40 bolts are required; two operators ask for 30 each at once.
    outcomes = await asyncio.gather(
        *(issue(suite, order.number, line(bolt, "30")) for _ in range(2)), return_exceptions=True
    )

    [done] = [o for o in outcomes if isinstance(o, pb.WorkOrder)]
    [lost] = [rpc.from_rpc_error(o) for o in outcomes if isinstance(o, grpc.aio.AioRpcError)]
    assert (lost.code, lost.field) == (ErrorCode.OUT_OF_RANGE, "lines[0].quantity")
    assert component(done, bolt).issued.value == "30"
    # 100 received, 40 reserved of which 30 issued.
    assert await to_promise(suite, bolt) == 60
    [found] = (await suite.orders.GetWorkOrders(pb.GetWorkOrdersRequest(numbers=[order.number]))).orders
    assert component(found, bolt).issued.value == "30"
