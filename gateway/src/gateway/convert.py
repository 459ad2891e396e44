"""Protobuf well-known and google.type values to and from Python values."""

from __future__ import annotations

import datetime as dt
import decimal
from enum import Enum
from typing import TypeVar

from google.protobuf import timestamp_pb2
from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper
from google.type import date_pb2, decimal_pb2

from gateway.scalars import serialize_decimal
from invariant_kernel.errors import DomainError, ErrorCode

E = TypeVar("E", bound=Enum)


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


def day_from_proto(value: date_pb2.Date, field: str) -> dt.date:
    """A date the service always sets: shown non-null in the graph."""
    day = date_from_proto(value)
    if day is None:
        raise ValueError(f"{field}: the service sent no date")
    return day


def timestamp_from_proto(value: timestamp_pb2.Timestamp) -> dt.datetime | None:
    """None for an unset timestamp (the epoch itself)."""
    if not value.seconds and not value.nanos:
        return None
    return instant_from_proto(value)


def instant_from_proto(value: timestamp_pb2.Timestamp) -> dt.datetime:
    """A timestamp the service always sets: shown non-null in the graph."""
    return value.ToDatetime(tzinfo=dt.UTC)


def timestamp_to_proto(value: dt.datetime, field: str) -> timestamp_pb2.Timestamp:
    # Without an offset the instant would be a guess, and the ledger's times must be exact.
    if value.utcoffset() is None:
        raise DomainError(
            ErrorCode.INVALID_FORMAT, f"{field} must carry a time zone, for example 2024-05-01T08:00:00Z", field
        )
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def _enum_prefix(proto_enum: EnumTypeWrapper) -> str:
    # Proto enum values carry their type's name (STOCK_STATUS_QC_HOLD), like the zero value STOCK_STATUS_UNSPECIFIED.
    return proto_enum.Name(0).removesuffix("UNSPECIFIED")


def enum_from_proto(kind: type[E], proto_enum: EnumTypeWrapper, value: int) -> E:
    """The GraphQL enum member named like the proto value without its prefix: STOCK_STATUS_QC_HOLD -> QC_HOLD."""
    return kind(proto_enum.Name(value).removeprefix(_enum_prefix(proto_enum)))


def enum_from_code(kind: type[E], code: str, field: str) -> E:
    """The GraphQL enum member a service's code names, where the proto carries the code as text.

    A code the gateway does not know (a service newer than the gateway) is an error that names
    the field, the code and the values the gateway knows, rather than a bare ValueError.
    """
    try:
        return kind(code)
    except ValueError:
        known = ", ".join(member.name for member in kind)
        raise ValueError(
            f"{field}: the service sent {code!r}, which this gateway does not know (it knows {known})"
        ) from None


def enum_to_proto(proto_enum: EnumTypeWrapper, member: Enum) -> str:
    """The proto value's name, which protobuf takes for an enum field: QC_HOLD -> STOCK_STATUS_QC_HOLD."""
    return f"{_enum_prefix(proto_enum)}{member.value}"
