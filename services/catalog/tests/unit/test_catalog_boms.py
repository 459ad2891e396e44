from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from fractions import Fraction
from functools import partial

import pytest

from catalog.domain import (
    BomActivated,
    BomLine,
    BomState,
    BomVersion,
    ExplosionNode,
    Item,
    Requirement,
    Usage,
    check_no_cycle,
    effective,
    explode,
    find_cycle,
    where_used,
)
from invariant_kernel.errors import DomainError, ErrorCode

JAN_1 = date(2025, 1, 1)
JUL_1 = date(2025, 7, 1)
DEC_31 = date(2025, 12, 31)


def make_item(sku: str, base_unit: str = "EA", units: Sequence[tuple[str, str]] = ()) -> Item:
    return Item.create(
        id=f"id-{sku}",
        sku=sku,
        name=sku.title(),
        base_unit=base_unit,
        units=units,
        barcodes=(),
        standard_cost="",
        lot_tracked=False,
        inspect_on_receipt=False,
        inspect_on_production=False,
    )


ITEMS = {
    item.sku: item
    for item in [
        make_item("BIKE"),
        make_item("FRAME"),
        make_item("WHEEL"),
        make_item("SPOKE", units=[("BOX", "100")]),
        make_item("TUBE", base_unit="M", units=[("CM", "0.01")]),
    ]
}


def draft(
    parent: str,
    lines: Sequence[tuple[str, str, str, str]],
    version: int = 1,
    effective_from: date = JAN_1,
    effective_to: date | None = None,
) -> BomVersion:
    bom = BomVersion.new_draft(f"bom-{parent}-{version}", parent, version, effective_from, effective_to)
    for component, quantity, unit, scrap in lines:
        bom.add_line(f"line-{component}", ITEMS[component], quantity, unit, scrap, uses={})
    return bom


def active(parent: str, lines: Sequence[tuple[str, str, str, str]]) -> BomVersion:
    bom = draft(parent, lines)
    bom.activate(None)
    return bom


def refusal(call: Callable[[], object]) -> tuple[ErrorCode, str]:
    with pytest.raises(DomainError) as refused:
        call()
    return refused.value.code, refused.value.field


def test_a_draft_must_end_after_it_begins() -> None:
    assert refusal(lambda: BomVersion.new_draft("b", "BIKE", 1, JUL_1, JUL_1, ())) == (
        ErrorCode.OUT_OF_RANGE,
        "effective_to",
    )


def test_a_line_without_a_unit_is_in_the_components_base_unit() -> None:
    bom = draft("WHEEL", [("SPOKE", "36", "", ""), ("TUBE", "150", "cm", "2.5")])

    assert bom.lines == [
        BomLine("line-SPOKE", "SPOKE", Decimal(36), "EA", Decimal(0)),
        BomLine("line-TUBE", "TUBE", Decimal(150), "CM", Decimal("2.5")),
    ]


@pytest.mark.parametrize(
    ("component", "quantity", "unit", "scrap", "code", "field"),
    [
        ("SPOKE", "0", "", "", ErrorCode.OUT_OF_RANGE, "quantity"),
        ("SPOKE", "-1", "", "", ErrorCode.OUT_OF_RANGE, "quantity"),
        ("SPOKE", "0.0000001", "", "", ErrorCode.TOO_PRECISE, "quantity"),
        ("SPOKE", "", "", "", ErrorCode.REQUIRED, "quantity"),
        ("SPOKE", "1", "PALLET", "", ErrorCode.NOT_FOUND, "unit"),
        ("SPOKE", "1", "", "100", ErrorCode.OUT_OF_RANGE, "scrap_percent"),
        ("SPOKE", "1", "", "-0.5", ErrorCode.OUT_OF_RANGE, "scrap_percent"),
        ("SPOKE", "1", "", "0.00001", ErrorCode.TOO_PRECISE, "scrap_percent"),
        ("TUBE", "1", "", "", ErrorCode.ALREADY_EXISTS, "component_sku"),
        ("WHEEL", "1", "", "", ErrorCode.CYCLE, "component_sku"),
    ],
)
def test_bad_lines_are_refused_naming_the_field(
    component: str, quantity: str, unit: str, scrap: str, code: ErrorCode, field: str
) -> None:
    bom = draft("WHEEL", [("TUBE", "1.5", "", "")])

    assert refusal(lambda: bom.add_line("new", ITEMS[component], quantity, unit, scrap, uses={})) == (code, field)
    assert len(bom.lines) == 1


def test_an_active_bom_cannot_be_edited() -> None:
    bom = active("WHEEL", [("SPOKE", "36", "", "")])

    with pytest.raises(DomainError) as refused:
        bom.add_line("l2", ITEMS["TUBE"], "1", "", "", uses={})

    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID_STATE, "bom_id")
    assert refused.value.message == ("BOM version 1 of WHEEL is ACTIVE; only a draft can be edited")
    assert refusal(lambda: bom.remove_line("line-SPOKE")) == (ErrorCode.INVALID_STATE, "bom_id")


def test_removing_a_line_from_a_draft() -> None:
    bom = draft("WHEEL", [("SPOKE", "36", "", ""), ("TUBE", "1.5", "", "")])

    removed = bom.remove_line("line-SPOKE")

    assert removed.component_sku == "SPOKE"
    assert [line.component_sku for line in bom.lines] == ["TUBE"]
    assert refusal(lambda: bom.remove_line("line-SPOKE")) == (ErrorCode.NOT_FOUND, "line_id")


def test_activating_a_version_makes_the_previous_one_obsolete() -> None:
    first = active("WHEEL", [("SPOKE", "36", "", "")])
    first.events.clear()
    second = draft("WHEEL", [("SPOKE", "32", "", "")], version=2, effective_from=JUL_1)

    second.activate(first)

    assert (first.state, first.effective_to) == (BomState.OBSOLETE, JUL_1)
    assert second.state is BomState.ACTIVE
    assert second.events == [BomActivated(second.id, "WHEEL", 2, first.id)]
    assert first.events == []


def test_activation_keeps_an_earlier_end_of_the_previous_version() -> None:
    first = draft("WHEEL", [("SPOKE", "36", "", "")], effective_to=date(2025, 3, 1))
    first.activate(None)
    second = draft("WHEEL", [("SPOKE", "32", "", "")], version=2, effective_from=JUL_1)

    second.activate(first)

    assert first.effective_to == date(2025, 3, 1)


def test_the_first_activation_replaces_nothing() -> None:
    bom = draft("WHEEL", [("SPOKE", "36", "", "")])

    bom.activate(None)

    assert bom.events == [BomActivated(bom.id, "WHEEL", 1, "")]


def test_only_a_draft_with_lines_can_be_activated() -> None:
    assert refusal(lambda: draft("WHEEL", []).activate(None)) == (ErrorCode.INVALID_STATE, "bom_id")
    bom = active("WHEEL", [("SPOKE", "36", "", "")])
    assert refusal(lambda: bom.activate(None)) == (ErrorCode.INVALID_STATE, "bom_id")


def test_drafts_and_active_versions_can_be_made_obsolete_once() -> None:
    for bom in (draft("WHEEL", []), active("WHEEL", [("SPOKE", "36", "", "")])):
        bom.obsolete(JUL_1)

        assert bom.state is BomState.OBSOLETE
        assert refusal(partial(bom.obsolete, JUL_1)) == (ErrorCode.INVALID_STATE, "bom_id")


def test_an_obsolete_version_keeps_the_days_it_was_in_effect_and_a_draft_never_was() -> None:
    used = active("WHEEL", [("SPOKE", "36", "", "")])
    used.obsolete(JUL_1)
    never = draft("WHEEL", [("SPOKE", "32", "", "")], version=2)
    never.obsolete(JUL_1)

    assert effective([used, never], date(2025, 3, 1)) is used
    assert effective([used, never], JUL_1) is None


def test_the_effective_version_is_the_active_one_covering_the_date() -> None:
    old = draft("WHEEL", [("SPOKE", "36", "", "")], effective_to=JUL_1)
    old.obsolete(JAN_1)
    current = draft("WHEEL", [("SPOKE", "32", "", "")], version=2, effective_from=JUL_1, effective_to=DEC_31)
    current.activate(None)
    upcoming = draft("WHEEL", [("SPOKE", "30", "", "")], version=3, effective_from=DEC_31)
    versions = [old, current, upcoming]

    assert effective(versions, date(2025, 3, 1)) is None
    assert effective(versions, JUL_1) is current
    assert effective(versions, date(2025, 12, 30)) is current
    assert effective(versions, DEC_31) is None


def test_cycle_detection_returns_the_path_through_the_new_component() -> None:
    uses = {"C": ["B"], "B": ["A", "X"], "X": []}

    assert find_cycle(uses, "A", "C") == ["A", "C", "B", "A"]
    assert find_cycle(uses, "A", "X") is None
    assert find_cycle(uses, "A", "A") == ["A", "A"]


def test_a_cycle_is_refused_with_its_path_in_the_message() -> None:
    with pytest.raises(DomainError) as refused:
        check_no_cycle({"C": ["B"], "B": ["A"]}, "A", "C")

    assert (refused.value.code, refused.value.field) == (ErrorCode.CYCLE, "component_sku")
    assert refused.value.message == "adding C to A would create a cycle: A → C → B → A"


def test_adding_a_line_checks_the_whole_bom_graph_for_cycles() -> None:
    bom = draft("SPOKE", [])

    assert refusal(
        lambda: bom.add_line("l", ITEMS["BIKE"], "1", "", "", uses={"BIKE": ["WHEEL"], "WHEEL": ["SPOKE"]})
    ) == (ErrorCode.CYCLE, "component_sku")


def bike_boms() -> dict[str, BomVersion]:
    return {
        "BIKE": active("BIKE", [("FRAME", "1", "", ""), ("WHEEL", "2", "", "")]),
        "FRAME": active("FRAME", [("TUBE", "3", "", "")]),
        "WHEEL": active("WHEEL", [("SPOKE", "0.36", "BOX", "5"), ("TUBE", "150", "CM", "10")]),
    }


def test_explosion_totals_every_component_in_its_base_unit() -> None:
    explosion = explode("BIKE", Decimal(2), bike_boms(), ITEMS)

    assert explosion.requirements == [
        Requirement("FRAME", Decimal(2), "EA", leaf=False),
        Requirement("TUBE", Decimal("12.6"), "M", leaf=True),
        Requirement("WHEEL", Decimal(4), "EA", leaf=False),
        Requirement("SPOKE", Decimal("151.2"), "EA", leaf=True),
    ]


def test_the_explosion_tree_is_depth_first_in_line_order() -> None:
    explosion = explode("BIKE", Decimal(2), bike_boms(), ITEMS)

    assert explosion.tree == [
        ExplosionNode(1, ("BIKE", "FRAME"), "FRAME", Decimal(2), "EA", "bom-BIKE-1"),
        ExplosionNode(2, ("BIKE", "FRAME", "TUBE"), "TUBE", Decimal(6), "M", "bom-FRAME-1"),
        ExplosionNode(1, ("BIKE", "WHEEL"), "WHEEL", Decimal(4), "EA", "bom-BIKE-1"),
        ExplosionNode(2, ("BIKE", "WHEEL", "SPOKE"), "SPOKE", Decimal("151.2"), "EA", "bom-WHEEL-1"),
        ExplosionNode(2, ("BIKE", "WHEEL", "TUBE"), "TUBE", Decimal("6.6"), "M", "bom-WHEEL-1"),
    ]


def test_explosion_applies_scrap_at_every_level() -> None:
    boms = {
        "BIKE": active("BIKE", [("WHEEL", "1", "", "10")]),
        "WHEEL": active("WHEEL", [("SPOKE", "1", "", "10")]),
    }

    explosion = explode("BIKE", Decimal(1), boms, ITEMS)

    assert [r.quantity for r in explosion.requirements] == [Decimal("1.1"), Decimal("1.21")]


def test_explosion_is_exact_beyond_28_digits() -> None:
    boms = {
        "BIKE": active("BIKE", [("WHEEL", "1.333333", "", "3.3333")]),
        "WHEEL": active("WHEEL", [("SPOKE", "1.333333", "", "3.3333")]),
    }

    spokes = explode("BIKE", Decimal("1.999999"), boms, ITEMS).requirements[1].quantity

    per_level = Fraction("1.333333") * Fraction("1.033333")
    assert Fraction(spokes) == Fraction("1.999999") * per_level * per_level
    assert len(spokes.as_tuple().digits) > 28


@pytest.mark.parametrize("quantity", [Decimal(0), Decimal(-1), Decimal("NaN")])
def test_only_a_positive_quantity_can_be_exploded(quantity: Decimal) -> None:
    assert refusal(lambda: explode("BIKE", quantity, bike_boms(), ITEMS))[1] == "quantity"


def test_exploding_an_item_without_a_bom_is_refused() -> None:
    assert refusal(lambda: explode("SPOKE", Decimal(1), bike_boms(), ITEMS)) == (
        ErrorCode.NOT_FOUND,
        "parent_sku",
    )


def test_where_used_walks_up_through_sub_assemblies() -> None:
    used_by = {
        "SPOKE": [("WHEEL", "bom-WHEEL-1", "ACTIVE")],
        "WHEEL": [("BIKE", "bom-BIKE-1", "ACTIVE"), ("BIKE", "bom-BIKE-2", "DRAFT")],
    }

    assert where_used("SPOKE", used_by) == [
        Usage("WHEEL", 1, ("WHEEL", "SPOKE"), "bom-WHEEL-1", "ACTIVE"),
        Usage("BIKE", 2, ("BIKE", "WHEEL", "SPOKE"), "bom-BIKE-1", "ACTIVE"),
        Usage("BIKE", 2, ("BIKE", "WHEEL", "SPOKE"), "bom-BIKE-2", "DRAFT"),
    ]


def test_where_used_stops_at_a_cycle_in_bad_data() -> None:
    used_by = {"A": [("B", "b1", "ACTIVE")], "B": [("A", "a1", "ACTIVE")]}

    assert where_used("A", used_by) == [Usage("B", 1, ("B", "A"), "b1", "ACTIVE")]
