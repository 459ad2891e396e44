"""Page tokens: an entry's sort key, instants included, and nothing a service did not issue."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from invariant_core.paging import at_most_a_page, decode_token, encode_token
from invariant_kernel.errors import DomainError, ErrorCode

AT = datetime(2026, 5, 1, 8, 30, 15, 250000, tzinfo=UTC)


def test_a_key_with_an_instant_comes_back_as_it_went() -> None:
    assert decode_token(encode_token(AT, "r-1"), datetime, str) == (AT, "r-1")


@pytest.mark.parametrize(
    "token",
    [
        encode_token("2026-05-01T08:30:15", "r-1"),  # an instant without its offset
        encode_token("yesterday", "r-1"),
        encode_token(7, "r-1"),
        encode_token(AT),
        "not a token",
    ],
)
def test_a_token_of_another_shape_is_refused(token: str) -> None:
    with pytest.raises(DomainError) as refused:
        decode_token(token, datetime, str)
    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID_FORMAT, "page_token")


def test_a_batch_read_takes_a_page_of_keys_at_most() -> None:
    assert at_most_a_page(["a"] * 100, "ids") == ["a"] * 100
    with pytest.raises(DomainError) as refused:
        at_most_a_page(["a"] * 101, "ids")
    assert (refused.value.code, refused.value.field) == (ErrorCode.OUT_OF_RANGE, "ids")
