"""Connections built from a service's pages: cursors that resume right after their edge, and
a page info that says where the page stands on both sides."""

from __future__ import annotations

from gateway.pagination import connection, page_request

LETTERS = ["a", "b", "c", "d", "e"]


def test_a_first_page_has_nothing_before_it_and_says_where_it_starts_and_ends() -> None:
    page = connection(LETTERS, page_request(2, None), next_token="")
    assert [edge.node for edge in page.edges] == ["a", "b"]
    info = page.page_info
    assert (info.has_previous_page, info.has_next_page) == (False, True)
    assert (info.start_cursor, info.end_cursor) == (page.edges[0].cursor, page.edges[1].cursor)


def test_a_page_after_a_cursor_has_entries_before_it() -> None:
    first = connection(LETTERS, page_request(2, None), next_token="")
    after = page_request(2, first.page_info.end_cursor)
    second = connection(LETTERS, after, next_token="")
    assert [edge.node for edge in second.edges] == ["c", "d"]
    assert (second.page_info.has_previous_page, second.page_info.has_next_page) == (True, True)


def test_the_last_page_of_the_last_service_page_has_nothing_after_it() -> None:
    last = connection(LETTERS, page_request(10, None), next_token="")
    assert [edge.node for edge in last.edges] == LETTERS
    assert last.page_info.has_next_page is False


def test_an_empty_page_has_no_cursors() -> None:
    empty = connection([], page_request(5, None), next_token="")
    assert empty.edges == []
    assert (empty.page_info.start_cursor, empty.page_info.end_cursor) == (None, None)
    assert empty.page_info.has_next_page is False
