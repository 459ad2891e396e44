"""An inspection lot's own rules: its sample, results, verdict, and the one decision taken on it."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from quality_fakes import NOW, SKU, SUPPLIER, active_plan, open_lot

from invariant_kernel.errors import DomainError, ErrorCode
from quality.domain.lots import (
    DocumentRef,
    DocumentType,
    InspectionDecided,
    InspectionLot,
    InspectionLotOpened,
    Outcome,
    Place,
    Verdict,
)
from quality.domain.plans import AqlSampling, FixedSample, InspectionPlan, PlanState
from quality.domain.sampling import InspectionLevel

LATER = NOW + timedelta(hours=2)


def by_aql() -> InspectionPlan:
    return active_plan(AqlSampling(InspectionLevel.II, Decimal("2.5")))


def five_accept_one() -> InspectionLot:
    """A lot of 100 sampled 5 units, accepted with at most one defective."""
    return open_lot(active_plan(FixedSample.of(5, 1)))


def inspect(lot: InspectionLot, sample: int, *, good: bool = True, inspector: str = "ines") -> None:
    lot.record_measurement(sample, "DIA", Decimal("8.00") if good else Decimal("8.20"), inspector, NOW)
    lot.record_attribute(sample, "FINISH", True, "", inspector, NOW)


def test_a_lot_of_100_at_aql_2_5_samples_20_and_accepts_one_defective() -> None:
    lot = open_lot(by_aql())

    assert (lot.sampling.code_letter, lot.sampling.sample_size) == ("F", 20)
    assert (lot.sampling.accept, lot.sampling.reject) == (1, 2)
    assert lot.events == [InspectionLotOpened(lot)]
    assert (lot.movement_id, lot.supplier, lot.supplier_lot, lot.plan.version) == ("mov-1", SUPPLIER, "ACME-7781", 1)
    assert lot.verdict is Verdict.UNDECIDED


def test_a_lot_of_a_fractional_quantity_is_sampled_by_its_whole_units() -> None:
    lot = open_lot(by_aql(), "90.5")

    assert lot.sampling.code_letter == "F"  # 91 units: F, not E


@pytest.mark.parametrize(("quantity", "movement_id", "field"), [("0", "mov-1", "quantity"), ("5", "", "movement_id")])
def test_a_lot_needs_a_quantity_and_the_movement_that_held_it(quantity: str, movement_id: str, field: str) -> None:
    with pytest.raises(DomainError) as refused:
        InspectionLot.open(
            id="IL-2",
            movement_id=movement_id,
            item_sku=SKU,
            place=Place("MAIN", "RECV-QC"),
            quantity=Decimal(quantity),
            document=DocumentRef(DocumentType.MANUAL_HOLD, "HOLD-1"),
            supplier="",
            supplier_lot="",
            plan=by_aql(),
            now=NOW,
        )

    assert refused.value.field == field


def test_a_measured_value_outside_the_limits_is_nonconforming() -> None:
    lot = five_accept_one()

    inside = lot.record_measurement(1, "DIA", Decimal("8.05"), "ines", NOW)
    outside = lot.record_measurement(2, "DIA", Decimal("7.89"), "ines", NOW)

    assert (inside.conforming, outside.conforming) == (True, False)
    assert (outside.value, outside.inspector, outside.at) == (Decimal("7.89"), "ines", NOW)


def test_a_failed_attribute_names_an_allowed_defect() -> None:
    lot = five_accept_one()

    failed = lot.record_attribute(1, "FINISH", False, "RUST", "ines", NOW)

    assert (failed.conforming, failed.defect_code) == (False, "RUST")
    assert lot.defective_samples == 1


@pytest.mark.parametrize(
    ("sample", "characteristic", "passed", "defect", "field"),
    [
        (1, "COLOUR", True, "", "characteristic"),
        (0, "FINISH", True, "", "sample"),
        (6, "FINISH", True, "", "sample"),
        (1, "FINISH", False, "DENT", "defect_code"),
        (1, "FINISH", False, "", "defect_code"),
        (1, "FINISH", True, "RUST", "defect_code"),
        (1, "DIA", True, "", "passed"),
    ],
)
def test_a_result_outside_the_plan_or_the_sample_is_refused_naming_the_field(
    sample: int, characteristic: str, passed: bool, defect: str, field: str
) -> None:
    lot = five_accept_one()

    with pytest.raises(DomainError) as refused:
        lot.record_attribute(sample, characteristic, passed, defect, "ines", NOW)

    assert refused.value.field == field
    assert lot.results == []


def test_a_value_for_an_attribute_is_refused_naming_the_value() -> None:
    with pytest.raises(DomainError) as refused:
        five_accept_one().record_measurement(1, "FINISH", Decimal(1), "ines", NOW)

    assert refused.value.field == "value"


def test_a_sample_is_checked_once_per_characteristic() -> None:
    lot = five_accept_one()
    inspect(lot, 1)

    with pytest.raises(DomainError) as refused:
        lot.record_attribute(1, "FINISH", False, "RUST", "other", NOW)

    assert (refused.value.code, refused.value.field) == (ErrorCode.ALREADY_EXISTS, "sample")


def test_a_sample_failing_two_characteristics_is_one_defective_sample() -> None:
    lot = five_accept_one()
    lot.record_measurement(1, "DIA", Decimal("9"), "ines", NOW)
    lot.record_attribute(1, "FINISH", False, "SCRATCH", "ines", NOW)

    assert lot.defective_samples == 1
    assert lot.verdict is Verdict.UNDECIDED


def test_at_the_accept_number_the_lot_is_accepted_once_every_sample_is_inspected() -> None:
    lot = five_accept_one()
    inspect(lot, 1, good=False)
    for sample in (2, 3, 4):
        inspect(lot, sample)

    assert lot.verdict is Verdict.UNDECIDED  # one sample left: it could still reject the lot

    inspect(lot, 5)
    assert (lot.defective_samples, lot.inspected_samples) == (1, 5)
    assert lot.verdict is Verdict.ACCEPT


def test_at_the_reject_number_the_lot_is_rejected_with_samples_left() -> None:
    lot = five_accept_one()
    inspect(lot, 1, good=False)
    inspect(lot, 2, good=False)

    assert lot.defective_samples == lot.sampling.reject == 2
    assert lot.verdict is Verdict.REJECT


def test_a_sample_with_a_characteristic_unchecked_is_not_inspected_yet() -> None:
    lot = five_accept_one()
    for sample in range(1, 6):
        lot.record_measurement(sample, "DIA", Decimal(8), "ines", NOW)

    assert lot.inspected_samples == 0
    assert lot.verdict is Verdict.UNDECIDED


def test_a_lot_of_100_decided_partially_90_10_records_what_stock_moves() -> None:
    lot = five_accept_one()
    inspect(lot, 1, good=False)
    inspect(lot, 2, good=False)
    lot.events.clear()

    decision = lot.decide(
        decision_id="dec-1",
        outcome=Outcome.PARTIAL,
        accepted=Decimal(90),
        rejected=Decimal(10),
        actor="ines",
        roles=["inspector"],
        now=LATER,
    )

    assert (decision.accepted, decision.rejected, decision.verdict) == (Decimal(90), Decimal(10), Verdict.REJECT)
    assert (decision.decided_by, decision.at) == ("ines", LATER)
    assert lot.events == [
        InspectionDecided(
            decision_id="dec-1",
            inspection_lot_id="IL-1",
            movement_id="mov-1",
            item_sku=SKU,
            place=Place("MAIN", "RECV-QC", "L-2026-12"),
            document=DocumentRef(DocumentType.PURCHASE_ORDER, "PO-000042", "3"),
            accepted=Decimal(90),
            rejected=Decimal(10),
            decided_by="ines",
            plan_version=1,
            decided_at=LATER,
        )
    ]


@pytest.mark.parametrize(("outcome", "accepted", "rejected"), [(Outcome.ACCEPT, 100, 0), (Outcome.REJECT, 0, 100)])
def test_accepting_or_rejecting_takes_the_whole_lot(outcome: Outcome, accepted: int, rejected: int) -> None:
    lot = five_accept_one()
    inspect(lot, 1)

    decision = lot.decide(decision_id="dec-1", outcome=outcome, actor="ines", roles=[], now=LATER)

    assert (decision.accepted, decision.rejected) == (Decimal(accepted), Decimal(rejected))


@pytest.mark.parametrize(
    ("outcome", "accepted", "rejected", "field"),
    [
        (Outcome.PARTIAL, "90", "11", "rejected"),
        (Outcome.PARTIAL, "90", "9", "rejected"),
        (Outcome.PARTIAL, "110", "-10", "rejected"),
        (Outcome.PARTIAL, "-1", "101", "accepted"),
        (Outcome.PARTIAL, None, "10", "accepted"),
        (Outcome.PARTIAL, "90", None, "rejected"),
        (Outcome.ACCEPT, "90", "10", "accepted"),
    ],
)
def test_a_decision_that_does_not_add_up_to_the_lot_is_refused_naming_the_field(
    outcome: Outcome, accepted: str | None, rejected: str | None, field: str
) -> None:
    lot = five_accept_one()
    inspect(lot, 1)

    with pytest.raises(DomainError) as refused:
        lot.decide(
            decision_id="dec-1",
            outcome=outcome,
            accepted=None if accepted is None else Decimal(accepted),
            rejected=None if rejected is None else Decimal(rejected),
            actor="ines",
            roles=[],
            now=LATER,
        )

    assert refused.value.field == field
    assert lot.decision is None
    assert not any(isinstance(event, InspectionDecided) for event in lot.events)


def test_a_decided_lot_refuses_a_second_decision_and_further_results() -> None:
    lot = five_accept_one()
    inspect(lot, 1)
    lot.decide(decision_id="dec-1", outcome=Outcome.ACCEPT, actor="ines", roles=[], now=LATER)

    with pytest.raises(DomainError) as again:
        lot.decide(decision_id="dec-2", outcome=Outcome.REJECT, actor="sam", roles=["supervisor"], now=LATER)
    with pytest.raises(DomainError) as more:
        inspect(lot, 2)

    assert (again.value.code, again.value.field) == (ErrorCode.INVALID_STATE, "inspection_lot_id")
    assert more.value.code is ErrorCode.INVALID_STATE
    assert lot.decision is not None and lot.decision.id == "dec-1"
    assert sum(isinstance(event, InspectionDecided) for event in lot.events) == 1


@pytest.mark.parametrize("above", ["supervisor", "manager", "admin"])
def test_nobody_decides_a_lot_they_did_not_inspect_without_a_supervisors_role(above: str) -> None:
    lot = five_accept_one()
    inspect(lot, 1, inspector="ines")

    with pytest.raises(DomainError) as refused:
        lot.decide(decision_id="dec-1", outcome=Outcome.ACCEPT, actor="otto", roles=["inspector"], now=LATER)

    assert (refused.value.code, refused.value.field) == (ErrorCode.PERMISSION_DENIED, "decided_by")
    assert lot.decision is None
    decision = lot.decide(decision_id="dec-1", outcome=Outcome.ACCEPT, actor="sam", roles=[above], now=LATER)
    assert decision.decided_by == "sam"


def test_a_decision_keeps_the_plan_version_the_lot_was_opened_with() -> None:
    first = active_plan(FixedSample.of(5, 1))
    lot = open_lot(first)
    inspect(lot, 1)
    second = InspectionPlan.new_draft(
        id="plan-2",
        item_sku=SKU,
        supplier="",
        version=2,
        characteristics=first.characteristics,
        sampling=FixedSample.of(8, 0),
        actor="qe",
        now=NOW,
    )
    second.activate(first, NOW + timedelta(minutes=5))

    lot.decide(decision_id="dec-1", outcome=Outcome.ACCEPT, actor="ines", roles=[], now=LATER)

    assert first.state is PlanState.SUPERSEDED
    (decided,) = [event for event in lot.events if isinstance(event, InspectionDecided)]
    assert decided.plan_version == 1
    assert lot.sampling.sample_size == 5


def test_times_are_timezone_aware() -> None:
    lot = five_accept_one()

    with pytest.raises(ValueError, match="timezone"):
        lot.record_attribute(1, "FINISH", True, "", "ines", datetime(2026, 12, 7, 8, 0))
