"""What the end-to-end tests share besides fixtures: tokens the running gateway accepts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from gateway.auth import User, issue

SECRET = "e2e-secret-" + "x" * 32
GraphQL = Callable[..., Awaitable[dict[str, Any]]]


def token(user: str, *roles: str) -> str:
    return issue(User(id=user, roles=frozenset(roles)), SECRET, timedelta(minutes=10))
