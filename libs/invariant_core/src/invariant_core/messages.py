"""google.type values in the services' messages, to and from Python values."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from google.type.date_pb2 import Date as PbDate
from google.type.decimal_pb2 import Decimal as PbDecimal

from invariant_core.errors import DomainError, ErrorCode


def decimal_message(value: Decimal) -> PbDecimal:
    return PbDecimal(value=str(value))


def date_message(value: date) -> PbDate:
    return PbDate(year=value.year, month=value.month, day=value.day)


def date_from_message(value: PbDate, field: str) -> date:
    try:
        return date(value.year, value.month, value.day)
    except ValueError as error:
        raise DomainError(ErrorCode.INVALID_FORMAT, f"{field} is not a calendar date: {error}", field) from None
