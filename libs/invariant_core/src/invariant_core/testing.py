"""Test support shared by every service: scratch databases, event streams of a test's own,
waiting for what happens asynchronously, the domain-import rule, and what handlers' unit
tests run them in instead of a database transaction.

Scratch databases: one fresh, empty database per call, dropped afterwards.

A PostgreSQL server URL (`server`, else TEST_DATABASE_URL) selects the server; without
one each database is a SQLite file under `directory`.
"""

from __future__ import annotations

import asyncio
import copy
import os
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import asyncpg
import nats
from nats.js.errors import NotFoundError
from sqlalchemy.engine import make_url

from invariant_core import identity
from invariant_core.bus import Stream
from invariant_core.db import Aggregate
from invariant_core.paging import PageQuery
from invariant_core.rpc import check_health
from invariant_kernel.errors import DomainError

DatabaseFactory = Callable[[str], Awaitable[str]]
Repository = TypeVar("Repository")
C = TypeVar("C")
T = TypeVar("T")
Row = TypeVar("Row")


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


async def service_process(
    module: str, env: Mapping[str, str], health: str, log: Path, within: float = 30.0
) -> asyncio.subprocess.Process:
    """A service in a process of its own (`python -m module`), with `env` over this process's
    environment and its output appended to `log`, once it serves `health` on GRPC_PORT: for
    a test that kills it. Failing to serve in time, it fails with what the service logged."""
    with log.open("ab") as out:  # the child keeps its own copy of the descriptor
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", module, env={**os.environ, **env}, stdout=out, stderr=out
        )

    async def serving() -> bool:
        assert process.returncode is None, f"{module} exited during start-up"
        return await check_health(f"127.0.0.1:{env['GRPC_PORT']}", health) == "SERVING"

    try:
        await eventually(serving, f"the {module} process serves", within=within)
    except AssertionError as late:
        if process.returncode is None:
            process.kill()
            await process.wait()
        logged = await asyncio.to_thread(log.read_text)
        raise AssertionError(f"{late}; what it logged:\n{logged}") from None
    return process


class ConstraintViolation(Exception):  # noqa: N818 - named as the database names it
    """A write that a table's key or CHECK constraint would refuse, raised by an in-memory
    repository where the database would raise: a handler that leans on the constraint
    fails its unit test the way it would fail in production."""


class FakeRecorder:
    """What a handler sees of its unit of work (`invariant_core.db.Recorder`), in memory:
    the events it records, each as whoever is acting when it is recorded, and those of the
    aggregates it tracks, sent as whoever is acting at the commit, as `UnitOfWork` does."""

    def __init__(self) -> None:
        self._recorded: list[tuple[object, identity.Identity]] = []
        self._tracked: list[Aggregate] = []

    def track(self, *aggregates: Aggregate) -> None:
        self._tracked.extend(aggregates)

    def record(self, *events: object) -> None:
        who = identity.current.get()
        self._recorded.extend((event, who) for event in events)

    @property
    def events(self) -> list[object]:
        """What a commit would send now, in the order it would write it to the outbox."""
        return [event for event, _ in self._outgoing()]

    def commit(self) -> list[tuple[object, identity.Identity]]:
        """The events with who each is sent as; the aggregates' lists are emptied, as a commit does."""
        sent = self._outgoing()
        for aggregate in self._tracked:
            aggregate.events.clear()
        self._recorded.clear()
        return sent

    def _outgoing(self) -> list[tuple[object, identity.Identity]]:
        who = identity.current.get()
        return [*self._recorded, *((event, who) for aggregate in self._tracked for event in aggregate.events)]


class FakeService(Generic[Repository]):
    """A service's handlers run as its dispatcher runs them (invariant_core.commands), over an
    in-memory repository: each command in a transaction of its own, committed when the
    handler returns. A handler that raises wrote nothing: the repository is put back as it
    was and its events are dropped, as a rolled-back transaction leaves the database and
    the outbox."""

    def __init__(self, repo: Repository) -> None:
        self.repo = repo
        # Each committed event with who it was sent as, in order.
        self.outbox: list[tuple[object, identity.Identity]] = []

    async def run(self, handler: Callable[[FakeRecorder, Repository, C], Awaitable[T]], command: C) -> T:
        """`handler(uow, repo, command)`, as a route's `handle` is called."""
        before = copy.deepcopy(self.repo)
        uow = FakeRecorder()
        try:
            result = await handler(uow, self.repo, command)
        except BaseException:
            self.repo = before
            raise
        self.outbox.extend(uow.commit())
        return result

    def relay(self) -> list[object]:
        """The events committed since the last relay, in order; the outbox is left empty."""
        sent = [event for event, _ in self.outbox]
        self.outbox.clear()
        return sent


async def refusal(attempt: Awaitable[object]) -> DomainError:
    """The refusal that `attempt` ends in; it fails the test when there is none."""
    try:
        await attempt
    except DomainError as refused:
        return refused
    raise AssertionError("not refused")


def paged(rows: Iterable[Row], key: Callable[[Row], tuple[Any, ...]], page: PageQuery) -> list[Row]:
    """What a repository's keyset read (`paging.keyset`) finds among `rows`, for fakes of it."""
    ordered = sorted(rows, key=key, reverse=page.reverse)
    if page.position is not None:
        at = page.position
        ordered = [row for row in ordered if (key(row) < at if page.reverse else key(row) > at)]
    return ordered[: page.limit]
