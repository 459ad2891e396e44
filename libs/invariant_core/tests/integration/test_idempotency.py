"""Idempotent commands, alone and together in one transaction, on a real database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import pytest
from google.protobuf import wrappers_pb2
from google.protobuf.message import Message
from plumbing_support import effects, metadata, scratch_uows
from sqlalchemy import insert, select

from invariant.stock.v1 import stock_pb2 as pb
from invariant_core.db import UnitOfWork, UnitOfWorkFactory
from invariant_core.idempotency import run_idempotent, run_idempotent_together
from invariant_kernel.errors import DomainError, ErrorCode


def no_events(event: object) -> tuple[str, Message]:
    raise AssertionError(f"no events expected, got {event!r}")


@pytest.fixture
async def uows(new_database) -> AsyncIterator[UnitOfWorkFactory]:  # type: ignore[no-untyped-def]
    async with scratch_uows(await new_database("idempotency"), metadata, no_events) as made:
        yield made


def request(key: str, code: str) -> pb.CreateWarehouseRequest:
    """Any keyed request will do: the warehouse code stands for the effect."""
    return pb.CreateWarehouseRequest(idempotency_key=key, code=code, name=code)


async def write(uow: UnitOfWork, requests: Sequence[Message]) -> list[wrappers_pb2.StringValue | Exception]:
    """Writes one effect per request; refuses codes starting with NO, writing nothing for them."""
    outcomes: list[wrappers_pb2.StringValue | Exception] = []
    for sent in requests:
        assert isinstance(sent, pb.CreateWarehouseRequest)
        if sent.code.startswith("NO"):
            outcomes.append(DomainError(ErrorCode.INVALID_STATE, f"{sent.code} is refused", "code"))
            continue
        await uow.session.execute(insert(effects).values(code=sent.code))
        outcomes.append(wrappers_pb2.StringValue(value=f"made {sent.code}"))
    return outcomes


async def written(uows: UnitOfWorkFactory) -> list[str]:
    async with uows.reader() as uow:
        return list(await uow.session.scalars(select(effects.c.code).order_by(effects.c.seq)))


async def together(uows: UnitOfWorkFactory, *requests: Message) -> list[object]:
    outcomes = await run_idempotent_together(uows, requests, wrappers_pb2.StringValue, write)
    return [
        o.value if isinstance(o, wrappers_pb2.StringValue) else (type(o).__name__, getattr(o, "code", ""))
        for o in outcomes
    ]


async def test_requests_run_together_each_get_their_own_outcome_and_refused_ones_write_nothing(
    uows: UnitOfWorkFactory,
) -> None:
    assert await together(uows, request("k1", "A"), request("k2", "NOPE"), request("k3", "B")) == [
        "made A",
        ("DomainError", ErrorCode.INVALID_STATE),
        "made B",
    ]
    assert await written(uows) == ["A", "B"]


async def test_a_key_seen_before_or_twice_in_one_batch_is_run_once_and_answered_each_time(
    uows: UnitOfWorkFactory,
) -> None:
    assert await together(uows, request("k1", "A")) == ["made A"]
    assert await together(uows, request("k1", "A"), request("k2", "B"), request("k2", "B")) == [
        "made A",
        "made B",
        "made B",
    ]
    assert await written(uows) == ["A", "B"]


async def test_a_key_reused_for_another_request_is_refused_naming_the_key(uows: UnitOfWorkFactory) -> None:
    assert await together(uows, request("k1", "A"), request("k1", "OTHER")) == [
        "made A",
        ("DomainError", ErrorCode.IDEMPOTENCY_KEY_REUSED),
    ]
    assert await together(uows, request("k1", "ELSE"), request("", "C")) == [
        ("DomainError", ErrorCode.IDEMPOTENCY_KEY_REUSED),
        ("DomainError", ErrorCode.REQUIRED),
    ]
    assert await written(uows) == ["A"]


async def test_when_the_shared_transaction_cannot_commit_each_request_is_settled_alone(
    uows: UnitOfWorkFactory,
) -> None:
    # Written outside the batch (as by another replica): the batch's insert of C breaks
    # the shared transaction; alone, A and B still commit and C is refused by itself.
    async with uows() as uow:
        await uow.session.execute(insert(effects).values(code="C"))
        await uow.commit()
    outcomes = await together(uows, request("k1", "A"), request("k2", "C"), request("k3", "B"))
    assert outcomes[0] == "made A" and outcomes[2] == "made B"
    assert outcomes[1][0] == "DomainError"  # type: ignore[index]
    assert await written(uows) == ["C", "A", "B"]
    # The single path agrees with the batch: a retry of A answers from the stored response.
    retried = await run_idempotent(uows, request("k1", "A"), wrappers_pb2.StringValue, lambda uow: _never())
    assert retried.value == "made A"


async def _never() -> wrappers_pb2.StringValue:
    raise AssertionError("a retried request must not run again")


async def test_a_retry_racing_the_first_attempt_gets_the_first_attempts_answer(uows: UnitOfWorkFactory) -> None:
    """Both find no stored answer and run; the one that stores its answer second loses on
    the key and answers what the first stored (on SQLite the second waits for the first)."""
    runs = 0

    async def slow(uow: UnitOfWork) -> wrappers_pb2.StringValue:
        nonlocal runs
        runs += 1
        answer = wrappers_pb2.StringValue(value=f"run {runs}")
        await asyncio.sleep(0.2)  # long enough for the other attempt to start meanwhile
        return answer

    answers = await asyncio.gather(
        *(run_idempotent(uows, request("k1", "A"), wrappers_pb2.StringValue, slow) for _ in range(2))
    )
    assert answers[0] == answers[1]
    assert answers[0].value in ("run 1", "run 2")


async def test_a_retry_refused_by_the_first_attempts_effect_gets_the_first_attempts_answer(
    uows: UnitOfWorkFactory,
) -> None:
    """The retry's recall finds nothing; the first attempt then commits its effect and its
    answer together; the retry, refused by that effect as a duplicate, answers what the
    first stored (on SQLite the retry waits for the first and finds its answer at once)."""
    first_committed = asyncio.Event()
    runs = 0

    async def create(uow: UnitOfWork) -> wrappers_pb2.StringValue:
        nonlocal runs
        runs += 1
        if runs == 2:
            await first_committed.wait()
        if "A" in set(await uow.session.scalars(select(effects.c.code))):
            raise DomainError(ErrorCode.ALREADY_EXISTS, "A already exists", "code")
        await uow.session.execute(insert(effects).values(code="A"))
        return wrappers_pb2.StringValue(value="made A")

    async def attempt() -> wrappers_pb2.StringValue:
        answer = await run_idempotent(uows, request("k1", "A"), wrappers_pb2.StringValue, create)
        first_committed.set()
        return answer

    answers = await asyncio.wait_for(asyncio.gather(attempt(), attempt()), timeout=10)
    assert [a.value for a in answers] == ["made A", "made A"]
    assert await written(uows) == ["A"]
