"""Keyset pages, the same for every service's list calls.

A list request carries `page_size`, `page_token` and `reverse`; its reply carries the
page, `next_page_token` and `cursors`, one per entry. A token is an entry's sort key,
opaque to the caller: listed forward it starts right after that entry, listed with
`reverse` right before it, nearest first. So any entry's cursor pages either way from
it, which is what a client paging back and forth through a screen needs.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import ColumnElement, Select, literal, tuple_

from invariant_kernel.errors import DomainError, ErrorCode

MAX_PAGE = 100
DEFAULT_PAGE = 20

Row = TypeVar("Row")
Key = TypeVar("Key")
Query = TypeVar("Query", bound=Select[Any])


class ListRequest(Protocol):
    page_size: int
    page_token: str
    reverse: bool


def page_size(requested: int, maximum: int = MAX_PAGE) -> int:
    """The page size asked for (0: the default), refused above `maximum`."""
    if requested < 0 or requested > maximum:
        raise DomainError(ErrorCode.OUT_OF_RANGE, f"page_size must be between 1 and {maximum}", "page_size")
    return requested or DEFAULT_PAGE


def encode_token(*position: str | int | datetime) -> str:
    """An entry's position: its sort key, opaque to the caller (an instant as ISO text, as JSON has none)."""
    values = [value.isoformat() if isinstance(value, datetime) else value for value in position]
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode()


def decode_token(token: str, *shape: type) -> tuple[Any, ...] | None:
    """The sort key a token carries (None for the first page), checked against `shape`."""
    if not token:
        return None
    try:
        position = json.loads(base64.urlsafe_b64decode(token.encode()))
    except ValueError:
        position = None
    if not isinstance(position, list) or len(position) != len(shape):
        raise _not_a_token()
    return tuple(_typed(value, kind) for value, kind in zip(position, shape, strict=True))


def _typed(value: object, kind: type) -> Any:
    if kind is datetime and isinstance(value, str):
        with suppress(ValueError):
            instant = datetime.fromisoformat(value)
            if instant.tzinfo is not None:
                return instant
    elif type(value) is kind:
        return value
    raise _not_a_token()


def _not_a_token() -> DomainError:
    return DomainError(ErrorCode.INVALID_FORMAT, "page_token is not a token this service issued", "page_token")


def at_most_a_page(keys: Sequence[Key], field: str) -> Sequence[Key]:
    """The keys a batch read asks for, refused above a page's worth."""
    if len(keys) > MAX_PAGE:
        raise DomainError(ErrorCode.OUT_OF_RANGE, f"{field} holds at most {MAX_PAGE} keys per call", field)
    return keys


@dataclass(frozen=True)
class PageQuery:
    """One page to read: how many, from which position, in which direction."""

    size: int
    position: tuple[Any, ...] | None
    reverse: bool

    @property
    def limit(self) -> int:
        """Rows to read: one more than the page tells whether more follow."""
        return self.size + 1


def page_query(request: ListRequest, *shape: type, maximum: int = MAX_PAGE) -> PageQuery:
    """The page a list request asks for; `shape` is the types of its sort key."""
    return PageQuery(
        size=page_size(request.page_size, maximum),
        position=decode_token(request.page_token, *shape),
        reverse=request.reverse,
    )


def keyset(query: Query, key: Sequence[ColumnElement[Any]], page: PageQuery) -> Query:
    """`query` ordered by `key` (unique), from the page's position on, in its direction, limited."""
    if page.position is not None:
        row = tuple_(*key)
        # Bound as the key's own types, which keep instants in UTC on either database.
        at = tuple_(*(literal(value, column.type) for value, column in zip(page.position, key, strict=True)))
        query = query.where(row < at if page.reverse else row > at)
    order = [column.desc() for column in key] if page.reverse else list(key)
    return query.order_by(*order).limit(page.limit)


@dataclass(frozen=True)
class Page(Generic[Row]):
    """What a list reply needs: the entries, each one's cursor and the next page's token."""

    rows: list[Row]
    cursors: list[str]
    next_page_token: str


def page_of(
    found: Sequence[Row], page: PageQuery, position: Callable[[Row], tuple[str | int | datetime, ...]]
) -> Page[Row]:
    """The page out of `found` (read with `page.limit`), with the cursors `position` gives each entry."""
    rows = list(found[: page.size])
    cursors = [encode_token(*position(row)) for row in rows]
    return Page(rows=rows, cursors=cursors, next_page_token=cursors[-1] if len(found) > page.size else "")
