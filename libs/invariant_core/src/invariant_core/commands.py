"""One path for every command a service takes.

A service lists its commands in one table: the command's type → a `Route` naming the
handler, a service-layer function `handle(uow, repo, command)` that decides and writes in
one transaction, and what the path does around it. A servicer translates a request into
a command, hands both to the `Dispatcher`, and translates the result back; the dispatcher
owns everything between:

- the unit of work: one transaction per command (per batch of coalesced commands), which
  commits the handler's effect, its recorded events and its stored reply together;
- idempotency: the request's `idempotency_key` answers a retry with the stored reply;
- conflicts: a transaction the database gave up (deadlock, serialization failure) wrote
  nothing, so it is run again, a few times, apart at random;
- coalescing, where a route asks for it: concurrent commands of one kind share a
  transaction (`invariant_core.coalesce`), each still refused or answered on its own;
- what must happen outside the transaction: `prepare` (remote reads a command needs, such
  as another service's book) runs before it, and before a coalesced command joins its
  batch; `remedy` answers a refusal that work outside the transaction can cure (an item
  the replica lacks, read through from the catalog), after which the command runs once
  more. No remote call runs inside a transaction.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from google.protobuf.message import Message
from sqlalchemy.exc import DBAPIError, IntegrityError

from invariant_core.coalesce import Call, Coalescer
from invariant_core.db import UnitOfWork, UnitOfWorkFactory
from invariant_core.idempotency import answered, run_idempotent, run_idempotent_together

log = logging.getLogger(__name__)

P = TypeVar("P")
R = TypeVar("R", bound=Message)

# SQLSTATEs of a transaction the database gave up for a conflict: the same command succeeds later.
_CONFLICTS = frozenset({"40001", "40P01"})
# Runs of a command the database gave up for a conflict before its caller is told to retry.
CONFLICT_ATTEMPTS = 3
# Runs of a prepared command whose preparation went stale before it committed.
PREPARE_ATTEMPTS = 3


def is_conflict(error: BaseException) -> bool:
    return isinstance(error, DBAPIError) and getattr(error.orig, "sqlstate", None) in _CONFLICTS


class Stale(Exception):  # noqa: N818 - a condition, not a failure: the command is prepared again
    """Raised by a handler when what `prepare` read outside the transaction changed before
    the transaction could use it: the command is prepared and run again."""


@dataclass(frozen=True)
class Route(Generic[P]):
    """How one kind of command runs.

    `handle(uow, repo, command)` returns the command's result; with `together`, it takes
    `Sequence[Call[command]]` and returns one result or exception per call, writing nothing
    for a refused one. `keyed`: the request carries an idempotency key; an unkeyed command
    is idempotent by its own data (a unique index) and is run once more when it loses a
    race on it. `prepare(command)` returns the command as the transaction needs it.
    `remedy(error)` returns True when it did what lets a refused command succeed now.
    `refused(uow, error)` records, in a transaction of its own, what a refusal says about
    the stock (the refused command itself wrote nothing).
    """

    handle: Callable[..., Awaitable[Any]]
    together: bool = False
    keyed: bool = True
    prepare: Callable[[Any], Awaitable[Any]] | None = None
    remedy: Callable[[Exception], Awaitable[bool]] | None = None
    refused: Callable[[UnitOfWork, Exception], bool] | None = None


@dataclass(frozen=True)
class _Pending:
    """A coalesced command with what its reply needs."""

    request: Message
    command: Any
    response: type[Message]
    reply: Callable[[Any], Message]


class Dispatcher(Generic[P]):
    """Runs a service's commands by its table; `repository(uow)` gives handlers their port."""

    def __init__(
        self, uows: UnitOfWorkFactory, repository: Callable[[UnitOfWork], P], table: Mapping[type, Route[P]]
    ) -> None:
        self._uows = uows
        self._repository = repository
        self._table = table
        self._coalescers: dict[type, Coalescer[_Pending, Message]] = {
            kind: Coalescer(self._together(route)) for kind, route in table.items() if route.together
        }

    async def aclose(self) -> None:
        """Settle the coalesced commands already taken: once the server takes no new call."""
        await asyncio.gather(*(c.aclose() for c in self._coalescers.values()))

    async def __call__(self, request: Message, command: object, response: type[R], reply: Callable[[Any], R]) -> R:
        """Run `command` for `request` and answer with `reply(result)`, a `response`."""
        route = self._table[type(command)]
        try:
            return await self._attempts(route, request, command, response, reply)
        except Exception as error:
            if route.refused is not None:
                async with self._uows() as uow:
                    if route.refused(uow, error):
                        await uow.commit()
            raise

    async def _attempts(
        self, route: Route[P], request: Message, command: object, response: type[R], reply: Callable[[Any], R]
    ) -> R:
        attempt = 1
        while True:
            try:
                return await self._once(route, request, command, response, reply)
            except Exception as error:
                if not await self._again(route, error, attempt):
                    raise
            attempt += 1

    async def _again(self, route: Route[P], error: Exception, attempt: int) -> bool:
        """Whether the command is worth running again after `error`, once any wait or remedy is done."""
        if is_conflict(error) and attempt < CONFLICT_ATTEMPTS:
            log.info("transaction gave way to another, running it again", extra={"fields": {"attempt": attempt}})
            # Apart at random, so that the two do not meet again.
            await asyncio.sleep(random.uniform(0, 0.01 * 2**attempt))
            return True
        if isinstance(error, Stale) and attempt < PREPARE_ATTEMPTS:
            return True
        if isinstance(error, IntegrityError) and not route.keyed and attempt == 1:
            # Lost a race on the data that keys the command: the next run finds it done.
            return True
        return attempt == 1 and route.remedy is not None and not is_conflict(error) and await route.remedy(error)

    async def _once(
        self, route: Route[P], request: Message, command: object, response: type[R], reply: Callable[[Any], R]
    ) -> R:
        kind = type(command)
        if route.prepare is not None:
            if route.keyed:
                # A retry of a command already done is answered before its preparation,
                # which the command's own effect may now refuse.
                async with self._uows.reader() as uow:
                    done = await answered(uow, request, response)
                if done is not None:
                    return done
            command = await route.prepare(command)
        if route.together:
            return await self._coalescers[kind].submit(_Pending(request, command, response, reply))  # type: ignore[return-value]

        async def run(uow: UnitOfWork) -> R:
            return reply(await route.handle(uow, self._repository(uow), command))

        if route.keyed:
            return await run_idempotent(self._uows, request, response, run)
        async with self._uows() as uow:
            answer = await run(uow)
            await uow.commit()
        return answer

    def _together(self, route: Route[P]) -> Callable[[Sequence[Call[_Pending]]], Awaitable[list[Message | Exception]]]:
        async def run(calls: Sequence[Call[_Pending]]) -> list[Message | Exception]:
            pending = {id(call.argument.request): call for call in calls}

            async def body(uow: UnitOfWork, requests: Sequence[Message]) -> list[Message | Exception]:
                batch = [pending[id(r)] for r in requests]
                results = await route.handle(
                    uow, self._repository(uow), [Call(c.argument.command, c.caller) for c in batch]
                )
                return [
                    result if isinstance(result, Exception) else c.argument.reply(result)
                    for c, result in zip(batch, results, strict=True)
                ]

            requests = [call.argument.request for call in calls]
            return await run_idempotent_together(self._uows, requests, calls[0].argument.response, body)

        return run
