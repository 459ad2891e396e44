"""Relay connections over a service's keyset pages: forward and backward, each edge's cursor
pages on from it either way, and a page info that says what lies on both sides."""

from __future__ import annotations

import pytest

from gateway.pagination import Connection, PageRequest, connection, page_request
from invariant_core.paging import PageQuery, decode_token, page_of
from invariant_kernel.errors import DomainError, ErrorCode

LETTERS = ["a", "b", "c", "d", "e"]


def listed(request: PageRequest) -> Connection[str]:
    """What a service answers for `request` over LETTERS, read through the core's paging."""
    query = PageQuery(size=request.size, position=decode_token(request.token, str), reverse=request.reverse)
    ordered = sorted(LETTERS, reverse=query.reverse)
    if query.position is not None:
        (at,) = query.position
        ordered = [letter for letter in ordered if (letter < at if query.reverse else letter > at)]
    page = page_of(ordered[: query.limit], query, lambda letter: (letter,))
    return connection(page.rows, page.cursors, request, page.next_page_token)


def nodes(page: Connection[str]) -> list[str]:
    return [edge.node for edge in page.edges]


def sides(page: Connection[str]) -> tuple[bool, bool]:
    return page.page_info.has_previous_page, page.page_info.has_next_page


def test_a_first_page_has_nothing_before_it_and_says_where_it_starts_and_ends() -> None:
    page = listed(page_request(2, None, None, None))
    assert nodes(page) == ["a", "b"]
    assert sides(page) == (False, True)
    assert (page.page_info.start_cursor, page.page_info.end_cursor) == (page.edges[0].cursor, page.edges[1].cursor)


def test_neither_first_nor_last_reads_the_first_twenty() -> None:
    assert page_request(None, None, None, None) == PageRequest(size=20, token="", reverse=False)


def test_reading_on_after_the_end_cursor_reaches_the_end() -> None:
    first = listed(page_request(2, None, None, None))
    second = listed(page_request(2, first.page_info.end_cursor, None, None))
    third = listed(page_request(2, second.page_info.end_cursor, None, None))
    assert (nodes(second), sides(second)) == (["c", "d"], (True, True))
    assert (nodes(third), sides(third)) == (["e"], (True, False))


def test_last_reads_the_end_of_the_list_in_the_lists_order() -> None:
    page = listed(page_request(None, None, 2, None))
    assert nodes(page) == ["d", "e"]
    assert sides(page) == (True, False)


def test_reading_back_before_the_start_cursor_reaches_the_start() -> None:
    end = listed(page_request(None, None, 2, None))
    back = listed(page_request(None, None, 2, end.page_info.start_cursor))
    start = listed(page_request(None, None, 2, back.page_info.start_cursor))
    assert (nodes(back), sides(back)) == (["b", "c"], (True, True))
    assert (nodes(start), sides(start)) == (["a"], (False, True))


def test_any_edges_cursor_pages_either_way_from_it() -> None:
    everything = listed(page_request(5, None, None, None))
    middle = everything.edges[2].cursor
    assert nodes(listed(page_request(1, middle, None, None))) == ["d"]
    assert nodes(listed(page_request(None, None, 1, middle))) == ["b"]


def test_an_empty_page_has_no_cursors() -> None:
    empty = connection([], [], page_request(5, None, None, None), next_token="")
    assert empty.edges == []
    assert (empty.page_info.start_cursor, empty.page_info.end_cursor) == (None, None)
    assert sides(empty) == (False, False)


@pytest.mark.parametrize(
    ("arguments", "field", "code"),
    [
        ((2, None, 2, None), "last", ErrorCode.MUTUALLY_EXCLUSIVE),
        ((None, "WyJhIl0=", 2, None), "after", ErrorCode.MUTUALLY_EXCLUSIVE),
        ((0, None, None, None), "first", ErrorCode.OUT_OF_RANGE),
        ((None, None, 101, None), "last", ErrorCode.OUT_OF_RANGE),
        ((2, "not a cursor", None, None), "after", ErrorCode.INVALID_FORMAT),
        ((None, None, 2, "bm9wZQ=="), "before", ErrorCode.INVALID_FORMAT),
    ],
)
def test_a_page_that_cannot_be_read_is_refused_naming_the_argument(
    arguments: tuple[int | None, str | None, int | None, str | None], field: str, code: ErrorCode
) -> None:
    with pytest.raises(DomainError) as refused:
        page_request(*arguments)
    assert (refused.value.field, refused.value.code) == (field, code)
