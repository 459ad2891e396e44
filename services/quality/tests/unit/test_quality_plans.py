"""Inspection plans: characteristics, sampling, versions, and the default plan."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from quality_fakes import NOW, SKU, SUPPLIER, active_plan, diameter, finish

from invariant_kernel.errors import DomainError, ErrorCode
from quality.domain.plans import (
    DEFAULT_VERSION,
    AqlSampling,
    Attribute,
    FixedSample,
    InspectionPlan,
    Measured,
    PlanActivated,
    PlanState,
    default_plan,
    plan_in_force,
)
from quality.domain.sampling import InspectionLevel


def draft(version: int, supplier: str = "") -> InspectionPlan:
    return InspectionPlan.new_draft(
        id=f"plan-{version}",
        item_sku=SKU,
        supplier=supplier,
        version=version,
        characteristics=[diameter()],
        sampling=FixedSample.of(5, 0),
        actor="qe",
        now=NOW,
    )


def test_a_new_version_supersedes_the_one_in_force() -> None:
    first = draft(1)
    first.activate(None, NOW)
    second = draft(2)

    second.activate(first, NOW + timedelta(days=3))

    assert (first.state, second.state) == (PlanState.SUPERSEDED, PlanState.ACTIVE)
    assert first.superseded_at == NOW + timedelta(days=3)
    assert second.events == [PlanActivated("plan-2", SKU, "", 2, "plan-1")]
    assert plan_in_force([first, second], SKU, "", NOW) is second


def test_an_active_version_is_changed_only_by_a_new_one() -> None:
    plan = draft(1)
    plan.activate(None, NOW)

    with pytest.raises(DomainError) as refused:
        plan.revise([finish()], FixedSample.of(3, 0))

    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID_STATE, "plan_id")
    with pytest.raises(DomainError):
        plan.activate(None, NOW)


def test_an_older_draft_cannot_supersede_a_newer_version() -> None:
    newer = draft(3)
    newer.activate(None, NOW)

    with pytest.raises(DomainError) as refused:
        draft(2).activate(newer, NOW)

    assert refused.value.code is ErrorCode.INVALID_STATE
    assert newer.state is PlanState.ACTIVE


def test_the_suppliers_own_plan_wins_over_the_items() -> None:
    items = active_plan(FixedSample.of(5, 0))
    suppliers = active_plan(FixedSample.of(8, 0), supplier=SUPPLIER)

    assert plan_in_force([items, suppliers], SKU, SUPPLIER, NOW) is suppliers
    assert plan_in_force([items, suppliers], SKU, "SUP-OTHER", NOW) is items
    assert plan_in_force([suppliers], SKU, "", NOW).version == DEFAULT_VERSION


def test_an_item_with_no_plan_gets_one_visual_check_at_aql_2_5_level_two() -> None:
    plan = plan_in_force([draft(1)], SKU, SUPPLIER, NOW)

    assert (plan.version, plan.state) == (DEFAULT_VERSION, PlanState.ACTIVE)
    (visual,) = plan.characteristics
    assert isinstance(visual, Attribute) and visual.code == "VISUAL"
    assert plan.sampling == AqlSampling(InspectionLevel.II, Decimal("2.5"))
    assert plan.sampling.for_lot(100).sample_size == 20
    assert default_plan(SKU, NOW) == plan


def test_a_measured_characteristic_conforms_within_its_limits_inclusive() -> None:
    dia = diameter()

    assert [dia.conforms(Decimal(v)) for v in ("7.89", "7.90", "8.05", "8.06")] == [False, True, True, False]
    one_sided = Measured.of("TORQUE", "Breakaway torque", "12", "10", "", "N.m")
    assert one_sided.conforms(Decimal(1000)) and not one_sided.conforms(Decimal("9.9"))


@pytest.mark.parametrize(
    ("nominal", "lower", "upper", "field"),
    [
        ("8", "8.1", "8.0", "upper"),
        ("8", "8.0", "8.0", "upper"),
        ("9", "7.9", "8.1", "nominal"),
        ("7", "7.9", "", "nominal"),
        ("8", "", "", "lower"),
        ("8", "abc", "9", "lower"),
        ("eight", "7", "9", "nominal"),
    ],
)
def test_limits_that_do_not_hold_together_are_refused_naming_the_field(
    nominal: str, lower: str, upper: str, field: str
) -> None:
    with pytest.raises(DomainError) as refused:
        Measured.of("DIA", "Diameter", nominal, lower, upper, "mm")

    assert refused.value.field == field


def test_an_attribute_names_its_defect_codes_once_each() -> None:
    with pytest.raises(DomainError) as none:
        Attribute.of("FINISH", "Finish", [])
    with pytest.raises(DomainError) as twice:
        Attribute.of("FINISH", "Finish", ["RUST", "RUST"])

    assert none.value.field == twice.value.field == "defect_codes"


def test_a_plan_checks_each_characteristic_once_and_at_least_one() -> None:
    with pytest.raises(DomainError) as empty:
        draft(1).revise([], FixedSample.of(5, 0))
    with pytest.raises(DomainError) as twice:
        draft(1).revise([diameter(), diameter()], FixedSample.of(5, 0))

    assert empty.value.field == twice.value.field == "characteristics"


@pytest.mark.parametrize(("size", "accept", "field"), [(0, 0, "sample_size"), (5, 5, "accept"), (5, -1, "accept")])
def test_a_fixed_sample_accepts_fewer_than_it_takes(size: int, accept: int, field: str) -> None:
    with pytest.raises(DomainError) as refused:
        FixedSample.of(size, accept)

    assert refused.value.field == field


def test_a_fixed_sample_of_a_smaller_lot_inspects_every_unit() -> None:
    plan = FixedSample.of(10, 1).for_lot(6)

    assert (plan.sample_size, plan.accept, plan.reject, plan.every_unit) == (6, 1, 2, True)
    assert not FixedSample.of(10, 1).for_lot(11).every_unit


@pytest.mark.parametrize(("level", "aql", "field"), [("IV", "2.5", "level"), ("II", "3", "aql"), ("", "x", "aql")])
def test_sampling_by_aql_takes_the_standards_levels_and_series(level: str, aql: str, field: str) -> None:
    with pytest.raises(DomainError) as refused:
        AqlSampling.of(level, aql)

    assert refused.value.field == field


def test_sampling_by_aql_defaults_to_level_two() -> None:
    assert AqlSampling.of("", "1.0") == AqlSampling(InspectionLevel.II, Decimal("1.0"))


def test_codes_are_kept_upper_case_and_a_characteristic_is_found_however_its_code_is_typed() -> None:
    plan = InspectionPlan.new_draft(
        id="plan-1",
        item_sku=SKU,
        supplier="",
        version=1,
        characteristics=[
            Attribute.of("visual", "Visual", ["scratch"]),
            Measured.of("len", "Length", "10", "9", "11", "mm"),
        ],
        sampling=FixedSample.of(5, 0),
        actor="qe",
        now=NOW,
    )
    assert [c.code for c in plan.characteristics] == ["VISUAL", "LEN"]
    visual = plan.characteristic("Visual")
    assert isinstance(visual, Attribute) and visual.defect_codes == ("SCRATCH",)
    length = plan.characteristic(" len ")
    assert isinstance(length, Measured) and length.unit == "mm"
