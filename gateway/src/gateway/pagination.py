"""Cursor connections over the services' page tokens.

A cursor names a page token and how many items of that page lie before the next
edge, so any edge's cursor resumes the listing right after that edge.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import strawberry

from invariant_kernel.errors import DomainError, ErrorCode

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
# What every paginated field's arguments mean, said once.
FIRST = f"How many to return, 1 to {MAX_PAGE_SIZE}."
AFTER = "Return those after this cursor (an edge's `cursor` or `pageInfo.endCursor`); null starts at the beginning."

T = TypeVar("T")


@strawberry.type(description="Where a page stands in its list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether more follow: ask again with `after: endCursor`.")
    has_previous_page: bool = strawberry.field(
        description="Whether entries come before this page: true for a page asked for with `after`."
    )
    start_cursor: str | None = strawberry.field(description="The first edge's cursor; null when the page is empty.")
    end_cursor: str | None = strawberry.field(description="The last edge's cursor; null when the page is empty.")


@strawberry.type(description="One entry of a page, with the cursor that resumes the list right after it.")
class Edge(Generic[T]):
    node: T = strawberry.field(description="The entry.")
    cursor: str = strawberry.field(description="Opaque: pass it as `after` to read on from here.")


@strawberry.type(description="One page of a list that can grow, in a stable order.")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The page's entries, in the list's order.")
    page_info: PageInfo = strawberry.field(description="Whether more follow, and from where.")


@dataclass(frozen=True)
class PageRequest:
    """What to ask a service for: a page token, a page size and how many items to drop."""

    token: str
    skip: int
    first: int

    @property
    def size(self) -> int:
        return self.skip + self.first


def page_request(first: int, after: str | None) -> PageRequest:
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise DomainError(ErrorCode.OUT_OF_RANGE, f"first must be between 1 and {MAX_PAGE_SIZE}", "first")
    if after is None:
        return PageRequest(token="", skip=0, first=first)
    token, skip = _decode(after)
    return PageRequest(token=token, skip=skip, first=first)


def connection(nodes: Sequence[T], request: PageRequest, next_token: str) -> Connection[T]:
    """Build the connection from one page the service returned for `request`."""
    page = nodes[request.skip : request.skip + request.first]
    edges = [
        Edge(node=node, cursor=_encode(request.token, request.skip + index + 1)) for index, node in enumerate(page)
    ]
    consumed_page = request.skip + len(page) >= len(nodes)
    if edges and consumed_page and next_token:
        edges[-1] = Edge(node=edges[-1].node, cursor=_encode(next_token, 0))
    info = PageInfo(
        has_next_page=not consumed_page or bool(next_token),
        # Every cursor names an edge of the list, so a page asked for after one has that edge before it.
        has_previous_page=bool(request.token or request.skip),
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )
    return Connection(edges=edges, page_info=info)


def _encode(token: str, skip: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([token, skip]).encode()).decode()


def _decode(cursor: str) -> tuple[str, int]:
    try:
        token, skip = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise DomainError(ErrorCode.INVALID_FORMAT, "after is not a cursor from this API", "after") from None
    if not isinstance(token, str) or not isinstance(skip, int) or skip < 0:
        raise DomainError(ErrorCode.INVALID_FORMAT, "after is not a cursor from this API", "after")
    return token, skip
