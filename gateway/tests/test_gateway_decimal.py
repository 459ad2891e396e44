from __future__ import annotations

import decimal

import pytest

from gateway.scalars import parse_decimal, serialize_decimal

from support import Catalog, StartGateway, bearer

CONVERT = """
query Convert($many: Decimal!, $few: Decimal!) {
  many: convertQuantity(sku: "A-1", quantity: $many, fromUnit: "BOX", toUnit: "PCS") { quantity unit }
  few: convertQuantity(sku: "A-1", quantity: $few, fromUnit: "BOX", toUnit: "PCS") { quantity unit }
}
"""


@pytest.mark.parametrize("sent", ["NaN", "nan", "sNaN", "Infinity", "-Infinity", "inf"])
def test_the_decimal_scalar_refuses_nan_and_infinity(sent: str) -> None:
    with pytest.raises(ValueError, match="finite"):
        parse_decimal(sent)


@pytest.mark.parametrize("sent", [0.1, True, None, [], "", "twelve", "1,5"])
def test_the_decimal_scalar_refuses_floats_and_what_is_not_a_number(sent: object) -> None:
    with pytest.raises(ValueError):
        parse_decimal(sent)


def test_the_decimal_scalar_keeps_point_one_exact() -> None:
    parsed = parse_decimal("0.1")
    assert parsed == decimal.Decimal("0.1")
    assert parsed + parse_decimal("0.2") == decimal.Decimal("0.3")
    assert serialize_decimal(parsed) == "0.1"


@pytest.mark.parametrize(
    ("stored", "written"),
    [("1E-7", "0.0000001"), ("1E+2", "100"), ("12.50", "12.5"), ("26.52000000", "26.52"), ("-0.0", "0"), ("0E-8", "0")],
)
def test_decimals_are_written_exactly_without_padding_or_exponents(stored: str, written: str) -> None:
    assert serialize_decimal(decimal.Decimal(stored)) == written


async def test_a_decimal_travels_to_the_service_and_back_exactly(start_gateway: StartGateway, catalog: Catalog) -> None:
    # One BOX holds 0.000003 PCS, so the catalog multiplies by 0.000003 in exact decimals:
    # 12345678901.123457 * 0.000003 = 37037.036703370371, one digit more than a float keeps
    # (37037.03670337037), and 0.1 * 0.000003 = 3E-7, which the gateway writes out in full.
    await catalog.create_item("A-1", units={"BOX": "0.000003"})
    async with start_gateway() as client:
        reply = await client.post(
            "/graphql",
            json={
                "query": CONVERT,
                "variables": {"many": "12345678901.123457", "few": "0.1"},
            },
            headers=bearer(),
        )
    assert reply.json()["data"] == {
        "many": {"quantity": "37037.036703370371", "unit": "PCS"},
        "few": {"quantity": "0.0000003", "unit": "PCS"},
    }


@pytest.mark.parametrize("sent", ["NaN", "Infinity", 0.1])
async def test_a_request_with_a_non_finite_or_float_decimal_is_refused_before_any_call(
    start_gateway: StartGateway, catalog: Catalog, sent: object
) -> None:
    async with start_gateway(ENVIRONMENT="production") as client:
        reply = await client.post(
            "/graphql", json={"query": CONVERT, "variables": {"many": "1", "few": sent}}, headers=bearer()
        )
    [error] = reply.json()["errors"]
    assert "$few" in error["message"]
    assert "Unexpected error" not in error["message"]
    assert not catalog.calls
