"""Fixtures every tier shares: a real database and a real NATS JetStream.

TEST_DATABASE_URL (a PostgreSQL URL) and NATS_URL select external servers; without
them each test gets a SQLite file and the session an embedded NATS server.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from invariant_core.embedded import free_port, start_nats

DatabaseFactory = Callable[[str], Awaitable[str]]


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
async def new_database(tmp_path: Path) -> AsyncIterator[DatabaseFactory]:
    """Make a fresh, empty database per call: the service migrates it on start."""
    server = os.environ.get("TEST_DATABASE_URL")
    created: list[str] = []

    async def make(service: str) -> str:
        if not server:
            return f"sqlite+aiosqlite:///{tmp_path / (service + '.db')}"
        name = f"t_{service}_{uuid.uuid4().hex[:12]}"
        admin = await asyncpg.connect(_dsn(server))
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        created.append(name)
        return make_url(server).set(database=name).render_as_string(hide_password=False)

    yield make
    if created:
        admin = await asyncpg.connect(_dsn(server or ""))
        try:
            for name in created:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def pytest_report_header() -> list[str]:
    database = os.environ.get("TEST_DATABASE_URL") or "SQLite files"
    nats = os.environ.get("NATS_URL") or "embedded nats-server"
    return [f"invariant: database={database} nats={nats}"]
