"""A command on the caller's behalf: the role checked first, a refusal returned as user errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

from gateway.context import Info
from gateway.errors import UserError, attempt, call
from gateway.permissions import require

T = TypeVar("T")


async def command(
    info: Info,
    send: Callable[[], Awaitable[T]],
    fields: Mapping[str, str] | None = None,
) -> tuple[T | None, list[UserError]]:
    """Send for a caller whose roles may use the field (gateway.permissions); anyone else is
    refused before a service is asked.

    `fields` renames the service's fields as `attempt` does.
    """

    async def run() -> T:
        require(info)
        return await call(send)

    return await attempt(run, fields)
