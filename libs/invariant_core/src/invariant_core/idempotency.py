"""Idempotent commands: the first result is stored with its key and returned to a retry."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from google.protobuf.message import Message
from sqlalchemy import Select, Table, select
from sqlalchemy.exc import IntegrityError

from invariant_core.db import UnitOfWork, UnitOfWorkFactory, insert_rows, one_of, utcnow
from invariant_kernel.errors import DomainError, ErrorCode

R = TypeVar("R", bound=Message)

KEY_FIELD = "idempotency_key"
MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class Keyed:
    """A request with what identifies it for idempotency."""

    request: Message
    key: str
    command: str
    digest: str


def request_hash(request: Message) -> str:
    copy = type(request)()
    copy.CopyFrom(request)
    copy.ClearField(KEY_FIELD)
    return hashlib.sha256(copy.SerializeToString(deterministic=True)).hexdigest()


def keyed(request: Message) -> Keyed:
    key: str = getattr(request, KEY_FIELD)
    if not key.strip():
        raise DomainError(ErrorCode.REQUIRED, "idempotency_key is required", KEY_FIELD)
    if len(key) > MAX_KEY_LENGTH:
        raise DomainError(ErrorCode.OUT_OF_RANGE, f"idempotency_key is at most {MAX_KEY_LENGTH} characters", KEY_FIELD)
    return Keyed(request, key, request.DESCRIPTOR.full_name, request_hash(request))


async def run_idempotent(
    uows: UnitOfWorkFactory,
    request: Message,
    response_type: type[R],
    body: Callable[[UnitOfWork], Awaitable[R]],
) -> R:
    """Run `body` in one transaction unless the request's key was seen before.

    The stored response commits with the command's effect, so a retry after a lost
    reply finds it; a retry racing the first attempt loses on the primary key and
    then reads the winner's response.
    """
    one = keyed(request)
    for _ in range(2):
        try:
            async with uows() as uow:
                (prior,) = await recall(uow, [one], response_type)
                if prior is not None:
                    return _answer(prior)
                response = await body(uow)
                await remember(uow, [(one, response)])
                await uow.commit()
                return response
        except IntegrityError:
            # Lost a race: to a retry of the same command (its row is there now), or
            # on a unique rule the body checks, which the next attempt reports.
            continue
        except DomainError:
            # A retry racing the first attempt may find the first one's effect (an item
            # that "already exists") committed after its own recall found nothing: the
            # effect and the stored reply commit together, so the reply is there now.
            if (done := await _stored(uows, one, response_type)) is None:
                raise
            return done
    if (done := await _stored(uows, one, response_type)) is None:
        raise DomainError(ErrorCode.ALREADY_EXISTS, "the command conflicts with data written concurrently", "")
    return done


async def _stored(uows: UnitOfWorkFactory, one: Keyed, response_type: type[R]) -> R | None:
    async with uows.reader() as uow:
        return await answered(uow, one.request, response_type)


async def answered(uow: UnitOfWork, request: Message, response_type: type[R]) -> R | None:
    """The stored response to this request, if it was run before: for a command that reads
    before its transaction and would be refused once its effect is there."""
    (prior,) = await recall(uow, [keyed(request)], response_type)
    return None if prior is None else _answer(prior)


async def run_idempotent_together(
    uows: UnitOfWorkFactory,
    requests: Sequence[Message],
    response_type: type[R],
    body: Callable[[UnitOfWork, Sequence[Message]], Awaitable[Sequence[R | Exception]]],
) -> list[R | Exception]:
    """Several requests of one kind in one transaction: one outcome each, in order.

    `body` gets the requests not seen before and returns, for each, its response or the
    exception that refuses it; it must write nothing for a refused one. Responses are
    stored with their keys, as `run_idempotent` does. A key sent twice in the batch is
    run once and answered twice. When the shared transaction cannot commit (a racing
    replica stored one of the keys, or anything unexpected), each request is settled on
    its own, so that one request never fails another.
    """
    identified: list[Keyed | DomainError] = []
    first: dict[str, Keyed] = {}
    for request in requests:
        try:
            one = keyed(request)
        except DomainError as error:
            identified.append(error)
            continue
        identified.append(one)
        first.setdefault(one.key, one)
    unique = list(first.values())
    try:
        async with uows() as uow:
            recalled = await recall(uow, unique, response_type)
            fresh = [one for one, prior in zip(unique, recalled, strict=True) if prior is None]
            results = await body(uow, [one.request for one in fresh])
            await remember(uow, [(one, r) for one, r in zip(fresh, results, strict=True) if isinstance(r, Message)])
            await uow.commit()
    except Exception:  # noqa: BLE001 - settled one by one below, where each fails alone
        return [await _alone(uows, request, response_type, body) for request in requests]
    settled: dict[str, R | Exception] = dict(zip((one.key for one in fresh), results, strict=True))
    settled |= {one.key: prior for one, prior in zip(unique, recalled, strict=True) if prior is not None}
    return [
        one if isinstance(one, DomainError) else settled[one.key] if first[one.key].digest == one.digest else _reused()
        for one in identified
    ]


async def _alone(
    uows: UnitOfWorkFactory,
    request: Message,
    response_type: type[R],
    body: Callable[[UnitOfWork, Sequence[Message]], Awaitable[Sequence[R | Exception]]],
) -> R | Exception:
    async def one(uow: UnitOfWork) -> R:
        (result,) = await body(uow, [request])
        if isinstance(result, Exception):
            raise result
        return result

    try:
        return await run_idempotent(uows, request, response_type, one)
    except Exception as error:  # noqa: BLE001 - the outcome of this request alone
        return error


async def recall(uow: UnitOfWork, requests: Sequence[Keyed], response_type: type[R]) -> list[R | DomainError | None]:
    """Each request's stored response, the refusal of a key reused for another request, or None."""
    rows = await uow.session.execute(
        _recalling(uow.metadata.tables["idempotency"]), {"keys": [r.key for r in requests]}
    )
    stored = {row.key: row for row in rows}
    found: list[R | DomainError | None] = []
    for one in requests:
        row = stored.get(one.key)
        if row is None:
            found.append(None)
        elif row.command != one.command or row.request_hash != one.digest:
            found.append(_reused())
        else:
            found.append(response_type.FromString(row.response))
    return found


@cache
def _recalling(table: Table) -> Select[Any]:
    """Built once per service: every command runs it."""
    return select(table.c.key, table.c.command, table.c.request_hash, table.c.response).where(
        one_of(table.c.key, "keys")
    )


async def remember(uow: UnitOfWork, responses: Sequence[tuple[Keyed, Message]]) -> None:
    if not responses:
        return
    now = utcnow()
    await insert_rows(
        uow.session,
        uow.metadata.tables["idempotency"],
        [
            {
                "key": one.key,
                "command": one.command,
                "request_hash": one.digest,
                "response": response.SerializeToString(),
                "created_at": now,
            }
            for one, response in responses
        ],
    )


def _answer(prior: R | DomainError) -> R:
    if isinstance(prior, DomainError):
        raise prior
    return prior


def _reused() -> DomainError:
    return DomainError(
        ErrorCode.IDEMPOTENCY_KEY_REUSED, "idempotency_key was already used for a different request", KEY_FIELD
    )
