"""Scratch databases for tests: one fresh, empty database per call, dropped afterwards.

TEST_DATABASE_URL (a PostgreSQL URL) selects the server; without it each database is
a SQLite file under `directory`.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

DatabaseFactory = Callable[[str], Awaitable[str]]


@asynccontextmanager
async def scratch_databases(directory: Path) -> AsyncIterator[DatabaseFactory]:
    server = os.environ.get("TEST_DATABASE_URL")
    created: list[str] = []

    async def make(service: str) -> str:
        if not server:
            return f"sqlite+aiosqlite:///{directory / (service + '.db')}"
        name = f"t_{service}_{uuid.uuid4().hex[:12]}"
        await _admin(server, f'CREATE DATABASE "{name}"')
        created.append(name)
        return make_url(server).set(database=name).render_as_string(hide_password=False)

    try:
        yield make
    finally:
        if server:
            for name in created:
                await _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _admin(server: str, statement: str) -> None:
    dsn = make_url(server).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()
