"""What the core's integration tests share: units of work on a scratch database, and a
table of effects that commands write."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from google.protobuf.message import Message
from sqlalchemy import Column, Integer, MetaData, String, Table

from invariant_core.db import UnitOfWorkFactory, create_engine, plumbing_tables

metadata = MetaData()
plumbing_tables(metadata)
effects = Table(
    "effects",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("code", String(40), nullable=False, unique=True),
)


@asynccontextmanager
async def scratch_uows(
    url: str, tables: MetaData, translate: Callable[[object], tuple[str, Message]], producer: str = "test"
) -> AsyncIterator[UnitOfWorkFactory]:
    """Units of work on the database at `url`, its tables made from `tables`."""
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(tables.create_all)
    try:
        yield UnitOfWorkFactory(engine, tables, producer, translate)
    finally:
        await engine.dispose()
