"""A non-conformance record: opened by a rejection, every rejected unit disposed of, then closed."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from quality_fakes import NOW, SKU, SUPPLIER, active_plan, open_lot

from invariant_kernel.errors import DomainError, ErrorCode
from quality.domain.lots import Outcome, Place
from quality.domain.nonconformance import (
    MAX_PHOTOS,
    DefectCount,
    DispositionCarriedOut,
    DispositionKind,
    DispositionPlanned,
    DispositionState,
    DispositionWithdrawn,
    NcrState,
    NonConformance,
    NonConformanceClosed,
    NonConformanceOpened,
    ReturnToSupplier,
    ReworkOrder,
    ScrapRejected,
    UseAsIs,
    defects_found,
)
from quality.domain.plans import FixedSample

LATER = NOW + timedelta(hours=3)
QUARANTINE = Place("MAIN", "QUARANTINE", "L-2026-12")
DEFECTS = (DefectCount("RUST", 2), DefectCount("DIA", 1))


def opened(rejected: str = "10") -> NonConformance:
    return NonConformance.open(
        id="NCR-1",
        decision_id="dec-1",
        inspection_lot_id="IL-1",
        item_sku=SKU,
        supplier=SUPPLIER,
        place=QUARANTINE,
        rejected=Decimal(rejected),
        defects=DEFECTS,
        opened_by="ines",
        now=NOW,
    )


def plan(ncr: NonConformance, disposition_id: str, kind: DispositionKind, quantity: str, actor: str = "quinn") -> None:
    ncr.plan_disposition(disposition_id=disposition_id, kind=kind, quantity=Decimal(quantity), actor=actor, now=NOW)


def test_a_rejection_of_90_10_opens_a_record_of_the_10_rejected_units() -> None:
    ncr = opened()

    assert (ncr.state, ncr.rejected, ncr.unplanned, ncr.supplier) == (NcrState.OPEN, Decimal(10), Decimal(10), SUPPLIER)
    assert ncr.events == [
        NonConformanceOpened("NCR-1", "dec-1", "IL-1", SKU, SUPPLIER, QUARANTINE, Decimal(10), DEFECTS, "ines", NOW)
    ]


def test_the_defects_of_a_lot_are_counted_from_its_failed_results() -> None:
    lot = open_lot(active_plan(FixedSample.of(5, 1)))
    lot.record_attribute(1, "FINISH", False, "RUST", "ines", NOW)
    lot.record_attribute(2, "FINISH", False, "SCRATCH", "ines", NOW)
    lot.record_attribute(3, "FINISH", False, "RUST", "ines", NOW)
    lot.record_attribute(4, "FINISH", True, "", "ines", NOW)
    lot.record_measurement(1, "DIA", Decimal("8.30"), "ines", NOW)
    lot.record_measurement(2, "DIA", Decimal("8.00"), "ines", NOW)

    # A measurement outside its limits counts under its characteristic; ties go by code.
    assert defects_found(lot.results) == (DefectCount("RUST", 2), DefectCount("DIA", 1), DefectCount("SCRATCH", 1))


@pytest.mark.parametrize(
    ("rejected", "decision_id", "supplier", "defects", "field"),
    [
        ("0", "dec-1", "", DEFECTS, "rejected"),
        ("-1", "dec-1", "", DEFECTS, "rejected"),
        ("1.0000001", "dec-1", "", DEFECTS, "rejected"),
        ("5", "", "", DEFECTS, "decision_id"),
        ("5", "dec-1", "S" * 65, DEFECTS, "supplier"),
        ("5", "dec-1", "", (DefectCount("RUST", 0),), "defects"),
    ],
)
def test_a_record_needs_a_rejected_quantity_and_its_decision(
    rejected: str, decision_id: str, supplier: str, defects: tuple[DefectCount, ...], field: str
) -> None:
    with pytest.raises(DomainError) as refused:
        NonConformance.open(
            id="NCR-2",
            decision_id=decision_id,
            inspection_lot_id="IL-1",
            item_sku=SKU,
            supplier=supplier,
            place=QUARANTINE,
            rejected=Decimal(rejected),
            defects=defects,
            opened_by="ines",
            now=NOW,
        )

    assert refused.value.field == field


def test_photos_are_kept_once_each_and_bounded() -> None:
    ncr = opened()

    ncr.attach_photo(" s3://quality/NCR-1/rust.jpg ")
    ncr.attach_photo("s3://quality/NCR-1/rust.jpg")
    for reference, field in [("", "photo"), ("x" * 1025, "photo")]:
        with pytest.raises(DomainError) as refused:
            ncr.attach_photo(reference)
        assert refused.value.field == field

    assert ncr.photos == ["s3://quality/NCR-1/rust.jpg"]


def test_a_record_keeps_at_most_its_number_of_photos() -> None:
    ncr = opened()
    for n in range(MAX_PHOTOS):
        ncr.attach_photo(f"photo-{n}")

    with pytest.raises(DomainError) as refused:
        ncr.attach_photo("one-more")

    assert (refused.value.code, refused.value.field) == (ErrorCode.OUT_OF_RANGE, "photo")


def test_the_root_cause_is_bounded_text() -> None:
    ncr = opened()
    ncr.record_root_cause("  Plating bath out of spec at the supplier  ")

    with pytest.raises(DomainError) as refused:
        ncr.record_root_cause("x" * 2001)

    assert ncr.root_cause == "Plating bath out of spec at the supplier"
    assert refused.value.field == "root_cause"


def test_dispositions_may_not_hold_more_than_was_rejected() -> None:
    ncr = opened()
    plan(ncr, "D-1", DispositionKind.RETURN_TO_SUPPLIER, "6")
    plan(ncr, "D-2", DispositionKind.SCRAP, "3")

    with pytest.raises(DomainError) as refused:
        plan(ncr, "D-3", DispositionKind.SCRAP, "1.5")

    assert (refused.value.code, refused.value.field) == (ErrorCode.OUT_OF_RANGE, "quantity")
    assert "1 of 10" in refused.value.message
    assert (ncr.planned, ncr.unplanned) == (Decimal(9), Decimal(1))
    assert [d.id for d in ncr.dispositions] == ["D-1", "D-2"]


def test_carried_out_dispositions_still_count_against_the_rejected_quantity() -> None:
    ncr = opened()
    plan(ncr, "D-1", DispositionKind.SCRAP, "10")
    ncr.carry_out("D-1", movement_id="mov-9", actor="otto", now=LATER)

    with pytest.raises(DomainError) as refused:
        plan(ncr, "D-2", DispositionKind.SCRAP, "0.000001")

    assert refused.value.field == "quantity"


@pytest.mark.parametrize(("quantity", "field"), [("0", "quantity"), ("-2", "quantity"), ("NaN", "quantity")])
def test_a_disposition_is_for_a_positive_quantity(quantity: str, field: str) -> None:
    ncr = opened()

    with pytest.raises(DomainError) as refused:
        plan(ncr, "D-1", DispositionKind.SCRAP, quantity)

    assert refused.value.field == field
    assert ncr.dispositions == []


def test_planning_the_same_disposition_again_changes_nothing_and_another_under_its_id_is_refused() -> None:
    ncr = opened()
    plan(ncr, "D-1", DispositionKind.SCRAP, "4")

    plan(ncr, "D-1", DispositionKind.SCRAP, "4")
    with pytest.raises(DomainError) as refused:
        plan(ncr, "D-1", DispositionKind.SCRAP, "5")

    assert (refused.value.code, refused.value.field) == (ErrorCode.ALREADY_EXISTS, "disposition_id")
    assert len(ncr.dispositions) == 1
    assert sum(isinstance(e, DispositionPlanned) for e in ncr.events) == 1


def test_each_disposition_asks_stock_for_its_own_movement_with_the_ncr_as_document() -> None:
    ncr = opened()
    plan(ncr, "D-1", DispositionKind.RETURN_TO_SUPPLIER, "4")
    plan(ncr, "D-2", DispositionKind.SCRAP, "3")
    plan(ncr, "D-3", DispositionKind.REWORK, "2")
    plan(ncr, "D-4", DispositionKind.USE_AS_IS, "1", actor="quinn")
    ncr.approve_use_as_is("D-4", "maria", ["manager"], LATER)

    assert ncr.stock_request("D-1") == ReturnToSupplier("NCR-1", "D-1", SKU, QUARANTINE, Decimal(4), SUPPLIER)
    assert ncr.stock_request("D-2") == ScrapRejected("NCR-1", "D-2", SKU, QUARANTINE, Decimal(3))
    assert ncr.stock_request("D-3") == ReworkOrder("NCR-1", "D-3", SKU, QUARANTINE, Decimal(2))
    assert ncr.stock_request("D-4") == UseAsIs("NCR-1", "D-4", SKU, QUARANTINE, Decimal(1), "quinn", "maria")


def test_use_as_is_waits_for_a_managers_approval_before_stock_is_asked_or_it_is_carried_out() -> None:
    ncr = opened()
    plan(ncr, "D-1", DispositionKind.USE_AS_IS, "10", actor="quinn")

    with pytest.raises(DomainError) as asked:
        ncr.stock_request("D-1")
    with pytest.raises(DomainError) as carried:
        ncr.carry_out("D-1", movement_id="mov-9", actor="otto", now=LATER)

    assert (asked.value.code, asked.value.field) == (ErrorCode.INVALID_STATE, "approved_by")
    assert (carried.value.code, carried.value.field) == (ErrorCode.INVALID_STATE, "approved_by")
    assert ncr.dispositions[0].state is DispositionState.PLANNED


@pytest.mark.parametrize(
    ("actor", "roles"),
    [
        ("sam", ["supervisor", "inspector"]),  # not a manager
        ("quinn", ["manager"]),  # the one who asked for it
    ],
)
def test_use_as_is_is_approved_only_by_a_manager_who_did_not_ask_for_it(actor: str, roles: list[str]) -> None:
    ncr = opened()
    plan(ncr, "D-1", DispositionKind.USE_AS_IS, "10", actor="quinn")

    with pytest.raises(DomainError) as refused:
        ncr.approve_use_as_is("D-1", actor, roles, LATER)

    assert (refused.value.code, refused.value.field) == (ErrorCode.PERMISSION_DENIED, "approved_by")
    assert ncr.dispositions[0].awaiting_approval


def test_an_approved_use_as_is_records_who_asked_and_who_approved() -> None:
    ncr = opened()
    plan(ncr, "D-1", DispositionKind.USE_AS_IS, "10", actor="quinn")

    approved = ncr.approve_use_as_is("D-1", "maria", ["manager"], LATER)
    again = ncr.approve_use_as_is("D-1", "maria", ["manager"], LATER + timedelta(minutes=1))

    assert (approved.planned_by, approved.approved_by, approved.approved_at) == ("quinn", "maria", LATER)
    assert again == approved
    done = ncr.carry_out("D-1", movement_id="mov-9", actor="otto", now=LATER)
    assert (done.state, done.movement_id) == (DispositionState.CARRIED_OUT, "mov-9")


def test_only_use_as_is_is_approved() -> None:
    ncr = opened()
    plan(ncr, "D-1", DispositionKind.SCRAP, "10")

    with pytest.raises(DomainError) as refused:
        ncr.approve_use_as_is("D-1", "maria", ["manager"], LATER)

    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID_STATE, "disposition_id")


def test_a_withdrawn_disposition_frees_its_quantity() -> None:
    ncr = opened()
    plan(ncr, "D-1", DispositionKind.USE_AS_IS, "10")

    withdrawn = ncr.withdraw("D-1", "quinn", LATER)
    ncr.withdraw("D-1", "quinn", LATER)
    plan(ncr, "D-2", DispositionKind.SCRAP, "10")

    assert (withdrawn.state, withdrawn.withdrawn_by) == (DispositionState.WITHDRAWN, "quinn")
    assert sum(isinstance(e, DispositionWithdrawn) for e in ncr.events) == 1
    assert (ncr.planned, ncr.unplanned) == (Decimal(10), Decimal(0))
    with pytest.raises(DomainError) as refused:
        ncr.carry_out("D-1", movement_id="mov-9", actor="otto", now=LATER)
    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID_STATE, "disposition_id")


def test_a_disposition_carried_out_is_not_withdrawn() -> None:
    ncr = opened()
    plan(ncr, "D-1", DispositionKind.SCRAP, "10")
    ncr.carry_out("D-1", movement_id="mov-9", actor="otto", now=LATER)

    with pytest.raises(DomainError) as refused:
        ncr.withdraw("D-1", "quinn", LATER)

    assert refused.value.code is ErrorCode.INVALID_STATE
    assert ncr.carried_out == Decimal(10)


def test_carrying_out_again_with_the_same_movement_changes_nothing_and_with_another_is_refused() -> None:
    ncr = opened()
    plan(ncr, "D-1", DispositionKind.RETURN_TO_SUPPLIER, "10")

    first = ncr.carry_out("D-1", movement_id="mov-9", actor="otto", now=LATER)
    again = ncr.carry_out("D-1", movement_id="mov-9", actor="otto", now=LATER + timedelta(minutes=5))
    with pytest.raises(DomainError) as refused:
        ncr.carry_out("D-1", movement_id="mov-10", actor="otto", now=LATER)

    assert again == first
    assert (first.movement_id, first.carried_out_by, first.carried_out_at) == ("mov-9", "otto", LATER)
    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID_STATE, "movement_id")
    assert [e for e in ncr.events if isinstance(e, DispositionCarriedOut)] == [DispositionCarriedOut("NCR-1", first)]
    assert ncr.carried_out == Decimal(10)


def test_rework_is_carried_out_by_the_issue_of_its_whole_quantity_to_its_work_order() -> None:
    ncr = opened()
    plan(ncr, "D-1", DispositionKind.REWORK, "6")
    plan(ncr, "D-2", DispositionKind.SCRAP, "4")

    ordered = ncr.rework_ordered("D-1", "WO-000017")
    assert ncr.rework_ordered("D-1", "WO-000017") == ordered
    part = ncr.rework_issued("D-1", issued=Decimal(4), movement_id="mov-8", actor="olga", now=LATER)
    done = ncr.rework_issued("D-1", issued=Decimal(6), movement_id="mov-9", actor="olga", now=LATER)
    again = ncr.rework_issued("D-1", issued=Decimal(6), movement_id="mov-9", actor="olga", now=LATER)

    assert (ordered.state, ordered.work_order_id) == (DispositionState.PLANNED, "WO-000017")
    assert part is None and again is None
    assert done is not None
    assert (done.state, done.work_order_id, done.movement_id, done.carried_out_by) == (
        DispositionState.CARRIED_OUT,
        "WO-000017",
        "mov-9",
        "olga",
    )
    assert ncr.carried_out == Decimal(6)


@pytest.mark.parametrize(
    ("disposition_id", "work_order", "field"),
    [
        ("D-2", "WO-000017", "work_order_id"),
        ("D-1", "WO-000018", "work_order_id"),
        ("D-9", "WO-000017", "disposition_id"),
    ],
)
def test_a_rework_has_one_work_order_and_nothing_else_is_reworked(
    disposition_id: str, work_order: str, field: str
) -> None:
    ncr = opened()
    plan(ncr, "D-1", DispositionKind.REWORK, "6")
    plan(ncr, "D-2", DispositionKind.SCRAP, "4")
    ncr.rework_ordered("D-1", "WO-000017")

    with pytest.raises(DomainError) as refused:
        ncr.rework_ordered(disposition_id, work_order)

    assert refused.value.field == field
    assert [d.work_order_id for d in ncr.dispositions] == ["WO-000017", ""]


@pytest.mark.parametrize(
    ("disposition_id", "movement_id", "work_order_id", "field"),
    [
        ("D-1", "", "WO-1", "movement_id"),
        ("D-1", "mov-9", "", "work_order_id"),
        ("D-2", "mov-9", "WO-1", "work_order_id"),
        ("D-1", "m" * 65, "WO-1", "movement_id"),
        ("D-9", "mov-9", "", "disposition_id"),
    ],
)
def test_carrying_out_names_one_movement_of_a_known_disposition_and_a_rework_its_work_order(
    disposition_id: str, movement_id: str, work_order_id: str, field: str
) -> None:
    ncr = opened()
    plan(ncr, "D-1", DispositionKind.REWORK, "6")
    plan(ncr, "D-2", DispositionKind.SCRAP, "4")

    with pytest.raises(DomainError) as refused:
        ncr.carry_out(disposition_id, movement_id=movement_id, work_order_id=work_order_id, actor="otto", now=LATER)

    assert refused.value.field == field
    assert ncr.carried_out == Decimal(0)


def test_the_record_closes_only_when_every_rejected_unit_has_a_disposition_carried_out() -> None:
    ncr = opened()
    plan(ncr, "D-1", DispositionKind.RETURN_TO_SUPPLIER, "6")
    plan(ncr, "D-2", DispositionKind.SCRAP, "3")
    ncr.carry_out("D-1", movement_id="mov-9", actor="otto", now=LATER)

    with pytest.raises(DomainError) as refused:
        ncr.close("quinn", LATER)

    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID_STATE, "dispositions")
    assert "4 of 10 rejected units are unaccounted for: 1 have no disposition" in refused.value.message
    assert "D-2 (SCRAP of 3) is not carried out" in refused.value.message
    assert ncr.state is NcrState.OPEN

    plan(ncr, "D-3", DispositionKind.SCRAP, "1")
    ncr.carry_out("D-2", movement_id="mov-10", actor="otto", now=LATER)
    ncr.carry_out("D-3", movement_id="mov-11", actor="otto", now=LATER)
    ncr.close("quinn", LATER)

    assert (ncr.state, ncr.closed_by, ncr.closed_at) == (NcrState.CLOSED, "quinn", LATER)
    assert ncr.events[-1] == NonConformanceClosed("NCR-1", "quinn", LATER)


def test_a_closed_record_takes_no_more_changes_but_a_repeated_carry_out_is_still_answered() -> None:
    ncr = opened("2.5")
    plan(ncr, "D-1", DispositionKind.SCRAP, "2.5")
    ncr.carry_out("D-1", movement_id="mov-9", actor="otto", now=LATER)
    ncr.close("quinn", LATER)

    for change in (
        lambda: ncr.close("quinn", LATER),
        lambda: ncr.attach_photo("late.jpg"),
        lambda: ncr.record_root_cause("late"),
        lambda: ncr.withdraw("D-1", "quinn", LATER),
    ):
        with pytest.raises(DomainError) as refused:
            change()
        assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID_STATE, "ncr_id")

    assert ncr.carry_out("D-1", movement_id="mov-9", actor="otto", now=LATER).movement_id == "mov-9"
    assert sum(isinstance(e, NonConformanceClosed) for e in ncr.events) == 1


def test_a_lot_decided_90_10_leads_to_a_return_of_the_10_and_a_closed_record() -> None:
    lot = open_lot(active_plan(FixedSample.of(5, 1)))
    lot.record_attribute(1, "FINISH", False, "RUST", "ines", NOW)
    lot.record_attribute(2, "FINISH", False, "RUST", "ines", NOW)
    decision = lot.decide(
        decision_id="dec-1",
        outcome=Outcome.PARTIAL,
        accepted=Decimal(90),
        rejected=Decimal(10),
        actor="ines",
        roles=["inspector"],
        now=NOW,
    )
    ncr = NonConformance.open(
        id="NCR-1",
        decision_id=decision.id,
        inspection_lot_id=lot.id,
        item_sku=lot.item_sku,
        supplier=lot.supplier,
        place=QUARANTINE,
        rejected=decision.rejected,
        defects=defects_found(lot.results),
        opened_by=decision.decided_by,
        now=decision.at,
    )

    plan(ncr, "D-1", DispositionKind.RETURN_TO_SUPPLIER, "10")
    asked = ncr.stock_request("D-1")
    ncr.carry_out("D-1", movement_id="mov-return", actor="otto", now=LATER)
    ncr.close("quinn", LATER)

    assert ncr.defects == (DefectCount("RUST", 2),)
    assert asked == ReturnToSupplier("NCR-1", "D-1", SKU, QUARANTINE, Decimal(10), SUPPLIER)
    assert ncr.state is NcrState.CLOSED


def test_times_are_timezone_aware() -> None:
    ncr = opened()

    with pytest.raises(ValueError, match="timezone"):
        ncr.close("quinn", datetime(2026, 12, 7, 8, 0))
