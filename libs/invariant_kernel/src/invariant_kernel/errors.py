"""Domain errors: a stable code, the field it concerns and a sentence for people.

Standard library only, so that every service's domain package may raise these.
The codes travel unchanged through gRPC (google.rpc.ErrorInfo.reason) and GraphQL
(the user error's `code`), so front ends act on the code, never on the message.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum


class ErrorCode(StrEnum):
    REQUIRED = "REQUIRED"
    INVALID_FORMAT = "INVALID_FORMAT"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    MUTUALLY_EXCLUSIVE = "MUTUALLY_EXCLUSIVE"
    TOO_PRECISE = "TOO_PRECISE"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    INVALID_STATE = "INVALID_STATE"
    CYCLE = "CYCLE"
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    UNAVAILABLE = "UNAVAILABLE"


class DomainError(Exception):
    """A command was refused; nothing was written."""

    def __init__(self, code: ErrorCode, message: str, field: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def __repr__(self) -> str:
        return f"DomainError({self.code}, {self.message!r}, field={self.field!r})"


# How much of what a user sent an error message quotes: messages travel in gRPC metadata,
# which a megabyte of input would overflow, and nobody reads past the start of a typo.
QUOTED_LENGTH = 40


def quoted(value: str) -> str:
    """`value` as an error message shows it: in quotes, cut to its first characters."""
    if len(value) <= QUOTED_LENGTH:
        return repr(value)
    return f"{value[:QUOTED_LENGTH]!r}… ({len(value)} characters)"


def not_found(what: str, key: str, field: str) -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, f"{what} {quoted(key)} does not exist", field)


class ItemsNotReplicatedError(DomainError):
    """Items (SKU, request field) and barcodes (code, request field) this service's replica of
    the catalog does not hold yet: read them through from the catalog, outside the
    transaction, and run the command again."""

    def __init__(self, missing: Sequence[tuple[str, str]], barcodes: Sequence[tuple[str, str]] = ()) -> None:
        named = [*barcodes, *missing]
        super().__init__(
            ErrorCode.UNAVAILABLE, f"not known here yet: {', '.join(code for code, _ in named)}", named[0][1]
        )
        self.missing = missing
        self.barcodes = barcodes
