"""Work-order rules on their own: requirements kept to stock's places, tolerances, what an
issue may take and which approvals it uses, and the standard for a part completion."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from invariant_kernel.errors import DomainError, ErrorCode
from orders.domain.work_orders import (
    OverIssueState,
    Requirement,
    WorkOrder,
    WorkOrderState,
    tolerance_percent,
    whole_places,
)

NOW = datetime(2026, 12, 1, tzinfo=UTC)
BOSS = frozenset({"supervisor"})


def released(required: str = "10", tolerance: str = "0", quantity: str = "3") -> WorkOrder:
    order = WorkOrder.create(
        id="o-1",
        number="WO-000001",
        item_sku="FRAME",
        quantity=Decimal(quantity),
        unit="EA",
        base_quantity=Decimal(quantity),
        base_unit="EA",
        warehouse="WH1",
        due_date=None,
        actor="pia",
        now=NOW,
    )
    order.release(
        bom_id="B-1",
        bom_version=1,
        on=NOW.date(),
        requirements=[Requirement("BOLT", "EA", Decimal(required), False, Decimal(tolerance))],
        grants={"BOLT": ("R-1", Decimal(required))},
        actor="pia",
        now=NOW,
    )
    return order


def test_a_requirement_is_rounded_up_to_whole_millionths_and_kept_exact_otherwise() -> None:
    assert whole_places(Decimal("1.0000001")) == Decimal("1.000001")
    assert whole_places(Decimal("5.500000")) == Decimal("5.5")
    assert str(whole_places(Decimal("20"))) == "20"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("-1", ErrorCode.OUT_OF_RANGE),
        ("101", ErrorCode.OUT_OF_RANGE),
        ("1.234", ErrorCode.TOO_PRECISE),
        ("x", ErrorCode.INVALID_FORMAT),
    ],
)
def test_a_bad_tolerance_is_refused_naming_its_field(raw: str, code: ErrorCode) -> None:
    with pytest.raises(DomainError) as refused:
        tolerance_percent(raw, "percent")
    assert (refused.value.code, refused.value.field) == (code, "percent")
    assert tolerance_percent("", "percent") == 0


def test_the_tolerance_widens_what_may_be_issued_and_returns_make_room_again() -> None:
    order = released("10", tolerance="5")
    takes = order.plan_issue([("BOLT", Decimal("10.5"), "lines[0]")])
    order.issue(takes, [], {"BOLT": Decimal(10)})
    with pytest.raises(DomainError) as refused:
        order.plan_issue([("BOLT", Decimal("0.1"), "lines[0]")])
    assert refused.value.field == "lines[0].quantity"
    order.give_back([("BOLT", Decimal(1), "lines[0]")], [])
    assert order.plan_issue([("BOLT", Decimal(1), "lines[0]")])[0].draws == 0


def test_approvals_are_drawn_oldest_first_and_each_is_used_once_issued_whole() -> None:
    order = released("10")
    order.issue(order.plan_issue([("BOLT", Decimal(10), "l")]), [], {})
    for number, quantity in (("OI-1", "2"), ("OI-2", "3")):
        order.request_over_issue(number, "BOLT", Decimal(quantity), "bent", "olga", NOW)
        order.decide_over_issue(number, True, "", "sam", BOSS, NOW)
    assert order.approved_open("BOLT") == 5
    order.issue(order.plan_issue([("BOLT", Decimal(3), "l")]), [], {})
    assert [r.state for r in order.over_issues] == [OverIssueState.USED, OverIssueState.APPROVED]
    assert order.approved_open("BOLT") == 2
    order.issue(order.plan_issue([("BOLT", Decimal(2), "l")]), [], {})
    assert [r.state for r in order.over_issues] == [OverIssueState.USED, OverIssueState.USED]
    with pytest.raises(DomainError):
        order.plan_issue([("BOLT", Decimal("0.000001"), "l")])


def test_an_over_issue_needs_a_reason_and_a_component_of_the_order() -> None:
    order = released()
    with pytest.raises(DomainError) as no_reason:
        order.request_over_issue("OI-1", "BOLT", Decimal(1), " ", "olga", NOW)
    assert (no_reason.value.code, no_reason.value.field) == (ErrorCode.REQUIRED, "reason")
    with pytest.raises(DomainError) as other:
        order.request_over_issue("OI-1", "NUT", Decimal(1), "bent", "olga", NOW)
    assert (other.value.code, other.value.field) == (ErrorCode.NOT_FOUND, "component_sku")


def test_the_standard_for_a_part_completion_is_kept_to_stock_places_and_exact_when_whole() -> None:
    order = released("10", quantity="3")
    component = order.components[0]
    order.completed = Decimal(1)
    # 10 x 1/3, half to even at six places.
    assert order.standard_for(component) == Decimal("3.333333")
    order.completed = Decimal(3)
    assert order.standard_for(component) == 10
    order.close({"BOLT": Decimal("0.5")}, "pia", NOW)
    assert order.state is WorkOrderState.CLOSED
    assert (order.components[0].variance, order.components[0].variance_value) == (-10, -5)
