"""The unit of work on a real database: whatever ends it, its connection goes back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from google.protobuf.message import Message
from plumbing_support import effects, metadata, scratch_uows
from sqlalchemy import insert, select

from invariant_core.db import UnitOfWorkFactory, one_of


def no_events(event: object) -> tuple[str, Message]:
    raise AssertionError(f"no events expected, got {event!r}")


@pytest.fixture
async def uows(new_database) -> AsyncIterator[UnitOfWorkFactory]:  # type: ignore[no-untyped-def]
    async with scratch_uows(await new_database("unit_of_work"), metadata, no_events) as made:
        yield made


async def test_a_unit_of_work_cancelled_while_it_rolls_back_gives_its_connection_back(
    uows: UnitOfWorkFactory,
) -> None:
    async def cancelled() -> None:
        raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        async with uows() as uow:
            await uow.session.execute(insert(effects).values(code="LEFT"))
            # As when a stopping service cancels a task in the middle of its rollback.
            uow.session.rollback = cancelled  # type: ignore[method-assign]

    assert uows.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    # Nothing of it stands, and the next writer is not kept waiting by its transaction.
    async with asyncio.timeout(5):
        async with uows() as uow:
            await uow.session.execute(insert(effects).values(code="NEXT"))
            await uow.commit()
    async with uows.reader() as uow:
        assert list(await uow.session.scalars(select(effects.c.code))) == ["NEXT"]


async def test_one_of_finds_the_rows_of_any_number_of_values_with_one_statement(
    uows: UnitOfWorkFactory,
) -> None:
    async with uows() as uow:
        await uow.session.execute(insert(effects), [{"code": f"C{n}"} for n in range(10)])
        await uow.commit()
    among = select(effects.c.code).where(one_of(effects.c.code, "codes")).order_by(effects.c.code)
    async with uows.reader() as uow:
        found = [
            list(await uow.session.scalars(among, {"codes": codes}))
            for codes in (["C1", "C2"], ["C3"], ["C9", "C4", "NONE", "C5"], [], ["C1", "C2"])
        ]
    assert found == [["C1", "C2"], ["C3"], ["C4", "C5", "C9"], [], ["C1", "C2"]]
