"""Fixtures every tier shares: a real database and a real NATS JetStream.

TEST_DATABASE_URL (a PostgreSQL URL) and NATS_URL select external servers; without
them each test gets a SQLite file and the session an embedded NATS server. Either way
each test gets an event stream of its own on it (`event_bus`).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from invariant_core.embedded import free_port, start_nats
from invariant_core.tasks import finish
from invariant_core.testing import DatabaseFactory, EventBus, scratch_databases, scratch_event_bus


@pytest.fixture(scope="session")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    external = os.environ.get("NATS_URL")
    if external:
        yield external
        return
    port = free_port()
    process = start_nats(port, tmp_path_factory.mktemp("nats"))
    yield f"nats://127.0.0.1:{port}"
    process.terminate()
    process.wait(10)


@pytest.fixture
async def event_bus(nats_url: str) -> AsyncIterator[EventBus]:
    """A stream and subjects of this test's own: no test sees another's events."""
    async with scratch_event_bus(nats_url) as events:
        yield events


@pytest.fixture
async def new_database(tmp_path: Path) -> AsyncIterator[DatabaseFactory]:
    """Make a fresh, empty database per call: the service migrates it on start."""
    async with scratch_databases(tmp_path) as make:
        yield make


@pytest.fixture(autouse=True)
async def no_task_left_behind(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """A test whose services leave a task running fails here, naming the task, instead of
    hanging the event loop's close for ever if the task ignores a cancellation."""
    before = asyncio.all_tasks()
    yield
    left = {task for task in asyncio.all_tasks() - before if task is not asyncio.current_task() and not task.done()}
    if left:
        # A task its owner has just cancelled (nats-py closing a connection) ends within a
        # few turns of the loop: only one still running after a second is left behind.
        _, left = await asyncio.wait(left, timeout=1.0)
    if left:
        stacks = io.StringIO()
        for task in left:
            task.print_stack(file=stacks)
        # A task that ignores every cancellation cannot be ended: the loop's close then hangs
        # until the test times out, and this failure names it.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5):
                await finish(left, 0)
        pytest.fail(f"{request.node.nodeid} left {len(left)} tasks running:\n{stacks.getvalue()}")


def pytest_report_header() -> list[str]:
    database = os.environ.get("TEST_DATABASE_URL") or "SQLite files"
    nats = os.environ.get("NATS_URL") or "embedded nats-server"
    return [f"invariant: database={database} nats={nats}"]
