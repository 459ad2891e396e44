"""Non-conformance through its handlers over fakes of their ports: a rejection opens a record,
dispositions wait for stock to put the goods aside, each is asked of stock once, use as is
only once a manager other than who asked approves it, a rework is asked of orders and carried
out by stock's issue to its work order, and the record closes only when stock carried out
every rejected unit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from quality_fakes import SKU, FakeDispositions, FakeQualityRepository, activated, opened, received

from invariant_core import identity
from invariant_core.testing import FakeService, refusal
from invariant_kernel.errors import ErrorCode
from quality.domain import commands
from quality.domain.lots import Place
from quality.domain.nonconformance import DispositionState, NcrState, ReturnToSupplier, ReworkOrder, UseAsIs
from quality.service import handlers, nonconformance

INSPECTOR = identity.Identity(actor="ines", roles=frozenset({"inspector"}))
QUINN = identity.Identity(actor="quinn", roles=frozenset({"manager"}))
MARIA = identity.Identity(actor="maria", roles=frozenset({"manager"}))
QUARANTINE = Place("WH1", "QZ-1", "L-7")


@pytest.fixture(autouse=True)
def acting() -> object:
    with identity.acting(INSPECTOR) as who:
        yield who


async def rejected_ten() -> tuple[FakeService[FakeQualityRepository], FakeDispositions, str, str]:
    """A lot of 100 decided 90/10: its record, and the decision's id."""
    quality = FakeService(FakeQualityRepository())
    await activated(quality)
    (lot,) = await opened(quality, received())
    failed = (commands.ResultInput(1, "FINISH", None, False, "RUST"), commands.ResultInput(1, "DIA", "8.00", False, ""))
    await quality.run(handlers.record_results, commands.RecordResults(lot.id, failed))
    decided = await quality.run(
        handlers.decide_lot,
        handlers.PreparedDecision(commands.DecideLot(lot.id, "PARTIAL", "90", "10"), Decimal("2.5")),
    )
    assert decided.decision is not None
    [ncr] = quality.repo.ncrs.values()
    return quality, FakeDispositions(), ncr.id, decided.decision.id


async def plan(
    quality: FakeService[FakeQualityRepository], asked: FakeDispositions, ncr_id: str, kind: str, quantity: str
) -> str:
    ncr = await quality.run(
        lambda uow, repo, cmd: nonconformance.plan_disposition(asked, uow, repo, cmd),
        commands.PlanDisposition(ncr_id, kind, quantity),
    )
    return ncr.dispositions[-1].id


async def test_a_rejection_opens_a_record_with_the_lots_defects_and_its_cost_is_kept() -> None:
    quality, _, ncr_id, decision_id = await rejected_ten()

    ncr = quality.repo.ncrs[ncr_id]
    assert (ncr.rejected, ncr.supplier, ncr.located, ncr.state) == (Decimal(10), "", False, NcrState.OPEN)
    assert [(d.code, d.count) for d in ncr.defects] == [("RUST", 1)]
    assert quality.repo.costs[decision_id] == Decimal("2.5")


async def test_dispositions_wait_for_stock_to_put_the_goods_aside_then_are_asked_once() -> None:
    quality, asked, ncr_id, decision_id = await rejected_ten()
    first = await plan(quality, asked, ncr_id, "RETURN_TO_SUPPLIER", "6")
    assert asked.asked == []

    moved = (decision_id, QUARANTINE)
    for _ in range(2):
        await quality.run(lambda uow, repo, _: nonconformance.rejected_goods_moved(asked, uow, repo, *moved), None)
    second = await plan(quality, asked, ncr_id, "SCRAP", "4")

    assert [(r.disposition_id, r.place, r.quantity) for r in asked.asked] == [
        (first, QUARANTINE, Decimal(6)),
        (second, QUARANTINE, Decimal(4)),
    ]
    assert isinstance(asked.asked[0], ReturnToSupplier)
    withdrawn = await refusal(
        quality.run(nonconformance.withdraw_disposition, commands.WithdrawDisposition(ncr_id, first))
    )
    assert (withdrawn.code, withdrawn.field) == (ErrorCode.INVALID_STATE, "disposition_id")


async def test_a_disposition_beyond_the_rejected_units_is_refused_naming_quantity_and_nothing_is_asked() -> None:
    quality, asked, ncr_id, decision_id = await rejected_ten()
    await quality.run(
        lambda uow, repo, _: nonconformance.rejected_goods_moved(asked, uow, repo, decision_id, QUARANTINE), None
    )

    refused = await refusal(plan(quality, asked, ncr_id, "SCRAP", "11"))

    assert (refused.code, refused.field) == (ErrorCode.OUT_OF_RANGE, "quantity")
    assert (quality.repo.ncrs[ncr_id].dispositions, asked.asked) == ([], [])


async def test_use_as_is_is_asked_of_stock_only_once_another_manager_approves_it() -> None:
    quality, asked, ncr_id, decision_id = await rejected_ten()
    await quality.run(
        lambda uow, repo, _: nonconformance.rejected_goods_moved(asked, uow, repo, decision_id, QUARANTINE), None
    )
    with identity.acting(QUINN):
        use = await plan(quality, asked, ncr_id, "USE_AS_IS", "10")

        def approve() -> object:
            return quality.run(
                lambda uow, repo, cmd: nonconformance.approve_use_as_is(asked, uow, repo, cmd),
                commands.ApproveUseAsIs(ncr_id, use),
            )

        own = await refusal(approve())  # type: ignore[arg-type]
    assert (own.code, own.field, asked.asked) == (ErrorCode.PERMISSION_DENIED, "approved_by", [])
    with identity.acting(MARIA):
        await approve()  # type: ignore[misc]
        await approve()  # type: ignore[misc]

    assert asked.asked == [UseAsIs(ncr_id, use, "BOLT-M8", QUARANTINE, Decimal(10), "quinn", "maria")]


async def test_the_record_closes_only_once_stock_carried_out_every_rejected_unit() -> None:
    quality, asked, ncr_id, decision_id = await rejected_ten()
    await quality.run(
        lambda uow, repo, _: nonconformance.rejected_goods_moved(asked, uow, repo, decision_id, QUARANTINE), None
    )
    back = await plan(quality, asked, ncr_id, "RETURN_TO_SUPPLIER", "10")
    early = await refusal(quality.run(nonconformance.close_nonconformance, commands.CloseNonConformance(ncr_id)))
    assert (early.code, early.field) == (ErrorCode.INVALID_STATE, "dispositions")

    for _ in range(2):
        await quality.run(
            lambda uow, repo, _: nonconformance.disposition_answered(uow, repo, ncr_id, back, "mov-9", "rita", ""),
            None,
        )
    closed = await quality.run(nonconformance.close_nonconformance, commands.CloseNonConformance(ncr_id))

    assert [(d.state, d.movement_id) for d in closed.dispositions] == [(DispositionState.CARRIED_OUT, "mov-9")]
    assert (closed.state, closed.closed_by) == (NcrState.CLOSED, "ines")


async def test_stocks_refusal_is_kept_and_the_disposition_can_then_be_withdrawn() -> None:
    quality, asked, ncr_id, decision_id = await rejected_ten()
    await quality.run(
        lambda uow, repo, _: nonconformance.rejected_goods_moved(asked, uow, repo, decision_id, QUARANTINE), None
    )
    scrap = await plan(quality, asked, ncr_id, "SCRAP", "10")
    await quality.run(
        lambda uow, repo, _: nonconformance.disposition_answered(uow, repo, ncr_id, scrap, "", "", "not enough"),
        None,
    )

    withdrawn = await quality.run(nonconformance.withdraw_disposition, commands.WithdrawDisposition(ncr_id, scrap))

    assert [(d.state, d.refusal) for d in withdrawn.dispositions] == [(DispositionState.WITHDRAWN, "not enough")]
    assert withdrawn.unplanned == Decimal(10)


async def reworking_ten() -> tuple[FakeService[FakeQualityRepository], str, str]:
    """A record whose ten rejected units, put aside, are planned for rework: asked of orders."""
    quality, asked, ncr_id, decision_id = await rejected_ten()
    await quality.run(
        lambda uow, repo, _: nonconformance.rejected_goods_moved(asked, uow, repo, decision_id, QUARANTINE), None
    )
    rework = await plan(quality, asked, ncr_id, "REWORK", "10")
    assert asked.asked == [ReworkOrder(ncr_id, rework, SKU, QUARANTINE, Decimal(10))]
    return quality, ncr_id, rework


@pytest.mark.parametrize("orders_first", [True, False])
async def test_a_rework_is_carried_out_by_the_issue_to_its_work_order_whichever_is_told_first(
    orders_first: bool,
) -> None:
    quality, ncr_id, rework = await reworking_ten()

    async def ordered() -> None:
        await quality.run(
            lambda uow, repo, _: nonconformance.rework_ordered(uow, repo, ncr_id, rework, "WO-000007", ""), None
        )

    async def issued() -> None:
        await quality.run(
            lambda uow, repo, _: nonconformance.rework_issued(uow, repo, "WO-000007", Decimal(10), "mov-3", "olga"),
            None,
        )

    first, second = (ordered, issued) if orders_first else (issued, ordered)
    await first()
    assert quality.repo.ncrs[ncr_id].dispositions[0].state is DispositionState.PLANNED
    await second()

    [done] = quality.repo.ncrs[ncr_id].dispositions
    assert (done.state, done.work_order_id, done.movement_id, done.carried_out_by) == (
        DispositionState.CARRIED_OUT,
        "WO-000007",
        "mov-3",
        "olga",
    )
    closed = await quality.run(nonconformance.close_nonconformance, commands.CloseNonConformance(ncr_id))
    assert closed.state is NcrState.CLOSED


async def test_an_issue_to_another_work_order_carries_no_rework_out() -> None:
    quality, ncr_id, rework = await reworking_ten()
    await quality.run(
        lambda uow, repo, _: nonconformance.rework_ordered(uow, repo, ncr_id, rework, "WO-000007", ""), None
    )
    await quality.run(
        lambda uow, repo, _: nonconformance.rework_issued(uow, repo, "WO-000008", Decimal(10), "mov-3", "olga"), None
    )

    [planned] = quality.repo.ncrs[ncr_id].dispositions
    assert (planned.state, planned.work_order_id, planned.movement_id) == (DispositionState.PLANNED, "WO-000007", "")
    still = await refusal(quality.run(nonconformance.close_nonconformance, commands.CloseNonConformance(ncr_id)))
    assert (still.code, still.field) == (ErrorCode.INVALID_STATE, "dispositions")


async def test_orders_refusal_of_a_rework_is_kept_and_it_can_then_be_withdrawn() -> None:
    quality, ncr_id, rework = await reworking_ten()
    await quality.run(
        lambda uow, repo, _: nonconformance.rework_ordered(uow, repo, ncr_id, rework, "", "no such location"), None
    )

    withdrawn = await quality.run(nonconformance.withdraw_disposition, commands.WithdrawDisposition(ncr_id, rework))

    assert [(d.state, d.refusal, d.work_order_id) for d in withdrawn.dispositions] == [
        (DispositionState.WITHDRAWN, "no such location", "")
    ]
