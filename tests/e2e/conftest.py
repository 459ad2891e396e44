"""The suite as a front end sees it: real service processes on gRPC, the gateway over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.auth import User, issue
from invariant_core import suite as running_suite
from invariant_core.embedded import free_port

SECRET = "e2e-secret-" + "x" * 32
GraphQL = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
async def suite(new_database, nats_url: str, tmp_path: Path) -> AsyncIterator[running_suite.Suite]:  # type: ignore[no-untyped-def]
    databases = {name: {"DATABASE_URL": await new_database(name)} for name in running_suite.SERVICES}
    started = await running_suite.start(
        nats_url,
        databases,
        {name: free_port() for name in running_suite.SERVICES},
        free_port(),
        {"JWT_SECRET": SECRET, "GATEWAY_DEV_USER": ""},
        tmp_path,
    )
    yield started
    started.stop()


def token(user: str, *roles: str) -> str:
    return issue(User(id=user, roles=frozenset(roles)), SECRET, timedelta(minutes=10))


@pytest.fixture
async def graphql(suite: running_suite.Suite) -> AsyncIterator[GraphQL]:
    async with httpx.AsyncClient(timeout=30) as client:

        async def send(query: str, variables: dict[str, Any] | None = None, *, as_: str | None = "") -> dict[str, Any]:
            headers = {}
            if as_ is not None:
                headers["Authorization"] = f"Bearer {as_ or token('e2e-supervisor', 'supervisor')}"
            reply = await client.post(
                suite.gateway_url, json={"query": query, "variables": variables or {}}, headers=headers
            )
            assert reply.status_code == 200, reply.text
            body: dict[str, Any] = reply.json()
            return body

        yield send
