"""The graph's scalars: `Decimal`, exact decimals as strings on the wire, never floats; and
strawberry's `DateTime` and `Date`, described for clients and pointed at their specifications.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
from collections.abc import Mapping

import strawberry
from strawberry.schema.types.base_scalars import DateDefinition, DateTimeDefinition
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
    description='An exact decimal number as a string, for example "12.5"; a JSON number with a fraction is refused.',
    # The services carry it as google.type.Decimal, whose comment defines the text.
    specified_by_url="https://github.com/googleapis/googleapis/blob/master/google/type/decimal.proto",
    serialize=serialize_decimal,
    parse_value=parse_decimal,
)
# Read as strawberry reads them; said here what they take. A DateTime without its offset
# parses, and the gateway then refuses it naming the field.
DATETIME = dataclasses.replace(
    DateTimeDefinition,
    description="An instant as RFC 3339 text with its offset, for example 2026-05-01T08:00:00Z.",
    specified_by_url="https://scalars.graphql.org/andimarek/date-time",
)
DATE = dataclasses.replace(
    DateDefinition,
    description="A calendar day as RFC 3339 full-date text, for example 2026-05-01.",
    specified_by_url="https://www.rfc-editor.org/rfc/rfc3339#section-5.6",
)
SCALARS: Mapping[object, ScalarDefinition] = {decimal.Decimal: DECIMAL, dt.datetime: DATETIME, dt.date: DATE}
