"""Relay connections over the services' keyset pages.

A cursor is the service's position of one entry: forward (`first`, `after`) the page
starts right after it, backward (`last`, `before`) it ends right before it. A page asked
for backward is read nearest first by the service and turned round here, so edges are
always in the list's order.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Generic, TypedDict, TypeVar

import strawberry

from invariant_kernel.errors import DomainError, ErrorCode

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20

# What every paginated field's arguments mean, said once.
First = Annotated[
    int | None,
    strawberry.argument(
        description=f"Read forward: how many from the start, or after `after`, 1 to {MAX_PAGE_SIZE}. Without "
        f"`first` or `last`, the first {DEFAULT_PAGE_SIZE}."
    ),
]
After = Annotated[
    str | None,
    strawberry.argument(
        description="With `first`: the cursor to read on after (an edge's `cursor` or `pageInfo.endCursor`); null "
        "starts at the beginning."
    ),
]
Last = Annotated[
    int | None,
    strawberry.argument(description=f"Read backward: how many from the end, or before `before`, 1 to {MAX_PAGE_SIZE}."),
]
Before = Annotated[
    str | None,
    strawberry.argument(
        description="With `last`: the cursor to read back from (an edge's `cursor` or `pageInfo.startCursor`); null "
        "starts at the end."
    ),
]

T = TypeVar("T")


@strawberry.type(description="Where a page stands in its list.")
class PageInfo:
    has_next_page: bool = strawberry.field(
        description="Whether entries follow this page: read on with `first` and `after: endCursor`."
    )
    has_previous_page: bool = strawberry.field(
        description="Whether entries come before this page: read back with `last` and `before: startCursor`."
    )
    start_cursor: str | None = strawberry.field(description="The first edge's cursor; null when the page is empty.")
    end_cursor: str | None = strawberry.field(description="The last edge's cursor; null when the page is empty.")


@strawberry.type(description="One entry of a page, with the cursor that pages on from it either way.")
class Edge(Generic[T]):
    node: T = strawberry.field(description="The entry.")
    cursor: str = strawberry.field(description="Opaque: pass it as `after` to read on, or as `before` to read back.")


@strawberry.type(
    description=f"One page of a list that can grow, in a stable order, at most {MAX_PAGE_SIZE} entries at a time."
)
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The page's entries, in the list's order.")
    page_info: PageInfo = strawberry.field(description="Whether more come before or after, and from where.")


class PageFields(TypedDict):
    page_size: int
    page_token: str
    reverse: bool


@dataclass(frozen=True)
class PageRequest:
    """What to ask a service for: a page size, a position and a direction."""

    size: int
    token: str
    reverse: bool

    @property
    def fields(self) -> PageFields:
        """The list request's paging fields, to pass to its constructor."""
        return PageFields(page_size=self.size, page_token=self.token, reverse=self.reverse)


def page_request(first: int | None, after: str | None, last: int | None, before: str | None) -> PageRequest:
    if first is not None and last is not None:
        raise DomainError(ErrorCode.MUTUALLY_EXCLUSIVE, "give first or last, not both", "last")
    if last is not None or before is not None:
        if after is not None:
            raise DomainError(ErrorCode.MUTUALLY_EXCLUSIVE, "after reads forward: give it with first", "after")
        return PageRequest(size=_size(last, "last"), token=_cursor(before, "before"), reverse=True)
    return PageRequest(size=_size(first, "first"), token=_cursor(after, "after"), reverse=False)


def connection(nodes: Sequence[T], cursors: Sequence[str], request: PageRequest, next_token: str) -> Connection[T]:
    """Build the connection from one page the service returned for `request`."""
    edges = [Edge(node=node, cursor=cursor) for node, cursor in zip(nodes, cursors, strict=True)]
    # Every cursor names an entry of the list, so a page read from one has that entry beyond it.
    beyond = bool(request.token)
    if request.reverse:
        edges.reverse()
        info = PageInfo(has_next_page=beyond, has_previous_page=bool(next_token), start_cursor=None, end_cursor=None)
    else:
        info = PageInfo(has_next_page=bool(next_token), has_previous_page=beyond, start_cursor=None, end_cursor=None)
    if edges:
        info.start_cursor, info.end_cursor = edges[0].cursor, edges[-1].cursor
    return Connection(edges=edges, page_info=info)


def _size(requested: int | None, name: str) -> int:
    if requested is None:
        return DEFAULT_PAGE_SIZE
    if not 1 <= requested <= MAX_PAGE_SIZE:
        raise DomainError(ErrorCode.OUT_OF_RANGE, f"{name} must be between 1 and {MAX_PAGE_SIZE}", name)
    return requested


def _cursor(cursor: str | None, name: str) -> str:
    if cursor is None:
        return ""
    try:
        position = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        position = None
    if not isinstance(position, list):
        raise DomainError(ErrorCode.INVALID_FORMAT, f"{name} is not a cursor from this API", name)
    return cursor
