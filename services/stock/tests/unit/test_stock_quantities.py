"""Quantities in any unit of the item, converted exactly; codes; places; enum names."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from invariant_kernel.errors import DomainError, ErrorCode
from stock.domain import (
    QUANTITY_LIMIT,
    ItemView,
    LocationKind,
    MovementType,
    Place,
    ReservationPolicy,
    StockStatus,
    normalise_location,
    normalise_warehouse,
    parse_enum,
    parse_place,
    validate_lot,
)

WIDGET = ItemView("WIDGET", "EA", {"BOX": Decimal(12), "PACK": Decimal("0.5"), "THIRD": Decimal("0.333333")})


def refusal(call: Callable[[], object]) -> tuple[ErrorCode, str]:
    with pytest.raises(DomainError) as refused:
        call()
    return refused.value.code, refused.value.field


def test_two_and_a_half_boxes_of_twelve_are_thirty_each() -> None:
    assert WIDGET.to_base("2.5", "BOX") == Decimal(30)
    assert str(WIDGET.to_base("2.5", "BOX")) == "30"


def test_an_empty_unit_means_the_base_unit_and_units_are_case_insensitive() -> None:
    assert WIDGET.to_base("7.25", "") == Decimal("7.25")
    assert WIDGET.to_base(" 3 ", " box ") == Decimal(36)
    assert WIDGET.to_base("1", "ea") == Decimal(1)


def test_a_conversion_keeps_every_digit_up_to_six_places() -> None:
    assert WIDGET.to_base("0.000001", "") == Decimal("0.000001")
    assert WIDGET.to_base("0.0000005", "BOX") == Decimal("0.000006")
    assert WIDGET.to_base("3", "THIRD") == Decimal("0.999999")


def test_a_twelfth_of_a_box_typed_as_a_rounded_decimal_is_refused_as_too_precise() -> None:
    with pytest.raises(DomainError) as refused:
        WIDGET.to_base("0.0833333", "BOX")

    assert (refused.value.code, refused.value.field) == (ErrorCode.TOO_PRECISE, "quantity")
    assert "0.9999996 EA" in refused.value.message


def test_a_conversion_by_an_approximate_third_that_needs_seven_places_is_refused() -> None:
    assert refusal(lambda: WIDGET.to_base("0.5", "THIRD")) == (ErrorCode.TOO_PRECISE, "quantity")


def test_more_than_six_places_in_the_base_unit_is_refused_but_trailing_zeros_are_not() -> None:
    assert refusal(lambda: WIDGET.to_base("1.0000001", "")) == (ErrorCode.TOO_PRECISE, "quantity")
    assert refusal(lambda: WIDGET.to_base("1E-100", "")) == (ErrorCode.TOO_PRECISE, "quantity")
    assert refusal(lambda: WIDGET.to_base("1." + "0" * 90 + "1", "")) == (ErrorCode.TOO_PRECISE, "quantity")
    assert WIDGET.to_base("1.000000000", "") == Decimal(1)


@pytest.mark.parametrize(
    ("quantity", "code"),
    [
        ("", ErrorCode.REQUIRED),
        ("  ", ErrorCode.REQUIRED),
        ("abc", ErrorCode.INVALID_FORMAT),
        ("NaN", ErrorCode.INVALID_FORMAT),
        ("Infinity", ErrorCode.INVALID_FORMAT),
        ("-Infinity", ErrorCode.INVALID_FORMAT),
        ("0", ErrorCode.OUT_OF_RANGE),
        ("-0.5", ErrorCode.OUT_OF_RANGE),
        ("1E+40", ErrorCode.OUT_OF_RANGE),
    ],
)
def test_a_quantity_must_be_a_finite_positive_decimal(quantity: str, code: ErrorCode) -> None:
    assert refusal(lambda: WIDGET.to_base(quantity, "")) == (code, "quantity")


def test_a_quantity_must_stay_below_the_limit_in_the_base_unit() -> None:
    below = QUANTITY_LIMIT - Decimal("0.000001")

    assert WIDGET.to_base(str(below), "") == below
    assert refusal(lambda: WIDGET.to_base("83333333333334", "BOX")) == (ErrorCode.OUT_OF_RANGE, "quantity")


def test_an_unknown_unit_is_not_found_on_the_unit_field() -> None:
    with pytest.raises(DomainError) as refused:
        WIDGET.to_base("1", "KG")

    assert (refused.value.code, refused.value.field) == (ErrorCode.NOT_FOUND, "unit")
    assert "EA, BOX, PACK, THIRD" in refused.value.message


def test_the_quantity_and_unit_fields_can_be_named_for_a_repeated_request_field() -> None:
    assert refusal(lambda: WIDGET.to_base("0", "", "lines[2].quantity")) == (
        ErrorCode.OUT_OF_RANGE,
        "lines[2].quantity",
    )
    assert refusal(lambda: WIDGET.to_base("1", "KG", "lines[2].quantity", "lines[2].unit")) == (
        ErrorCode.NOT_FOUND,
        "lines[2].unit",
    )


def test_a_decimal_is_accepted_as_well_as_a_string() -> None:
    assert WIDGET.to_base(Decimal("1.5"), "BOX") == Decimal(18)


def test_warehouse_codes_are_upper_cased_and_start_with_a_letter() -> None:
    assert normalise_warehouse(" main-1 ") == "MAIN-1"
    assert normalise_warehouse("W" * 20) == "W" * 20
    assert refusal(lambda: normalise_warehouse("1MAIN")) == (ErrorCode.INVALID_FORMAT, "warehouse")
    assert refusal(lambda: normalise_warehouse("W" * 21)) == (ErrorCode.INVALID_FORMAT, "warehouse")
    assert refusal(lambda: normalise_warehouse("MAİN")) == (ErrorCode.INVALID_FORMAT, "warehouse")
    assert refusal(lambda: normalise_warehouse("")) == (ErrorCode.REQUIRED, "warehouse")


def test_location_codes_allow_bin_separators_and_a_leading_digit() -> None:
    assert normalise_location("01-a/3.2_x") == "01-A/3.2_X"
    assert normalise_location("L" * 40) == "L" * 40
    assert refusal(lambda: normalise_location("-A")) == (ErrorCode.INVALID_FORMAT, "location")
    assert refusal(lambda: normalise_location("A B")) == (ErrorCode.INVALID_FORMAT, "location")
    assert refusal(lambda: normalise_location("L" * 41)) == (ErrorCode.INVALID_FORMAT, "location")


def test_lot_numbers_keep_their_case_and_refuse_spaces_and_overlong_numbers() -> None:
    assert validate_lot(" lot-a12/x ") == "lot-a12/x"
    assert validate_lot("") == ""
    assert validate_lot("x" * 40) == "x" * 40
    assert refusal(lambda: validate_lot("lot 1")) == (ErrorCode.INVALID_FORMAT, "lot")
    assert refusal(lambda: validate_lot("x" * 41)) == (ErrorCode.INVALID_FORMAT, "lot")
    assert refusal(lambda: validate_lot("lot\u00e9")) == (ErrorCode.INVALID_FORMAT, "lot")


def test_a_place_from_a_request_is_normalised_and_names_its_fields() -> None:
    assert parse_place(" wh1 ", "a-01", "L1", "STOCK_STATUS_QC_HOLD", "to") == Place(
        "WH1", "A-01", "L1", StockStatus.QC_HOLD
    )
    assert refusal(lambda: parse_place("WH1", "A", "", "", "to")) == (ErrorCode.REQUIRED, "to.status")
    assert refusal(lambda: parse_place("WH1", "A", "", "STOCK_STATUS_UNSPECIFIED", "to")) == (
        ErrorCode.REQUIRED,
        "to.status",
    )
    assert refusal(lambda: parse_place("WH1", "A", "", "BROKEN", "from")) == (ErrorCode.INVALID_FORMAT, "from.status")
    assert refusal(lambda: parse_place("", "A", "", "AVAILABLE", "from")) == (ErrorCode.REQUIRED, "from.warehouse")
    assert refusal(lambda: parse_place("WH1", "A B", "", "AVAILABLE", "from")) == (
        ErrorCode.INVALID_FORMAT,
        "from.location",
    )
    assert refusal(lambda: parse_place("WH1", "A", "a b", "AVAILABLE", "")) == (ErrorCode.INVALID_FORMAT, "lot")


def test_a_place_is_a_hashable_balance_key() -> None:
    balances = {Place("WH1", "A", "", StockStatus.AVAILABLE): Decimal(5)}

    assert balances[Place("WH1", "A", "", StockStatus.AVAILABLE)] == Decimal(5)
    assert Place("WH1", "A", "", StockStatus.QC_HOLD) not in balances


def test_enums_parse_their_own_names_and_the_proto_names() -> None:
    assert parse_enum(MovementType, "MOVEMENT_TYPE_STATUS_CHANGE", "type") is MovementType.STATUS_CHANGE
    assert parse_enum(MovementType, "receipt", "type") is MovementType.RECEIPT
    assert parse_enum(LocationKind, "LOCATION_KIND_IN_TRANSIT", "kind") is LocationKind.IN_TRANSIT
    assert parse_enum(ReservationPolicy, "PARTIAL", "policy") is ReservationPolicy.PARTIAL
    assert refusal(lambda: parse_enum(ReservationPolicy, "RESERVATION_POLICY_UNSPECIFIED", "policy")) == (
        ErrorCode.REQUIRED,
        "policy",
    )
    assert refusal(lambda: parse_enum(MovementType, "THEFT", "type")) == (ErrorCode.INVALID_FORMAT, "type")
