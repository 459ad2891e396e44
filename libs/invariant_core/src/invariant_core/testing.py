"""Test support shared by every service: scratch databases, event streams of a test's own,
waiting for what happens asynchronously, and the domain-import rule.

Scratch databases: one fresh, empty database per call, dropped afterwards.

A PostgreSQL server URL (`server`, else TEST_DATABASE_URL) selects the server; without
one each database is a SQLite file under `directory`.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import nats
from nats.js.errors import NotFoundError
from sqlalchemy.engine import make_url

from invariant_core.bus import Stream

DatabaseFactory = Callable[[str], Awaitable[str]]


@asynccontextmanager
async def scratch_databases(directory: Path, server: str | None = None) -> AsyncIterator[DatabaseFactory]:
    server = server or os.environ.get("TEST_DATABASE_URL")
    created: list[str] = []

    async def make(service: str) -> str:
        if not server:
            return f"sqlite+aiosqlite:///{directory / (service + '.db')}"
        name = f"t_{service}_{uuid.uuid4().hex[:12]}"
        await _admin(server, f'CREATE DATABASE "{name}"')
        url = make_url(server).set(database=name).render_as_string(hide_password=False)
        created.append(url)
        return url

    try:
        yield make
    finally:
        for url in created:
            await drop_database(url)


async def drop_database(url: str) -> None:
    """Drop a scratch database, whoever is connected to it (a SQLite file is removed)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        await asyncio.to_thread(Path(parsed.database or "").unlink, missing_ok=True)
        return
    await _admin(
        parsed.set(database="postgres").render_as_string(hide_password=False),
        f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)',
    )


async def _admin(server: str, statement: str) -> None:
    dsn = make_url(server).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@dataclass(frozen=True)
class EventBus:
    """A NATS server and a namespace on it: a stream and subjects that no other test sees."""

    url: str
    namespace: str

    @property
    def stream(self) -> Stream:
        return Stream(self.namespace)

    @property
    def env(self) -> dict[str, str]:
        """What a service's settings need to use it."""
        return {"NATS_URL": self.url, "EVENTS_NAMESPACE": self.namespace}

    def subject(self, subject: str) -> str:
        return self.stream.subject(subject)


@asynccontextmanager
async def scratch_event_bus(url: str) -> AsyncIterator[EventBus]:
    """A namespace of its own on the NATS server at `url`; its stream is deleted afterwards,
    so that a long-lived server does not grow with every run."""
    events = EventBus(url, f"t{uuid.uuid4().hex[:12]}")
    try:
        yield events
    finally:
        client = await nats.connect(url)
        try:
            with suppress(NotFoundError):
                await client.jetstream().delete_stream(events.stream.name)
        finally:
            await client.close()


async def eventually(check: Callable[[], Awaitable[bool]], what: str, within: float = 15.0) -> None:
    """Poll `check` until it holds; fail naming `what` once `within` seconds have passed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"not within {within} s: {what}")
        await asyncio.sleep(0.02)
