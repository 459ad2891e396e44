"""The dispatcher: one path for every command, on a real database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pytest
from asyncpg.exceptions import DeadlockDetectedError
from google.protobuf import wrappers_pb2
from google.protobuf.message import Message
from plumbing_support import effects, metadata, scratch_uows
from sqlalchemy import insert, select
from sqlalchemy.exc import DBAPIError

from invariant.stock.v1 import stock_pb2 as pb
from invariant_core.coalesce import Call
from invariant_core.commands import CONFLICT_ATTEMPTS, PREPARE_ATTEMPTS, Dispatcher, Route, Stale
from invariant_core.db import UnitOfWork, UnitOfWorkFactory
from invariant_kernel.errors import DomainError, ErrorCode, ItemsNotReplicatedError


def translate(event: object) -> tuple[str, Message]:
    return "test.refused", wrappers_pb2.StringValue(value=str(event))


@pytest.fixture
async def uows(new_database) -> AsyncIterator[UnitOfWorkFactory]:  # type: ignore[no-untyped-def]
    async with scratch_uows(await new_database("commands"), metadata, translate) as made:
        yield made


@dataclass(frozen=True)
class Make:
    """Write an effect named `code`; what else happens is the test's."""

    code: str
    # Set by a preparation: what it read outside the transaction.
    prepared: int = 0


@dataclass
class Script:
    """What the handler and its helpers do, and how often each ran."""

    failures: list[Exception]
    runs: int = 0
    remedies: int = 0
    preparations: int = 0
    refusals: int = 0
    remedy_cures: bool = True


class Port:
    """The handlers' port: their session, nothing more."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.session = uow.session


def make_handler(script: Script) -> Any:
    async def handle(uow: UnitOfWork, repo: Port, command: Make) -> str:
        script.runs += 1
        await repo.session.execute(insert(effects).values(code=command.code))
        if script.failures:
            raise script.failures.pop(0)
        return f"made {command.code} prepared {command.prepared}"

    return handle


def dispatcher(uows: UnitOfWorkFactory, script: Script, **route: Any) -> Dispatcher[Port]:
    return Dispatcher(uows, Port, {Make: Route(make_handler(script), **route)})


def request(key: str, code: str) -> pb.CreateWarehouseRequest:
    """Any keyed request will do: the warehouse code stands for the effect."""
    return pb.CreateWarehouseRequest(idempotency_key=key, code=code, name=code)


def text(result: str) -> wrappers_pb2.StringValue:
    return wrappers_pb2.StringValue(value=result)


async def send(dispatch: Dispatcher[Port], key: str, code: str) -> str:
    answer = await dispatch(request(key, code), Make(code), wrappers_pb2.StringValue, text)
    return answer.value


async def written(uows: UnitOfWorkFactory) -> list[str]:
    async with uows.reader() as uow:
        return list(await uow.session.scalars(select(effects.c.code).order_by(effects.c.seq)))


def deadlock() -> DBAPIError:
    return DBAPIError("UPDATE effects …", {}, DeadlockDetectedError("deadlock detected"))


async def test_a_retried_command_is_answered_from_the_store_and_takes_effect_once(uows: UnitOfWorkFactory) -> None:
    script = Script([])
    dispatch = dispatcher(uows, script)

    first = await send(dispatch, "k1", "A")
    again = await send(dispatch, "k1", "A")

    assert (first, again, script.runs) == ("made A prepared 0", "made A prepared 0", 1)
    assert await written(uows) == ["A"]


async def test_a_deadlock_is_run_again_and_only_the_run_that_commits_takes_effect(uows: UnitOfWorkFactory) -> None:
    script = Script([deadlock() for _ in range(CONFLICT_ATTEMPTS - 1)])

    assert await send(dispatcher(uows, script), "k1", "A") == "made A prepared 0"
    assert script.runs == CONFLICT_ATTEMPTS
    assert await written(uows) == ["A"]


async def test_a_deadlock_that_keeps_coming_back_reaches_the_caller_with_nothing_written(
    uows: UnitOfWorkFactory,
) -> None:
    script = Script([deadlock() for _ in range(CONFLICT_ATTEMPTS)])

    with pytest.raises(DBAPIError):
        await send(dispatcher(uows, script), "k1", "A")
    assert script.runs == CONFLICT_ATTEMPTS
    assert await written(uows) == []


async def test_a_refusal_a_remedy_cures_is_cured_outside_the_transaction_and_run_once_more(
    uows: UnitOfWorkFactory,
) -> None:
    script = Script([ItemsNotReplicatedError([("BOLT", "item_sku")])])

    async def remedy(error: Exception) -> bool:
        script.remedies += 1
        # Outside the command's transaction: on SQLite, a write here would wait for ever
        # on the command's own write lock if it were still held.
        async with uows() as uow:
            await uow.session.execute(insert(effects).values(code="CURE"))
            await uow.commit()
        return isinstance(error, ItemsNotReplicatedError)

    assert await send(dispatcher(uows, script, remedy=remedy), "k1", "A") == "made A prepared 0"
    assert (script.runs, script.remedies) == (2, 1)
    assert await written(uows) == ["CURE", "A"]


async def test_a_remedy_is_tried_once_and_a_refusal_it_cannot_cure_reaches_the_caller(
    uows: UnitOfWorkFactory,
) -> None:
    missing = ItemsNotReplicatedError([("BOLT", "item_sku")])
    script = Script([missing, missing])

    async def remedy(error: Exception) -> bool:
        script.remedies += 1
        return True

    with pytest.raises(ItemsNotReplicatedError):
        await send(dispatcher(uows, script, remedy=remedy), "k1", "A")
    assert (script.runs, script.remedies) == (2, 1)
    assert await written(uows) == []


async def test_a_stale_preparation_is_prepared_again_and_the_last_one_is_what_commits(
    uows: UnitOfWorkFactory,
) -> None:
    script = Script([Stale() for _ in range(PREPARE_ATTEMPTS - 1)])

    async def prepare(command: Make) -> Make:
        script.preparations += 1
        return replace(command, prepared=script.preparations)

    answer = await send(dispatcher(uows, script, prepare=prepare), "k1", "A")

    assert answer == f"made A prepared {PREPARE_ATTEMPTS}"
    assert await written(uows) == ["A"]


async def test_a_prepared_command_done_before_is_answered_without_being_prepared_again(
    uows: UnitOfWorkFactory,
) -> None:
    script = Script([])

    async def prepare(command: Make) -> Make:
        script.preparations += 1
        if script.preparations > 1:
            raise DomainError(ErrorCode.INVALID_STATE, "what the first run did now refuses it", "code")
        return command

    dispatch = dispatcher(uows, script, prepare=prepare)
    assert await send(dispatch, "k1", "A") == await send(dispatch, "k1", "A")
    assert script.preparations == 1


async def test_a_refusal_the_route_reports_is_recorded_in_a_transaction_of_its_own(
    uows: UnitOfWorkFactory,
) -> None:
    refused = DomainError(ErrorCode.INSUFFICIENT_STOCK, "not enough", "quantity")
    script = Script([refused])

    def report(uow: UnitOfWork, error: Exception) -> bool:
        script.refusals += 1
        uow.record(f"attempt refused: {error}")
        return True

    with pytest.raises(DomainError):
        await send(dispatcher(uows, script, refused=report), "k1", "A")
    assert script.refusals == 1
    assert await written(uows) == []
    async with uows.reader() as uow:
        outbox = list(await uow.session.scalars(select(metadata.tables["outbox"].c.subject)))
    assert outbox == ["test.refused"]


async def test_an_unkeyed_command_that_lost_a_race_on_its_own_key_is_run_once_more(uows: UnitOfWorkFactory) -> None:
    script = Script([])
    async with uows() as uow:
        await uow.session.execute(insert(effects).values(code="A"))
        await uow.commit()

    async def handle(uow: UnitOfWork, repo: Port, command: Make) -> str:
        script.runs += 1
        found = await repo.session.scalar(select(effects.c.code).where(effects.c.code == command.code))
        if script.runs == 1 or found is None:
            # The first run did not see the row a racing redelivery wrote: the unique index refuses it.
            await repo.session.execute(insert(effects).values(code=command.code))
        return f"found {found}"

    dispatch = Dispatcher(uows, Port, {Make: Route(handle, keyed=False)})
    answer = await dispatch(pb.CreateWarehouseRequest(), Make("A"), wrappers_pb2.StringValue, text)

    assert (answer.value, script.runs) == ("found A", 2)


async def test_concurrent_commands_of_a_coalesced_route_share_a_transaction_and_fail_alone(
    uows: UnitOfWorkFactory,
) -> None:
    batches: list[int] = []

    async def together(uow: UnitOfWork, repo: Port, calls: Sequence[Call[Make]]) -> list[str | Exception]:
        batches.append(len(calls))
        outcomes: list[str | Exception] = []
        for call in calls:
            if call.argument.code.startswith("NO"):
                outcomes.append(DomainError(ErrorCode.INVALID_STATE, f"{call.argument.code} is refused", "code"))
                continue
            await repo.session.execute(insert(effects).values(code=call.argument.code))
            outcomes.append(f"made {call.argument.code}")
        return outcomes

    dispatch = Dispatcher(uows, Port, {Make: Route(together, together=True)})
    codes = ["A", "NO-B", "C", "D"]
    outcomes = await asyncio.gather(*(send(dispatch, f"k-{code}", code) for code in codes), return_exceptions=True)
    await dispatch.aclose()

    assert [o if isinstance(o, str) else type(o).__name__ for o in outcomes] == [
        "made A",
        "DomainError",
        "made C",
        "made D",
    ]
    assert sorted(await written(uows)) == ["A", "C", "D"]
    # Sent at once, they waited for the same batch; the refusal wrote nothing and failed nobody else.
    assert batches == [len(codes)]


async def test_a_prepared_command_without_a_request_key_is_prepared_and_run(uows: UnitOfWorkFactory) -> None:
    script = Script([])

    async def prepare(command: Make) -> Make:
        script.preparations += 1
        return replace(command, prepared=7)

    dispatch = dispatcher(uows, script, prepare=prepare, keyed=False)
    # A request with no idempotency_key field: it is idempotent by its own data.
    answer = await dispatch(wrappers_pb2.StringValue(value="A"), Make("A"), wrappers_pb2.StringValue, text)

    assert (answer.value, script.preparations) == ("made A prepared 7", 1)
