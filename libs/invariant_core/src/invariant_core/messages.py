"""google.type values in the services' messages, to and from Python values."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from google.protobuf.timestamp_pb2 import Timestamp
from google.type.date_pb2 import Date as PbDate
from google.type.decimal_pb2 import Decimal as PbDecimal

from invariant_kernel.errors import DomainError, ErrorCode
from invariant_kernel.units import decimal_text


def decimal_message(value: Decimal) -> PbDecimal:
    return PbDecimal(value=decimal_text(value))


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# protobuf's own FromDatetime and ToDatetime go through time tuples; these are the same
# values by plain arithmetic, which matters where a call carries many thousands.
def timestamp_message(value: datetime) -> Timestamp:
    """An aware datetime as a Timestamp."""
    since = value - EPOCH
    return Timestamp(seconds=since.days * 86_400 + since.seconds, nanos=since.microseconds * 1000)


def datetime_from_message(stamp: Timestamp) -> datetime:
    """A Timestamp as an aware UTC datetime (to the microsecond, as Python keeps it)."""
    return EPOCH + timedelta(seconds=stamp.seconds, microseconds=stamp.nanos // 1000)


def date_message(value: date) -> PbDate:
    return PbDate(year=value.year, month=value.month, day=value.day)


def date_from_message(value: PbDate, field: str) -> date:
    try:
        return date(value.year, value.month, value.day)
    except ValueError as error:
        raise DomainError(ErrorCode.INVALID_FORMAT, f"{field} is not a calendar date: {error}", field) from None
