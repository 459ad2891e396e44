"""What the end-to-end tests share besides fixtures: tokens the running gateway accepts, and
mutations that must succeed."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from gateway.auth import User, issue

SECRET = "e2e-secret-" + "x" * 32
GraphQL = Callable[..., Awaitable[dict[str, Any]]]
USER_ERRORS = "userErrors { field message code }"


def token(user: str, *roles: str) -> str:
    # Modules make their tokens when they are collected, which can be long before their
    # tests run in a whole-suite run: a day outlives any run.
    return issue(User(id=user, roles=frozenset(roles)), SECRET, timedelta(days=1))


def code(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8].upper()}"


async def run(graphql: GraphQL, name: str, input: dict[str, Any], selection: str, as_: str = "") -> dict[str, Any]:
    """Mutation `name` (its input type is named after it); refuses to go on after a user error."""
    input_type = f"{name[0].upper()}{name[1:]}Input"
    query = f"mutation Run($input: {input_type}!) {{ {name}(input: $input) {{ {selection} {USER_ERRORS} }} }}"
    reply = await graphql(query, {"input": input}, as_=as_)
    assert "errors" not in reply, reply["errors"]
    payload: dict[str, Any] = reply["data"][name]
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload
