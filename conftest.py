"""Fixtures every tier shares: a real database and a real NATS JetStream.

TEST_DATABASE_URL (a PostgreSQL URL) and NATS_URL select external servers; without
them each test gets a SQLite file and the session an embedded NATS server. Either way
each test gets an event stream of its own on it (`event_bus`).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from invariant_core.embedded import free_port, start_nats
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


def pytest_report_header() -> list[str]:
    database = os.environ.get("TEST_DATABASE_URL") or "SQLite files"
    nats = os.environ.get("NATS_URL") or "embedded nats-server"
    return [f"invariant: database={database} nats={nats}"]
