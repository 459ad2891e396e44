"""Idempotent commands: the first result is stored with its key and returned to a retry."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import TypeVar

from google.protobuf.message import Message
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from invariant_core.db import UnitOfWork, UnitOfWorkFactory, utcnow
from invariant_core.errors import DomainError, ErrorCode

R = TypeVar("R", bound=Message)

KEY_FIELD = "idempotency_key"


def request_hash(request: Message) -> str:
    copy = type(request)()
    copy.CopyFrom(request)
    copy.ClearField(KEY_FIELD)
    return hashlib.sha256(copy.SerializeToString(deterministic=True)).hexdigest()


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
    key: str = getattr(request, KEY_FIELD)
    if not key.strip():
        raise DomainError(ErrorCode.REQUIRED, "idempotency_key is required", KEY_FIELD)
    if len(key) > 200:
        raise DomainError(ErrorCode.OUT_OF_RANGE, "idempotency_key is at most 200 characters", KEY_FIELD)
    command = request.DESCRIPTOR.full_name
    digest = request_hash(request)
    for _ in range(2):
        try:
            async with uows() as uow:
                prior = await _recall(uow, key, command, digest, response_type)
                if prior is not None:
                    return prior
                response = await body(uow)
                table = uow.metadata.tables["idempotency"]
                await uow.session.execute(
                    insert(table).values(
                        key=key,
                        command=command,
                        request_hash=digest,
                        response=response.SerializeToString(),
                        created_at=utcnow(),
                    )
                )
                await uow.commit()
                return response
        except IntegrityError:
            # Lost a race: to a retry of the same command (its row is there now), or
            # on a unique rule the body checks, which the next attempt reports.
            continue
    async with uows() as uow:
        prior = await _recall(uow, key, command, digest, response_type)
    if prior is None:
        raise DomainError(ErrorCode.ALREADY_EXISTS, "the command conflicts with data written concurrently", "")
    return prior


async def _recall(uow: UnitOfWork, key: str, command: str, digest: str, response_type: type[R]) -> R | None:
    table = uow.metadata.tables["idempotency"]
    row = (
        await uow.session.execute(
            select(table.c.command, table.c.request_hash, table.c.response).where(table.c.key == key)
        )
    ).one_or_none()
    if row is None:
        return None
    if row.command != command or row.request_hash != digest:
        raise DomainError(
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            "idempotency_key was already used for a different request",
            KEY_FIELD,
        )
    return response_type.FromString(row.response)
