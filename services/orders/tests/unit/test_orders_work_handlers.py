"""Work-order handlers over in-memory ports: what a release pins and reserves, how issues are
split between the reservation and the shelf and keyed so that a retry moves stock once, the
over-issue approval, completion into inspection, the variance and releases at close, and
rework orders, which issue rejected goods whole at release and send what they make to inspection."""

from __future__ import annotations

from decimal import Decimal
from functools import partial

import pytest
from work_order_fakes import SHELF, WAREHOUSE, FakeBoms, FakeItems, FakeReleases, FakeWorkStock, WorkOrdersService

from invariant_core import identity
from invariant_core.testing import refusal
from invariant_kernel.errors import ErrorCode
from invariant_kernel.units import ItemView
from orders.domain import work_commands as commands
from orders.domain.work_orders import (
    OverIssueState,
    PostingKind,
    ReworkSource,
    WorkOrder,
    WorkOrderKind,
    WorkOrderState,
)
from orders.service import work_orders as handlers
from orders.service.ports import ExplodedComponent, ProductionFacts

PLANNER = identity.Identity(actor="pia", roles=frozenset({"planner"}))
OPERATOR = identity.Identity(actor="olga", roles=frozenset({"operator", "supervisor"}))
SUPERVISOR = identity.Identity(actor="sam", roles=frozenset({"supervisor"}))
ITEMS = FakeItems(
    ItemView("FRAME", "EA", {"BOX": Decimal(10)}, lot_tracked=True),
    ItemView("FORK", "EA"),
    ItemView("BOLT", "EA", {"BOX": Decimal(10)}),
    barcodes={"4006381333931": "BOLT", "0000": "NUT"},
)


class Floor:
    """A frame of 2 forks (a sub-assembly) and 5.5 bolts, with its stock and its releases."""

    def __init__(self, forks: int = 12, bolts: int = 100) -> None:
        self.service = WorkOrdersService()
        self.boms = FakeBoms(
            {
                "FRAME": (
                    "BOM-FRAME",
                    [
                        ExplodedComponent("FORK", "EA", Decimal(2), True),
                        ExplodedComponent("BOLT", "EA", Decimal("5.5"), False),
                    ],
                )
            }
        )
        self.stock = FakeWorkStock({("FORK", SHELF, ""): Decimal(forks), ("BOLT", SHELF, ""): Decimal(bolts)})
        self.releases = FakeReleases()

    async def create(self, quantity: str = "10", unit: str = "") -> WorkOrder:
        placed = await handlers.prepare_work_order(
            ITEMS, self.stock, commands.CreateWorkOrder("frame", quantity, unit, WAREHOUSE.lower(), None)
        )
        return await self.service.run(handlers.create_work_order, placed)

    async def release(self, number: str) -> WorkOrder:
        released = await handlers.prepare_release(
            self.service.reading, ITEMS, self.boms, self.stock, commands.ReleaseWorkOrder(number)
        )
        return await self.service.run(handlers.release_work_order, released)

    async def issue(self, number: str, *lines: tuple[str, str], key: str = "k") -> WorkOrder:
        return await self.service.run(handlers.record_postings, await self.post(number, *lines, key=key))

    async def post(self, number: str, *lines: tuple[str, str], key: str = "k") -> handlers.Posted:
        """An issue posted in stock and not recorded yet."""
        given = tuple(commands.ComponentQuantity(sku, q, "", SHELF, "") for sku, q in lines)
        return await handlers.prepare_issue(
            self.service.reading, self.service.writing, ITEMS, self.stock, commands.IssueComponents(number, given, key)
        )

    async def ask(self, number: str, sku: str, quantity: str) -> WorkOrder:
        asked = await handlers.prepare_over_issue(
            self.service.reading, ITEMS, commands.RequestOverIssue(number, sku, quantity, "", "bent")
        )
        return await self.service.run(handlers.request_over_issue, asked)

    async def decide(self, number: str, request: str, approve: bool = True) -> WorkOrder:
        return await self.service.run(
            handlers.decide_over_issue, commands.DecideOverIssue(number, request, approve, "")
        )

    async def complete(self, number: str, quantity: str, lot: str = "L-1") -> WorkOrder:
        posted = await handlers.prepare_completion(
            self.service.reading, ITEMS, self.stock, commands.CompleteWorkOrder(number, quantity, "", SHELF, lot, "c")
        )
        return await self.service.run(handlers.complete_work_order, posted)

    async def close(self, number: str) -> WorkOrder:
        closing = partial(handlers.close_work_order, self.releases)
        return await self.service.run(closing, commands.CloseWorkOrder(number, "done"))


async def test_a_release_pins_the_requirements_reserves_them_and_suggests_short_sub_assemblies() -> None:
    floor = Floor()
    with identity.acting(PLANNER):
        draft = await floor.create("1", "box")
        assert (draft.quantity, draft.unit, draft.base_quantity) == (1, "BOX", 10)
        order = await floor.release(draft.number)

    assert (order.state, order.bom_id) == (WorkOrderState.RELEASED, "BOM-FRAME")
    assert floor.boms.asked[0][:2] == ("FRAME", Decimal(10))
    summary = [(c.item_sku, c.required, c.reserved, c.shortfall) for c in order.components]
    assert summary == [("FORK", 20, 12, 8), ("BOLT", 55, 55, 0)]
    [child] = order.suggested_children
    assert (child.item_sku, child.quantity, child.warehouse) == ("FORK", 8, WAREHOUSE)
    assert [t.actor for t in order.transitions] == ["pia", "pia"]


async def test_a_release_prepared_twice_reserves_once_and_records_once() -> None:
    floor = Floor()
    draft = await floor.create()
    first = await handlers.prepare_release(
        floor.service.reading, ITEMS, floor.boms, floor.stock, commands.ReleaseWorkOrder(draft.number)
    )
    second = await handlers.prepare_release(
        floor.service.reading, ITEMS, floor.boms, floor.stock, commands.ReleaseWorkOrder(draft.number)
    )
    assert first.grants == second.grants
    assert floor.stock.reserved == {"FORK": 12, "BOLT": 55}
    recorded = await floor.service.run(handlers.release_work_order, first)
    assert await floor.service.run(handlers.release_work_order, second) == recorded
    assert len(recorded.transitions) == 2


async def test_no_bom_in_effect_refuses_the_release_and_the_order_stays_draft() -> None:
    floor = Floor()
    floor.boms.boms.clear()
    draft = await floor.create()
    refused = await refusal(floor.release(draft.number))
    assert (refused.code, refused.field) == (ErrorCode.NOT_FOUND, "number")
    assert floor.service.repo.orders[draft.number].state is WorkOrderState.DRAFT
    assert not floor.stock.reserved


async def test_an_issue_takes_from_the_reservation_first_and_a_retry_posts_nothing_new() -> None:
    floor = Floor()
    order = await floor.release((await floor.create()).number)
    # 55 bolts are reserved; 50 are issued from the reservation, then 5 of it and 5 beyond.
    await floor.issue(order.number, ("BOLT", "50"), key="first")
    posted = await floor.post(order.number, ("bolt", "5"), key="second")
    again = await floor.post(order.number, ("bolt", "5"), key="second")
    assert again.postings[0].movement_ids == posted.postings[0].movement_ids
    assert [(p.quantity, p.reservation_id) for _, p in floor.stock.posted] == [(50, "R-BOLT"), (5, "R-BOLT")]
    issued = await floor.service.run(handlers.record_postings, posted)
    bolts = issued.component("BOLT", "")
    assert (bolts.issued, bolts.still_reserved) == (55, 0)
    assert floor.stock.shelves[("BOLT", SHELF, "")] == 45


async def test_an_issue_beyond_requirement_and_tolerance_is_refused_and_nothing_is_posted() -> None:
    floor = Floor()
    await floor.service.run(
        handlers.set_issue_tolerance, await handlers.prepare_tolerance(ITEMS, commands.SetIssueTolerance("bolt", "10"))
    )
    order = await floor.release((await floor.create()).number)
    assert order.component("BOLT", "").tolerance_percent == 10
    # 55 required and 10 % more: 60.5 in all without approval.
    await floor.issue(order.number, ("BOLT", "60"), key="a")
    refused = await refusal(floor.issue(order.number, ("BOLT", "0.25"), ("BOLT", "0.5"), key="b"))
    assert (refused.code, refused.field) == (ErrorCode.OUT_OF_RANGE, "lines[1].quantity")
    assert len(floor.stock.posted) == 2
    assert floor.service.repo.orders[order.number].component("BOLT", "").issued == 60


async def test_two_issues_at_once_cannot_both_pass_the_allowance() -> None:
    floor = Floor()
    order = await floor.release((await floor.create()).number)
    # The first is posted in stock and not recorded yet when the second is checked.
    first = await floor.post(order.number, ("BOLT", "40"), key="first")
    refused = await refusal(floor.post(order.number, ("BOLT", "20"), key="second"))
    assert (refused.code, refused.field) == (ErrorCode.OUT_OF_RANGE, "lines[0].quantity")
    assert len(floor.stock.posted) == 1
    await floor.service.run(handlers.record_postings, first)
    assert not floor.service.repo.claims
    assert (await floor.issue(order.number, ("BOLT", "15"), key="third")).component("BOLT", "").issued == 55


async def test_an_issue_from_a_short_shelf_is_refused_before_anything_is_posted() -> None:
    floor = Floor(bolts=45)
    order = await floor.release((await floor.create()).number)
    refused = await refusal(floor.issue(order.number, ("FORK", "10"), ("BOLT", "30"), ("BOLT", "20")))
    assert (refused.code, refused.field) == (ErrorCode.INSUFFICIENT_STOCK, "lines[2].quantity")
    assert not floor.stock.posted
    # Its claim on the allowance is given back.
    assert not floor.service.repo.claims


async def test_an_over_issue_is_approved_by_another_supervisor_and_allowed_once() -> None:
    floor = Floor()
    order = await floor.release((await floor.create()).number)
    with identity.acting(OPERATOR):
        await floor.issue(order.number, ("BOLT", "55"))
        asked = await floor.ask(order.number, "bolt", "5.5")
        [request] = asked.over_issues
        assert (request.number, request.state, request.requested_by) == ("OI-000001", OverIssueState.PENDING, "olga")
        own = await refusal(floor.decide(order.number, request.number))
        assert (own.code, own.field) == (ErrorCode.PERMISSION_DENIED, "request")
        assert "olga" in own.message
    with identity.acting(PLANNER):
        no_role = await refusal(floor.decide(order.number, request.number))
        assert (no_role.code, no_role.field) == (ErrorCode.PERMISSION_DENIED, "request")
    with identity.acting(SUPERVISOR):
        approved = await floor.decide(order.number, request.number)
        assert approved.over_issues[0].state is OverIssueState.APPROVED
        twice = await refusal(floor.decide(order.number, request.number, approve=False))
        assert twice.code is ErrorCode.INVALID_STATE
    with identity.acting(OPERATOR):
        # 3 and 2.5 beyond in two lines of one request draw on the one approval.
        issued = await floor.issue(order.number, ("BOLT", "3"), ("BOLT", "2.5"), key="beyond")
        assert (issued.component("BOLT", "").over_issued, issued.over_issues[0].state) == (
            Decimal("5.5"),
            OverIssueState.USED,
        )
        again = await refusal(floor.issue(order.number, ("BOLT", "0.5"), key="more"))
        assert again.field == "lines[0].quantity"


async def test_a_rejected_over_issue_allows_nothing() -> None:
    floor = Floor()
    order = await floor.release((await floor.create()).number)
    await floor.issue(order.number, ("BOLT", "55"))
    with identity.acting(OPERATOR):
        asked = await floor.ask(order.number, "BOLT", "2")
    with identity.acting(SUPERVISOR):
        rejected = await floor.decide(order.number, asked.over_issues[0].number, approve=False)
    assert (rejected.over_issues[0].state, rejected.over_issues[0].decided_by) == (OverIssueState.REJECTED, "sam")
    assert (await refusal(floor.issue(order.number, ("BOLT", "1"), key="x"))).code is ErrorCode.OUT_OF_RANGE


async def test_finished_goods_go_into_inspection_when_the_item_is_inspected_on_production() -> None:
    floor = Floor()
    floor.service.repo.facts["FRAME"] = ProductionFacts(Decimal(50), inspect_on_production=True)
    order = await floor.release((await floor.create()).number)
    no_lot = await refusal(floor.complete(order.number, "4", lot=""))
    assert (no_lot.code, no_lot.field) == (ErrorCode.REQUIRED, "lot")
    done = await floor.complete(order.number, "4")
    [(_, receipt)] = floor.stock.posted
    assert (receipt.kind, receipt.on_hold, receipt.lot, receipt.number) == (
        PostingKind.RECEIPT,
        True,
        "L-1",
        order.number,
    )
    assert (done.completed, done.state) == (4, WorkOrderState.RELEASED)
    beyond = await refusal(floor.complete(order.number, "7"))
    assert (beyond.code, beyond.field) == (ErrorCode.OUT_OF_RANGE, "quantity")


async def test_close_reports_the_variance_for_what_was_completed_and_gives_back_what_is_held() -> None:
    floor = Floor()
    floor.service.repo.facts.update(
        {"BOLT": ProductionFacts(Decimal("2.5"), False), "FORK": ProductionFacts(Decimal(7), False)}
    )
    order = await floor.release((await floor.create()).number)
    await floor.issue(order.number, ("BOLT", "40"), ("FORK", "10"), key="1")
    back = await handlers.prepare_return(
        floor.service.reading,
        ITEMS,
        floor.stock,
        commands.ReturnComponents(order.number, (commands.ComponentQuantity("BOLT", "4", "", SHELF, ""),), "r"),
    )
    await floor.service.run(handlers.record_postings, back)
    await floor.complete(order.number, "6")

    closed = await floor.close(order.number)

    bolts, forks = closed.component("BOLT", ""), closed.component("FORK", "")
    # Bolts: 40 - 4 - 55 x 6/10 = 3, at 2.5 = 7.5; forks: 10 - 20 x 6/10 = -2, at 7 = -14.
    assert (bolts.standard, bolts.variance, bolts.variance_value) == (33, 3, Decimal("7.5"))
    assert (forks.standard, forks.variance, forks.variance_value) == (12, -2, -14)
    assert sorted(floor.releases.sent) == [(order.number, "BOLT", 15), (order.number, "FORK", 2)]
    late = await refusal(floor.close(order.number))
    assert late.code is ErrorCode.INVALID_STATE


@pytest.mark.parametrize(
    ("quantity", "code"),
    [("0", ErrorCode.OUT_OF_RANGE), ("-1", ErrorCode.OUT_OF_RANGE), ("0.0000001", ErrorCode.TOO_PRECISE)],
)
async def test_a_bad_return_quantity_is_refused_naming_the_line(quantity: str, code: ErrorCode) -> None:
    floor = Floor()
    order = await floor.release((await floor.create()).number)
    await floor.issue(order.number, ("BOLT", "5"))
    given = (commands.ComponentQuantity("BOLT", quantity, "", SHELF, ""),)
    refused = await refusal(
        handlers.prepare_return(
            floor.service.reading, ITEMS, floor.stock, commands.ReturnComponents(order.number, given, "r")
        )
    )
    assert (refused.code, refused.field) == (code, "lines[0].quantity")
    beyond = (commands.ComponentQuantity("BOLT", "6", "", SHELF, ""),)
    too_much = await refusal(
        handlers.prepare_return(
            floor.service.reading, ITEMS, floor.stock, commands.ReturnComponents(order.number, beyond, "r")
        )
    )
    assert (too_much.code, too_much.field) == (ErrorCode.OUT_OF_RANGE, "lines[0].quantity")


async def test_a_component_is_issued_by_its_scanned_barcode_and_a_wrong_scan_is_refused() -> None:
    floor = Floor()
    order = await floor.release((await floor.create()).number)

    def scanned(barcode: str, sku: str = "") -> commands.IssueComponents:
        return commands.IssueComponents(
            order.number, (commands.ComponentQuantity(sku, "1", "box", SHELF, "", barcode),), barcode
        )

    posted = await handlers.prepare_issue(
        floor.service.reading, floor.service.writing, ITEMS, floor.stock, scanned("4006381333931")
    )
    issued = await floor.service.run(handlers.record_postings, posted)
    assert issued.component("BOLT", "").issued == 10
    wrong = await refusal(
        handlers.prepare_issue(floor.service.reading, floor.service.writing, ITEMS, floor.stock, scanned("0000"))
    )
    assert (wrong.code, wrong.field) == (ErrorCode.NOT_FOUND, "lines[0].barcode")
    unknown = await refusal(
        handlers.prepare_issue(floor.service.reading, floor.service.writing, ITEMS, floor.stock, scanned("9999"))
    )
    assert (unknown.code, unknown.field) == (ErrorCode.NOT_FOUND, "lines[0].barcode")
    both = await refusal(
        handlers.prepare_issue(
            floor.service.reading, floor.service.writing, ITEMS, floor.stock, scanned("0000", "BOLT")
        )
    )
    assert (both.code, both.field) == (ErrorCode.MUTUALLY_EXCLUSIVE, "lines[0]")


QUARANTINE = "Q-01"
REJECTED_FRAMES = ReworkSource("ncr", "NCR-1", "D-1", "q-01", "L-7")


async def rework(floor: Floor, quantity: str = "6", source: ReworkSource | None = REJECTED_FRAMES) -> WorkOrder:
    floor.stock.locations_known.add(QUARANTINE)
    placed = await handlers.prepare_work_order(
        ITEMS, floor.stock, commands.CreateWorkOrder("frame", quantity, "", WAREHOUSE, None, "REWORK", source)
    )
    return await floor.service.run(handlers.create_work_order, placed)


async def test_a_rework_order_issues_its_rejected_goods_whole_at_release_once_and_completes_into_inspection() -> None:
    floor = Floor()
    draft = await rework(floor)
    assert (draft.kind, draft.rework) == (WorkOrderKind.REWORK, ReworkSource("NCR", "NCR-1", "D-1", QUARANTINE, "L-7"))

    first = await handlers.prepare_release(
        floor.service.reading, ITEMS, floor.boms, floor.stock, commands.ReleaseWorkOrder(draft.number)
    )
    second = await handlers.prepare_release(
        floor.service.reading, ITEMS, floor.boms, floor.stock, commands.ReleaseWorkOrder(draft.number)
    )
    order = await floor.service.run(handlers.release_work_order, first)
    assert await floor.service.run(handlers.release_work_order, second) == order

    [(_, issued)] = floor.stock.posted
    assert (issued.kind, issued.rework, issued.item_sku, issued.quantity) == (PostingKind.ISSUE, True, "FRAME", 6)
    assert (issued.location, issued.lot, issued.number, issued.reservation_id) == (QUARANTINE, "L-7", draft.number, "")
    assert not floor.boms.asked and not floor.stock.reserved
    assert order.state is WorkOrderState.RELEASED
    assert [(c.item_sku, c.required, c.issued, c.returned) for c in order.components] == [("FRAME", 6, 6, 0)]
    assert [(p.kind, p.quantity, p.movement_ids) for p in order.postings] == [(PostingKind.ISSUE, 6, ("M-1",))]

    more = await refusal(floor.post(order.number, ("FRAME", "1")))
    back = await refusal(
        handlers.prepare_return(
            floor.service.reading,
            ITEMS,
            floor.stock,
            commands.ReturnComponents(order.number, (commands.ComponentQuantity("FRAME", "1", "", SHELF, "L-7"),), "r"),
        )
    )
    assert [(r.code, r.field) for r in (more, back)] == [(ErrorCode.INVALID_STATE, "number")] * 2
    assert len(floor.stock.posted) == 1

    done = await floor.complete(order.number, "6")
    receipt = floor.stock.posted[-1][1]
    assert (receipt.kind, receipt.on_hold, receipt.rework) == (PostingKind.RECEIPT, True, False)
    assert done.state is WorkOrderState.COMPLETED


@pytest.mark.parametrize(
    ("kind", "source", "code", "field"),
    [
        ("REWORK", None, ErrorCode.REQUIRED, "rework"),
        ("", REJECTED_FRAMES, ErrorCode.INVALID_FORMAT, "rework"),
        ("SCRAP", None, ErrorCode.INVALID_FORMAT, "kind"),
        ("REWORK", ReworkSource("NCR", " ", "D-1", QUARANTINE, "L-7"), ErrorCode.REQUIRED, "rework.document_id"),
        ("REWORK", ReworkSource("", "NCR-1", "D-1", QUARANTINE, "L-7"), ErrorCode.REQUIRED, "rework.document_type"),
        ("REWORK", ReworkSource("NCR", "NCR-1", "D-1", "Q-09", "L-7"), ErrorCode.NOT_FOUND, "rework.location"),
        ("REWORK", ReworkSource("NCR", "NCR-1", "D-1", "", "L-7"), ErrorCode.REQUIRED, "rework.location"),
        ("REWORK", ReworkSource("NCR", "NCR-1", "D-1", QUARANTINE, ""), ErrorCode.REQUIRED, "rework.lot"),
    ],
)
async def test_a_rework_order_names_the_rejected_goods_it_reworks_and_only_it_does(
    kind: str, source: ReworkSource | None, code: ErrorCode, field: str
) -> None:
    floor = Floor()
    floor.stock.locations_known.add(QUARANTINE)
    refused = await refusal(
        handlers.prepare_work_order(
            ITEMS, floor.stock, commands.CreateWorkOrder("frame", "6", "", WAREHOUSE, None, kind, source)
        )
    )
    assert (refused.code, refused.field) == (code, field)
