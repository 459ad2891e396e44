"""The quality service's handlers over fakes of their ports: plans versioned, lots opened once
per movement, holds by hand asked of stock after the commit, results all or none, decisions
published with everything stock and orders act on."""

from __future__ import annotations

from decimal import Decimal

import pytest
from quality_fakes import (
    AQL_2_5,
    FINISH,
    SKU,
    FakeHolds,
    FakeItems,
    FakeQualityRepository,
    FakeStock,
    activated,
    opened,
    received,
)

from invariant_core import identity
from invariant_core.testing import FakeService, refusal
from invariant_kernel.errors import ErrorCode
from quality.domain import commands
from quality.domain.lots import DocumentRef, InspectionDecided, InspectionLotOpened, LotState, Place
from quality.domain.nonconformance import NonConformanceOpened
from quality.domain.plans import PlanActivated, PlanState
from quality.service import handlers

INSPECTOR = identity.Identity(actor="ines", roles=frozenset({"inspector"}))


@pytest.fixture(autouse=True)
def acting() -> object:
    with identity.acting(INSPECTOR) as who:
        yield who


def service() -> FakeService[FakeQualityRepository]:
    return FakeService(FakeQualityRepository())


async def test_a_draft_is_numbered_after_the_item_and_suppliers_versions_and_activating_it_supersedes_the_last() -> (
    None
):
    quality = service()
    first = await activated(quality)
    second = await activated(quality)
    supplier_plan = await activated(quality, supplier="ACME")

    plans = quality.repo.plans
    assert [(plans[p].version, plans[p].state) for p in (first, second, supplier_plan)] == [
        (1, PlanState.SUPERSEDED),
        (2, PlanState.ACTIVE),
        (1, PlanState.ACTIVE),
    ]
    activations = [e for e in quality.relay() if isinstance(e, PlanActivated)]
    assert [(e.version, e.supplier, e.superseded_plan_id) for e in activations] == [
        (1, "", ""),
        (2, "", first),
        (1, "ACME", ""),
    ]


@pytest.mark.parametrize(
    ("characteristics", "sampling", "field"),
    [
        ((FINISH, commands.CharacteristicInput("DIA", "x", "")), AQL_2_5, "characteristics[1].kind"),
        (
            (FINISH, commands.CharacteristicInput("DIA", "x", handlers.MEASURED, nominal="8")),
            AQL_2_5,
            "characteristics[1].lower",
        ),
        ((FINISH,), commands.SamplingInput(handlers.AQL, level="II", aql="3"), "sampling.aql"),
        ((FINISH,), commands.SamplingInput(handlers.FIXED, size=5, accept=5), "sampling.accept"),
        ((FINISH,), commands.SamplingInput(""), "sampling.kind"),
    ],
)
async def test_a_plan_refused_names_the_field_and_is_not_kept(
    characteristics: tuple[commands.CharacteristicInput, ...], sampling: commands.SamplingInput, field: str
) -> None:
    cmd = commands.DraftPlan(SKU, "", characteristics, sampling)

    refused = await refusal(handlers.prepare_draft(FakeItems(SKU), cmd))

    assert refused.field == field


async def test_a_plan_for_an_item_the_catalog_lacks_is_refused() -> None:
    refused = await refusal(handlers.prepare_draft(FakeItems(), commands.DraftPlan("NOPE", "", (FINISH,), AQL_2_5)))

    assert (refused.code, refused.field) == (ErrorCode.NOT_FOUND, "item_sku")


async def test_a_receipt_into_qc_hold_opens_one_lot_by_the_items_plan_however_often_it_comes() -> None:
    quality = service()
    plan_id = await activated(quality)
    quality.relay()

    (lot,) = await opened(quality, received())

    assert await opened(quality, received()) == []
    assert list(quality.repo.lots) == [lot.id]
    assert lot.opened_by == "dock"
    assert quality.relay() == [InspectionLotOpened(lot)]
    assert (lot.plan.id, lot.place, lot.document) == (
        plan_id,
        Place("WH1", "A-01", "L-7"),
        DocumentRef("PURCHASE_ORDER", "PO-1", "2"),
    )
    assert (lot.sampling.code_letter, lot.sampling.sample_size, lot.sampling.accept, lot.supplier) == ("F", 20, 1, "")


async def test_a_fractional_quantity_is_sampled_as_its_whole_units_rounded_up() -> None:
    quality = service()
    await activated(quality)

    (lot,) = await opened(quality, received("90.5"))

    # 91 units: code letter F (91 to 150), where 90 would be E.
    assert (lot.quantity, lot.sampling.code_letter) == (Decimal("90.5"), "F")


@pytest.mark.parametrize(
    "changes", [{"status": "AVAILABLE"}, {"movement_type": "TRANSFER"}, {"movement_type": "STATUS_CHANGE"}]
)
async def test_only_receipts_and_returns_into_qc_hold_open_lots(changes: dict[str, str]) -> None:
    quality = service()

    assert await opened(quality, received(**changes)) == []
    assert quality.repo.lots == {}


async def test_an_item_without_a_plan_is_judged_by_the_default_visual_check_kept_with_its_lots() -> None:
    quality = service()

    (lot,) = await opened(quality, received(movement_type="RETURN", document_type="RMA"))

    assert (lot.plan.version, [c.code for c in lot.plan.characteristics]) == (0, ["VISUAL"])
    assert quality.repo.plans[lot.plan.id] == lot.plan


async def test_a_hold_by_hand_is_asked_of_stock_and_its_answer_opens_the_lot_or_leaves_it_not_held() -> None:
    quality = service()
    holds = FakeHolds()
    cmd = commands.OpenManualLot(SKU, "wh1", "a-01", "", "10", "complaint", "", "")
    prepared = await handlers.prepare_manual_lot(FakeItems(SKU), FakeStock(("WH1", "A-01")), cmd)

    held = await quality.run(lambda uow, repo, c: handlers.open_manual_lot(holds, uow, repo, c), prepared)
    refused = await quality.run(lambda uow, repo, c: handlers.open_manual_lot(holds, uow, repo, c), prepared)

    assert holds.asked == [held.id, refused.id]
    assert held.state is LotState.HOLDING
    early = await refusal(
        quality.run(handlers.decide_lot, handlers.PreparedDecision(commands.DecideLot(held.id, "ACCEPT", "", ""), None))
    )
    assert (early.code, early.field) == (ErrorCode.INVALID_STATE, "inspection_lot_id")
    await handlers.hold_answered(quality.repo, held.id, "mov-9", "")
    await handlers.hold_answered(quality.repo, refused.id, "", "only 5 AVAILABLE")
    lots = quality.repo.lots
    assert (lots[held.id].state, lots[held.id].movement_id) == (LotState.OPEN, "mov-9")
    assert (lots[refused.id].state, lots[refused.id].hold_refusal) == (LotState.NOT_HELD, "only 5 AVAILABLE")


async def test_results_are_recorded_all_or_none_the_refused_one_named() -> None:
    quality = service()
    await activated(quality)
    (lot,) = await opened(quality, received())
    good = commands.ResultInput(1, "FINISH", None, True, "")
    bad = commands.ResultInput(2, "DIA", None, True, "")

    refused = await refusal(quality.run(handlers.record_results, commands.RecordResults(lot.id, (good, bad))))

    assert (refused.code, refused.field) == (ErrorCode.INVALID_FORMAT, "results[1].passed")
    assert quality.repo.lots[lot.id].results == []


async def test_a_decision_publishes_what_stock_and_orders_act_on() -> None:
    quality = service()
    await activated(quality)
    (lot,) = await opened(quality, received())
    quality.relay()
    results = (commands.ResultInput(1, "FINISH", None, True, ""), commands.ResultInput(1, "DIA", "8.01", False, ""))
    await quality.run(handlers.record_results, commands.RecordResults(lot.id, results))

    decided = await quality.run(
        handlers.decide_lot, handlers.PreparedDecision(commands.DecideLot(lot.id, "PARTIAL", "90", "10"), None)
    )

    assert decided.decision is not None
    [event, ncr_opened] = quality.relay()
    assert isinstance(ncr_opened, NonConformanceOpened)
    assert (ncr_opened.decision_id, ncr_opened.rejected, ncr_opened.defects) == (
        decided.decision.id,
        Decimal(10),
        (),
    )
    assert event == InspectionDecided(
        decided.decision.id,
        lot.id,
        "mov-1",
        SKU,
        Place("WH1", "A-01", "L-7"),
        DocumentRef("PURCHASE_ORDER", "PO-1", "2"),
        Decimal(90),
        Decimal(10),
        "ines",
        1,
        decided.decision.at,
    )


async def test_someone_who_inspected_nothing_decides_only_as_a_supervisor() -> None:
    quality = service()
    (lot,) = await opened(quality, received())

    with identity.acting(identity.Identity(actor="otto", roles=frozenset({"inspector"}))):
        refused = await refusal(
            quality.run(
                handlers.decide_lot, handlers.PreparedDecision(commands.DecideLot(lot.id, "ACCEPT", "", ""), None)
            )
        )
    with identity.acting(identity.Identity(actor="sam", roles=frozenset({"supervisor"}))):
        decided = await quality.run(
            handlers.decide_lot, handlers.PreparedDecision(commands.DecideLot(lot.id, "REJECT", "", ""), None)
        )

    assert (refused.code, refused.field) == (ErrorCode.PERMISSION_DENIED, "decided_by")
    assert decided.decision is not None and (decided.decision.decided_by, decided.decision.rejected) == ("sam", 100)


async def test_movements_that_come_together_open_a_lot_each_and_one_seen_twice_once() -> None:
    quality = service()
    plan_id = await activated(quality)
    await opened(quality, received(movement_id="mov-1"))

    lots = await opened(
        quality,
        received(movement_id="mov-1"),
        received("20", movement_id="mov-2"),
        received("30", movement_id="mov-3", movement_type="RETURN", document_type="RMA"),
        received("20", movement_id="mov-2"),
        received(movement_id="mov-4", status="AVAILABLE"),
    )

    assert [(lot.movement_id, lot.quantity, lot.plan.id) for lot in lots] == [
        ("mov-2", Decimal(20), plan_id),
        ("mov-3", Decimal(30), plan_id),
    ]
    assert len(quality.repo.lots) == 3
