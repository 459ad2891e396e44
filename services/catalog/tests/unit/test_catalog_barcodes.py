from __future__ import annotations

import pytest

from catalog.domain import Barcode, Symbology, validate_barcode
from invariant_kernel.errors import DomainError, ErrorCode


@pytest.mark.parametrize(
    ("code", "symbology"),
    [
        ("4006381333931", "EAN13"),
        ("5901234123457", "ean13"),
        ("036000291452", "UPCA"),
        ("012345678905", " upca "),
    ],
)
def test_barcodes_with_a_correct_check_digit_are_accepted(code: str, symbology: str) -> None:
    barcode = validate_barcode(code, symbology, "barcodes[0].code")

    assert barcode == Barcode(code, Symbology(symbology.strip().upper()))


@pytest.mark.parametrize(
    ("code", "symbology", "expected"),
    [("4006381333932", "EAN13", "1"), ("036000291453", "UPCA", "2")],
)
def test_a_wrong_check_digit_is_refused_naming_the_expected_one(code: str, symbology: str, expected: str) -> None:
    with pytest.raises(DomainError) as refused:
        validate_barcode(code, symbology, "barcodes[2].code")

    assert refused.value.code is ErrorCode.INVALID_FORMAT
    assert refused.value.field == "barcodes[2].code"
    assert f"requires {expected}" in refused.value.message


@pytest.mark.parametrize(
    ("code", "symbology"),
    [
        ("4006381333931", Symbology.EAN13),
        ("036000291452", Symbology.UPCA),
        ("ABC-123", Symbology.OTHER),
    ],
)
def test_an_empty_symbology_is_inferred_from_the_code(code: str, symbology: Symbology) -> None:
    assert validate_barcode(code, "", "code").symbology is symbology


def test_thirteen_digits_without_a_symbology_must_still_carry_a_valid_check_digit() -> None:
    with pytest.raises(DomainError) as refused:
        validate_barcode("4006381333930", "", "code")

    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID_FORMAT, "code")


def test_other_barcodes_are_kept_as_given() -> None:
    assert validate_barcode("  x-42/Ab  ", "OTHER", "code") == Barcode("x-42/Ab", Symbology.OTHER)


@pytest.mark.parametrize(
    ("code", "symbology"),
    [("12345", "EAN13"), ("40063813339A1", "EAN13"), ("a b", "OTHER"), ("x" * 65, "OTHER")],
)
def test_codes_that_do_not_fit_their_symbology_are_refused(code: str, symbology: str) -> None:
    with pytest.raises(DomainError) as refused:
        validate_barcode(code, symbology, "barcodes[0].code")

    assert (refused.value.code, refused.value.field) == (
        ErrorCode.INVALID_FORMAT,
        "barcodes[0].code",
    )


def test_an_unknown_symbology_is_reported_on_the_symbology_field() -> None:
    with pytest.raises(DomainError) as refused:
        validate_barcode("4006381333931", "QR", "barcodes[1].code")

    assert (refused.value.code, refused.value.field) == (
        ErrorCode.INVALID_FORMAT,
        "barcodes[1].symbology",
    )


def test_an_empty_code_is_required() -> None:
    with pytest.raises(DomainError) as refused:
        validate_barcode("  ", "", "barcodes[0].code")

    assert (refused.value.code, refused.value.field) == (ErrorCode.REQUIRED, "barcodes[0].code")
