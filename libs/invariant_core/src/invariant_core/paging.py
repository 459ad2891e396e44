"""Page sizes and opaque page tokens, the same for every service's list calls."""

from __future__ import annotations

import base64
import json
from typing import Any

from invariant_kernel.errors import DomainError, ErrorCode

MAX_PAGE = 100
DEFAULT_PAGE = 20


def page_size(requested: int, maximum: int = MAX_PAGE) -> int:
    """The page size asked for (0: the default), refused above `maximum`."""
    if requested < 0 or requested > maximum:
        raise DomainError(ErrorCode.OUT_OF_RANGE, f"page_size must be between 1 and {maximum}", "page_size")
    return requested or DEFAULT_PAGE


def encode_token(*position: str | int) -> str:
    """Where the next page starts: the last row's sort key, opaque to the caller."""
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode()


def decode_token(token: str, *shape: type) -> tuple[Any, ...] | None:
    """The sort key a token carries (None for the first page), checked against `shape`."""
    if not token:
        return None
    try:
        position = json.loads(base64.urlsafe_b64decode(token.encode()))
    except ValueError:
        position = None
    if not (
        isinstance(position, list)
        and len(position) == len(shape)
        and all(type(value) is kind for value, kind in zip(position, shape, strict=True))
    ):
        raise DomainError(ErrorCode.INVALID_FORMAT, "page_token is not a token this service issued", "page_token")
    return tuple(position)
