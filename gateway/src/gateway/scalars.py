"""The `Decimal` scalar: exact decimals as strings on the wire, never floats."""

from __future__ import annotations

import decimal

import strawberry
from strawberry.types.scalar import ScalarDefinition

from invariant_kernel.errors import quoted
from invariant_kernel.units import decimal_text


def parse_decimal(value: object) -> decimal.Decimal:
    # Floats are refused because the client has already lost exactness by the
    # time a JSON number reaches us; integers are exact, so they are accepted.
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError('a Decimal must be sent as a string, for example "12.5"')
    try:
        number = decimal.Decimal(value.strip() if isinstance(value, str) else value)
    except decimal.InvalidOperation:
        raise ValueError(f"{quoted(str(value))} is not a decimal number") from None
    if not number.is_finite():
        raise ValueError("a Decimal must be a finite number, not NaN or Infinity")
    return number


def serialize_decimal(value: decimal.Decimal) -> str:
    return decimal_text(value)


DECIMAL: ScalarDefinition = strawberry.scalar(
    name="Decimal",
    description='An exact decimal number as a string, for example "12.5".',
    serialize=serialize_decimal,
    parse_value=parse_decimal,
)
