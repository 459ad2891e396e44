"""The suite as a front end sees it: real service processes on gRPC, the gateway over HTTP.

Starting the suite spawns a process per service, so each test module shares one suite
(tests use random SKUs and never collide). Module-scoped async fixtures run in the
module's event loop, so every test module here declares
`pytestmark = pytest.mark.asyncio(loop_scope="module")`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from invariant_core import services
from invariant_core import suite as running_suite
from invariant_core.embedded import free_port
from invariant_core.testing import DatabaseFactory, EventBus, scratch_databases, scratch_event_bus

from e2e_support import SECRET, GraphQL, token


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_databases(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DatabaseFactory]:
    """The root `new_database`, for a whole module."""
    async with scratch_databases(tmp_path_factory.mktemp("databases")) as make:
        yield make


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def suite(
    module_databases: DatabaseFactory, nats_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[running_suite.Suite]:
    async with scratch_event_bus(nats_url) as events:
        started = await start_suite(module_databases, events, tmp_path_factory.mktemp("logs"))
        yield started
        started.stop()


async def start_suite(databases: DatabaseFactory, events: EventBus, logs: Path) -> running_suite.Suite:
    environments = {
        name: {"DATABASE_URL": await databases(name), "EVENTS_NAMESPACE": events.namespace}
        for name in services.installed()
    }
    return await running_suite.start(
        events.url,
        environments,
        {name: free_port() for name in services.installed()},
        free_port(),
        {"JWT_SECRET": SECRET, "GATEWAY_DEV_USER": ""},
        logs,
    )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def graphql(suite: running_suite.Suite) -> AsyncIterator[GraphQL]:
    """`await graphql(query, variables, as_=token)`: "" sends a supervisor's token, None no token."""
    async with httpx.AsyncClient(timeout=30) as client:

        async def send(query: str, variables: dict[str, Any] | None = None, *, as_: str | None = "") -> dict[str, Any]:
            headers = {}
            if as_ is not None:
                headers["Authorization"] = f"Bearer {as_ or token('e2e-supervisor', 'supervisor')}"
            reply = await client.post(
                suite.gateway_url, json={"query": query, "variables": variables or {}}, headers=headers
            )
            assert reply.status_code == 200, reply.text
            answer: dict[str, Any] = reply.json()
            return answer

        yield send
