"""Database engines, the plumbing tables every service owns, and the unit of work.

One URL selects the backend: SQLite (embedded default) or PostgreSQL (asyncpg).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self

import asyncpg
from google.protobuf.message import Message
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    bindparam,
    event,
    func,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from invariant.events.v1 import envelope_pb2
from invariant_core import identity
from invariant_core.messages import timestamp_message
from invariant_core.types import UtcDateTime

READ_ONLY = "invariant_read_only"
# What a dead letter keeps of the error that put it there.
ERROR_LENGTH = 2000


def utcnow() -> datetime:
    return datetime.now(UTC)


def create_engine(url: str) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # No pre-ping: it costs a round trip on every checkout. After a server restart the
        # first statement on a dead connection fails, and SQLAlchemy then drops the pool.
        return create_async_engine(url, pool_size=10, max_overflow=20)
    if parsed.database:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to SQLAlchemy so that "begin" below is the only BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A writer takes the write lock up front: a deferred transaction that later
        # writes can fail with SQLITE_BUSY instead of waiting for the lock. Readers
        # stay deferred, so they never queue behind writers (WAL lets them read).
        reading = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")

    return engine


def plumbing_tables(metadata: MetaData) -> None:
    """Add the outbox, inbox and idempotency tables to a service's own metadata."""
    Table(
        "outbox",
        metadata,
        Column("seq", Integer, primary_key=True, autoincrement=True),
        Column("id", String(36), nullable=False, unique=True),
        Column("subject", String(200), nullable=False),
        Column("envelope", LargeBinary, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("published_at", DateTime(timezone=True)),
        Index("ix_outbox_unpublished", "published_at", "seq"),
    )
    Table(
        "inbox",
        metadata,
        Column("consumer", String(100), primary_key=True),
        Column("event_id", String(36), primary_key=True),
        Column("handled_at", DateTime(timezone=True), nullable=False),
    )
    Table(
        "dead_letters",
        metadata,
        Column("id", String(36), primary_key=True),
        # The durable consumer that could not apply the event, or "outbox" for one that
        # could not be published.
        Column("source", String(100), nullable=False),
        Column("event_id", String(36), nullable=False),
        Column("subject", String(200), nullable=False),
        Column("envelope", LargeBinary, nullable=False),
        Column("error", String(ERROR_LENGTH), nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        # REPLAYED or DISCARDED once an operator has dealt with it, by whom, when and why.
        Column("resolution", String(20)),
        Column("resolved_by", String(100)),
        Column("resolved_at", UtcDateTime()),
        Column("reason", String(ERROR_LENGTH)),
        Index("ix_dead_letters_open", "resolution", "created_at"),
    )
    Table(
        "idempotency",
        metadata,
        Column("key", String(200), primary_key=True),
        Column("command", String(100), nullable=False),
        Column("request_hash", String(64), nullable=False),
        Column("response", LargeBinary, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
    )


class Aggregate(Protocol):
    events: list[Any]


class Recorder(Protocol):
    """What a handler needs of its unit of work: a place for the events its change causes,
    written to the outbox with the change. Handlers see only this, so that their unit tests
    can hand them a fake."""

    def track(self, *aggregates: Aggregate) -> None: ...

    def record(self, *events: object) -> None: ...


Translate = Callable[[object], tuple[str, Message]]


class UnitOfWork:
    """One transaction: commits explicitly, rolls back otherwise.

    On commit, the events recorded by the aggregates it tracked (and any added with
    `record`) are written to the outbox in the same transaction; after the commit the
    relay is woken so the events leave within milliseconds.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        metadata: MetaData,
        producer: str,
        translate: Translate,
        wake: asyncio.Event | None,
        read_only: bool = False,
        writing: asyncio.Lock | None = None,
        snapshot: bool = False,
    ) -> None:
        self._sessions = sessions
        self._read_only = read_only
        self._snapshot = snapshot
        self._writing = None if read_only else writing
        self.metadata = metadata
        self._outbox = metadata.tables["outbox"]
        self._producer = producer
        self._translate = translate
        self._wake = wake
        self._tracked: list[Aggregate] = []
        self._recorded: list[tuple[object, identity.Identity]] = []
        self.session: AsyncSession

    async def __aenter__(self) -> Self:
        if self._writing is not None:
            await self._writing.acquire()
        self.session = self._sessions()
        try:
            await self.session.begin()
            if self._read_only:
                await self.session.connection(execution_options=self._reading())
        except BaseException:
            await self._end()
            raise
        return self

    def _reading(self) -> dict[str, object]:
        """How a reader's connection reads. On PostgreSQL each statement of a READ COMMITTED
        transaction sees its own snapshot anyway, so a reader runs without one (no BEGIN and
        no ROLLBACK to wait for) unless it asks for one snapshot across its reads. SQLite's
        deferred read transaction (WAL) is one snapshot from its first read either way."""
        options: dict[str, object] = {READ_ONLY: True}
        if self.session.get_bind().dialect.name == "postgresql":
            options["isolation_level"] = "REPEATABLE READ" if self._snapshot else "AUTOCOMMIT"
        return options

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._end()

    async def _end(self) -> None:
        """Roll back what was not committed and give the connection back, whatever happens
        meanwhile: a task cancelled during the rollback (a service stopping) must not keep its
        connection, whose open transaction would hold SQLite's lock on the file from every
        other process until this one exits."""
        try:
            try:
                await self.session.rollback()
            finally:
                await self.session.close()
        finally:
            if self._writing is not None:
                self._writing.release()

    def track(self, *aggregates: Aggregate) -> None:
        self._tracked.extend(aggregates)

    def record(self, *events: object) -> None:
        """Domain events that belong to no tracked aggregate, each sent as who is acting now.

        A transaction that carries several callers' commands (coalesced reservations)
        records each one's events while that caller's identity is current.
        """
        who = identity.current.get()
        self._recorded.extend((event, who) for event in events)

    async def commit(self) -> None:
        outgoing = [(self._translate(event), who) for event, who in self._recorded]
        who = identity.current.get()
        for aggregate in self._tracked:
            outgoing.extend((self._translate(event), who) for event in aggregate.events)
            aggregate.events.clear()
        rows = list(self._outbox_rows(outgoing))
        await insert_rows(self.session, self._outbox, rows)
        await self.session.commit()
        self._recorded.clear()
        if rows and self._wake is not None:
            self._wake.set()

    def _outbox_rows(
        self, outgoing: Iterable[tuple[tuple[str, Message], identity.Identity]]
    ) -> Iterable[dict[str, object]]:
        now = utcnow()
        occurred_at = timestamp_message(now)
        for (subject, payload), who in outgoing:
            envelope = envelope_pb2.Envelope(
                id=str(uuid.uuid4()),
                type=subject,
                producer=self._producer,
                actor=who.actor,
                correlation_id=who.correlation_id,
                occurred_at=occurred_at,
            )
            envelope.payload.Pack(payload)
            yield {
                "id": envelope.id,
                "subject": subject,
                "envelope": envelope.SerializeToString(),
                "created_at": now,
            }


# From this many rows on, PostgreSQL takes an insert by COPY.
COPY_FROM = 100
# Rows per INSERT elsewhere.
INSERT_SLICE = 5000


class _OneOf(ColumnElement[bool]):
    inherit_cache = True
    type = Boolean()
    # SQLAlchemy's statement cache keys an element by these attributes.
    _traverse_internals = [  # noqa: RUF012 - SQLAlchemy declares it an instance attribute
        ("column", InternalTraversal.dp_clauseelement),
        ("name", InternalTraversal.dp_string),
    ]

    def __init__(self, column: ColumnElement[Any], name: str) -> None:
        self.column = column
        self.name = name


def one_of(column: ColumnElement[Any], name: str) -> ColumnElement[bool]:
    """`column` is one of the values in the list bound to `name` when the statement runs.

    On PostgreSQL `= ANY(:name)` with the list as one array: the statement has one text
    for any number of values, compiled and prepared once, where an expanding IN is
    rendered again on every run and prepared again for every length. SQLite has no
    arrays: an IN there.
    """
    return _OneOf(column, name)


@compiles(_OneOf)
def _compile_in(element: _OneOf, compiler: SQLCompiler, **kw: Any) -> str:
    return str(compiler.process(element.column.in_(bindparam(element.name, expanding=True)), **kw))


@compiles(_OneOf, "postgresql")
def _compile_any(element: _OneOf, compiler: SQLCompiler, **kw: Any) -> str:
    values = bindparam(element.name, type_=postgresql.ARRAY(element.column.type))
    return f"{compiler.process(element.column, **kw)} = ANY({compiler.process(values, **kw)})"


def dialect_insert(session: AsyncSession, table: Table) -> Any:
    """An INSERT that can say ON CONFLICT, in the dialect of the session's database."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


async def insert_rows(session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Rows with the same columns, in the session's transaction.

    On PostgreSQL the rows go straight to the driver: many by COPY, in a fraction of the
    time an INSERT per row takes (a count's 100,000 lines, a posting's thousands of
    events), and a few as one pipelined executemany of a statement compiled once, which
    costs a reservation batch far less than binding each row through SQLAlchemy. Values
    pass the columns' own bind processing first, so they are stored as an INSERT would
    store them.
    """
    if not rows:
        return
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql":
        for start in range(0, len(rows), INSERT_SLICE):
            await session.execute(table.insert(), list(rows[start : start + INSERT_SLICE]))
        return
    statement, columns = _insert_statement(table, tuple(rows[0]), dialect)
    # Column by column: one processor mapped over a whole column costs far less than a row at a time.
    values = []
    for name in columns:
        process = table.c[name].type.bind_processor(dialect)
        column = [row[name] for row in rows]
        values.append(column if process is None else list(map(process, column)))
    records = list(zip(*values, strict=True))
    raw = await (await session.connection()).get_raw_connection()
    driver: Any = raw.driver_connection  # asyncpg's own connection
    if not driver.is_in_transaction():
        # The driver opens its transaction with the first statement: the rows must not go
        # in outside it, where nothing would roll them back.
        await session.execute(select(func.now()))
    try:
        if len(records) >= COPY_FROM:
            await driver.copy_records_to_table(table.name, records=records, columns=columns)
        else:
            await driver.executemany(statement, records)
    except asyncpg.IntegrityConstraintViolationError as conflict:
        # Reported as SQLAlchemy reports it, so that callers catch one kind of conflict
        # (a retry that lost the race for its idempotency key, say).
        raise IntegrityError(statement, None, conflict) from conflict


@cache
def _insert_statement(table: Table, columns: tuple[str, ...], dialect: Dialect) -> tuple[str, tuple[str, ...]]:
    """The INSERT of these columns, and the columns in the order of its parameters."""
    # inline(): no RETURNING of the new keys, which a single-row INSERT would ask for.
    compiled = table.insert().inline().compile(dialect=dialect, column_keys=list(columns))
    return str(compiled), tuple(compiled.positiontup or ())


class UnitOfWorkFactory:
    """Builds units of work for one service; what `bootstrap()` hands to the handlers."""

    def __init__(
        self,
        engine: AsyncEngine,
        metadata: MetaData,
        producer: str,
        translate: Translate,
    ) -> None:
        self.engine = engine
        self.metadata = metadata
        self.producer = producer
        self.translate = translate
        self.sessions = async_sessionmaker(engine, expire_on_commit=False, autobegin=False)
        self.wake = asyncio.Event()
        # SQLite takes one writer at a time: a service's writers queue here, where a waiter
        # that is cancelled (the service stopping) simply leaves the queue, rather than in
        # SQLite's busy wait, where its connection could win the lock after its task is gone
        # and hold it from every other process on the file.
        self._writing = asyncio.Lock() if engine.dialect.name == "sqlite" else None

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self.sessions, self.metadata, self.producer, self.translate, self.wake, writing=self._writing)

    def reader(self, snapshot: bool = False) -> UnitOfWork:
        """A unit of work for queries: it never commits and never takes the write lock.
        With `snapshot`, every read sees the database as of the first."""
        return UnitOfWork(
            self.sessions, self.metadata, self.producer, self.translate, None, read_only=True, snapshot=snapshot
        )
