"""Protobuf well-known and google.type values to and from Python values."""

from __future__ import annotations

import datetime as dt
import decimal

from google.protobuf import timestamp_pb2
from google.type import date_pb2, decimal_pb2

from gateway.scalars import serialize_decimal


def decimal_to_proto(value: decimal.Decimal) -> decimal_pb2.Decimal:
    return decimal_pb2.Decimal(value=serialize_decimal(value))


def decimal_from_proto(value: decimal_pb2.Decimal) -> decimal.Decimal:
    return decimal.Decimal(value.value or "0")


def optional_decimal(value: decimal_pb2.Decimal, present: bool) -> decimal.Decimal | None:
    return decimal_from_proto(value) if present and value.value else None


def date_to_proto(value: dt.date) -> date_pb2.Date:
    return date_pb2.Date(year=value.year, month=value.month, day=value.day)


def date_from_proto(value: date_pb2.Date) -> dt.date | None:
    """None for an unset date (all zero)."""
    if not value.year:
        return None
    return dt.date(value.year, value.month, value.day)


def timestamp_from_proto(value: timestamp_pb2.Timestamp) -> dt.datetime | None:
    if not value.seconds and not value.nanos:
        return None
    return value.ToDatetime(tzinfo=dt.UTC)
