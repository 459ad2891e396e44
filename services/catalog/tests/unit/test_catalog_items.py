from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import pytest

from catalog.domain import (
    Barcode,
    FieldChange,
    Item,
    ItemStatus,
    ItemUpserted,
    Symbology,
    Thresholds,
    ThresholdsChanged,
)
from invariant_kernel.errors import DomainError, ErrorCode


def make_item(
    sku: str = "widget-1",
    name: str = "Widget",
    base_unit: str = "ea",
    units: Sequence[tuple[str, str]] = (("box", "12"),),
    barcodes: Sequence[tuple[str, str]] = (("4006381333931", ""),),
    standard_cost: str = "2.5",
) -> Item:
    return Item.create(
        id="5f0c6a52-8f0e-4a43-9d59-3f0d1c1f9a10",
        sku=sku,
        name=name,
        base_unit=base_unit,
        units=units,
        barcodes=barcodes,
        standard_cost=standard_cost,
        lot_tracked=False,
        inspect_on_receipt=True,
        inspect_on_production=False,
    )


def refusal(call: Callable[[], object]) -> tuple[ErrorCode, str]:
    with pytest.raises(DomainError) as refused:
        call()
    return refused.value.code, refused.value.field


def test_creating_an_item_normalises_codes_and_records_that_it_was_upserted() -> None:
    item = make_item(sku="  widget-1 ", base_unit="ea", units=[("box", "12"), ("pallet", "480")])

    assert item.sku == "WIDGET-1"
    assert item.base_unit == "EA"
    assert item.units == {"BOX": Decimal(12), "PALLET": Decimal(480)}
    assert item.barcodes == [Barcode("4006381333931", Symbology.EAN13)]
    assert item.standard_cost == Decimal("2.5")
    assert item.status is ItemStatus.ACTIVE
    [event] = item.events
    assert isinstance(event, ItemUpserted)
    assert (event.item_id, event.sku, event.units, event.version) == (
        item.id,
        "WIDGET-1",
        tuple(item.units.items()),
        1,
    )


def test_an_empty_cost_means_zero() -> None:
    assert make_item(standard_cost="").standard_cost == Decimal(0)


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"sku": "   "}, ErrorCode.REQUIRED, "sku"),
        ({"sku": "WID GET"}, ErrorCode.INVALID_FORMAT, "sku"),
        ({"sku": "-WIDGET"}, ErrorCode.INVALID_FORMAT, "sku"),
        ({"sku": "WIDGÉT"}, ErrorCode.INVALID_FORMAT, "sku"),
        ({"sku": "W" * 41}, ErrorCode.INVALID_FORMAT, "sku"),
        ({"name": ""}, ErrorCode.REQUIRED, "name"),
        ({"name": "n" * 201}, ErrorCode.OUT_OF_RANGE, "name"),
        ({"base_unit": "1EA"}, ErrorCode.INVALID_FORMAT, "base_unit"),
        ({"units": [("BOX", "12"), ("CASE", "0")]}, ErrorCode.OUT_OF_RANGE, "units[1].factor"),
        ({"units": [("BOX", "-12")]}, ErrorCode.OUT_OF_RANGE, "units[0].factor"),
        ({"units": [("BOX", "1.0000001")]}, ErrorCode.TOO_PRECISE, "units[0].factor"),
        ({"units": [("BOX", "twelve")]}, ErrorCode.INVALID_FORMAT, "units[0].factor"),
        ({"units": [("BOX", "12"), ("box", "10")]}, ErrorCode.ALREADY_EXISTS, "units[1].unit"),
        ({"units": [("EA", "1")]}, ErrorCode.ALREADY_EXISTS, "units[0].unit"),
        ({"units": [("B-OX", "1")]}, ErrorCode.INVALID_FORMAT, "units[0].unit"),
        ({"standard_cost": "NaN"}, ErrorCode.INVALID_FORMAT, "standard_cost"),
        ({"standard_cost": "Infinity"}, ErrorCode.INVALID_FORMAT, "standard_cost"),
        ({"standard_cost": "-0.01"}, ErrorCode.OUT_OF_RANGE, "standard_cost"),
        ({"standard_cost": "1.00001"}, ErrorCode.TOO_PRECISE, "standard_cost"),
        (
            {"barcodes": [("4006381333931", ""), ("4006381333931", "EAN13")]},
            ErrorCode.ALREADY_EXISTS,
            "barcodes[1].code",
        ),
        ({"barcodes": [("036000291453", "")]}, ErrorCode.INVALID_FORMAT, "barcodes[0].code"),
    ],
)
def test_bad_input_is_refused_naming_the_field(changes: dict[str, Any], code: ErrorCode, field: str) -> None:
    assert refusal(lambda: make_item(**changes)) == (code, field)


def test_seven_decimal_places_are_too_precise_for_a_factor() -> None:
    with pytest.raises(DomainError) as refused:
        make_item(units=[("BOX", "0.0000001")])

    assert refused.value.code is ErrorCode.TOO_PRECISE
    assert "6 decimal places" in refused.value.message


def test_three_boxes_of_twelve_are_thirty_six_eaches() -> None:
    item = make_item(units=[("BOX", "12")])

    assert item.convert(Decimal(3), "BOX", "EA") == Decimal(36)
    assert item.convert(Decimal("0.5"), "box", "") == Decimal(6)
    assert item.convert(Decimal(36), "EA", "BOX") == Decimal(3)
    assert item.convert(Decimal(6), "EA", "BOX") == Decimal("0.5")
    assert item.to_base(Decimal("2.25"), "BOX") == Decimal(27)
    assert item.to_base(Decimal("7"), "") == Decimal(7)


def test_converting_between_two_packs_goes_through_the_base_unit() -> None:
    item = make_item(units=[("BOX", "12"), ("PALLET", "480")])

    assert item.convert(Decimal(2), "PALLET", "BOX") == Decimal(80)


@pytest.mark.parametrize("quantity", ["3", "0.5", "0.125", "1234.567891"])
def test_converting_there_and_back_returns_the_same_quantity(quantity: str) -> None:
    item = make_item(units=[("BOX", "12"), ("KG_BAG", "2.5")])

    there = item.convert(Decimal(quantity), "BOX", "KG_BAG")

    assert item.convert(there, "KG_BAG", "BOX") == Decimal(quantity)


def test_a_quotient_that_does_not_terminate_keeps_28_significant_digits() -> None:
    item = make_item(units=[("BOX", "12")])

    assert item.convert(Decimal(1), "EA", "BOX") == Decimal("0.08333333333333333333333333333")


@pytest.mark.parametrize(("from_unit", "to_unit", "field"), [("CASE", "EA", "from_unit"), ("EA", "CASE", "to_unit")])
def test_converting_with_a_unit_the_item_does_not_have_names_that_unit(
    from_unit: str, to_unit: str, field: str
) -> None:
    item = make_item()

    assert refusal(lambda: item.convert(Decimal(1), from_unit, to_unit)) == (
        ErrorCode.NOT_FOUND,
        field,
    )


def test_updating_lists_only_the_fields_that_changed() -> None:
    item = make_item(standard_cost="2.50")
    item.events.clear()

    changes = item.update(
        name="Widget",
        standard_cost="2.5000",
        lot_tracked=True,
        status="blocked",
        units=[("BOX", "12"), ("CASE", "144")],
    )

    assert changes == [
        FieldChange(
            "units",
            [{"unit": "BOX", "factor": "12"}],
            [{"unit": "BOX", "factor": "12"}, {"unit": "CASE", "factor": "144"}],
        ),
        FieldChange("lot_tracked", False, True),
        FieldChange("status", "ACTIVE", "BLOCKED"),
    ]
    assert item.status is ItemStatus.BLOCKED
    [event] = item.events
    assert isinstance(event, ItemUpserted)
    assert (event.sku, event.status, event.units) == (item.sku, "BLOCKED", (("BOX", 12), ("CASE", 144)))
    # Every change is a version: a replica keeps the highest it has seen.
    assert (item.version, event.version) == (2, 2)
    item.set_thresholds("WH1", "5", "50")
    assert item.version == 3


def test_an_update_that_changes_nothing_records_no_event() -> None:
    item = make_item()
    item.events.clear()

    assert item.update(name=" Widget ", standard_cost="2.50", barcodes=[("4006381333931", "EAN13")]) == []
    assert (item.events, item.version) == ([], 1)


def test_a_refused_update_changes_nothing() -> None:
    item = make_item()
    before = item.snapshot()

    assert refusal(lambda: item.update(name="Gadget", status="RETIRED")) == (
        ErrorCode.INVALID_FORMAT,
        "status",
    )
    assert item.snapshot() == before


def test_a_snapshot_holds_every_audited_field_as_json() -> None:
    assert make_item().snapshot() == {
        "sku": "WIDGET-1",
        "name": "Widget",
        "base_unit": "EA",
        "units": [{"unit": "BOX", "factor": "12"}],
        "barcodes": [{"code": "4006381333931", "symbology": "EAN13"}],
        "standard_cost": "2.5",
        "lot_tracked": False,
        "inspect_on_receipt": True,
        "inspect_on_production": False,
        "status": "ACTIVE",
    }


def test_setting_thresholds_for_a_new_warehouse_records_both_values() -> None:
    item = make_item()
    item.events.clear()

    changes = item.set_thresholds("main_wh", "10", "50.5")

    assert changes == [
        FieldChange("thresholds[MAIN_WH].safety_stock", None, "10"),
        FieldChange("thresholds[MAIN_WH].max_stock", None, "50.5"),
    ]
    assert item.thresholds == {"MAIN_WH": Thresholds("MAIN_WH", Decimal(10), Decimal("50.5"))}
    assert item.events == [ThresholdsChanged(item.id, item.sku, "MAIN_WH", Decimal(10), Decimal("50.5"))]


def test_changing_one_threshold_lists_only_that_one() -> None:
    item = make_item()
    item.set_thresholds("MAIN", "10", "50")

    assert item.set_thresholds("MAIN", "10.0", "60") == [FieldChange("thresholds[MAIN].max_stock", "50", "60")]
    assert item.set_thresholds("MAIN", "10", "60") == []


def test_max_stock_may_not_be_below_safety_stock() -> None:
    item = make_item()

    with pytest.raises(DomainError) as refused:
        item.set_thresholds("MAIN", "10", "9.999999")

    assert (refused.value.code, refused.value.field) == (ErrorCode.OUT_OF_RANGE, "max_stock")
    assert "must not be below safety stock" in refused.value.message
    assert item.thresholds == {}


@pytest.mark.parametrize(
    ("warehouse", "safety", "maximum", "code", "field"),
    [
        ("", "1", "2", ErrorCode.REQUIRED, "warehouse"),
        ("W" * 21, "1", "2", ErrorCode.INVALID_FORMAT, "warehouse"),
        ("MAIN", "-1", "2", ErrorCode.OUT_OF_RANGE, "safety_stock"),
        ("MAIN", "1", "2.0000001", ErrorCode.TOO_PRECISE, "max_stock"),
    ],
)
def test_bad_thresholds_are_refused_naming_the_field(
    warehouse: str, safety: str, maximum: str, code: ErrorCode, field: str
) -> None:
    item = make_item()

    assert refusal(lambda: item.set_thresholds(warehouse, safety, maximum)) == (code, field)
