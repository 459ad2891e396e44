"""Coalescing: concurrent calls of one kind run together, in one transaction.

Calls that arrive while a batch runs wait and go together into the next one, so under
load a batch holds about as many calls as there are concurrent callers, and alone a
call runs at once. Each call keeps the identity of its caller.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from invariant_core import identity
from invariant_core.tasks import GRACE_SECONDS, finish

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Call(Generic[T]):
    argument: T
    caller: identity.Identity


class Coalescer(Generic[T, R]):
    """`run` gets a batch of calls and returns one outcome per call, in order.

    One batch runs at a time: measured against several at once on PostgreSQL, fewer and
    larger batches cost less per call than more transactions in parallel.

    For the same reason a batch lingers: it waits until as many calls wait as the
    coalescer last saw, the callers it just answered and those that queued behind them,
    since under load the answered are about to call again. Without it a busy service runs
    batches far smaller than its callers, and pays each batch's statements that much more
    often; waiting only for as many as the last batch held could settle on small batches
    too. It waits at most as long as the last batch took to run (and never more than
    `linger`): a caller then waits at most about one batch longer, and the busier the
    database, the longer a batch runs and the more its statements are worth sharing. A
    lone caller, answered with nobody queued behind it, never waits.
    """

    def __init__(
        self,
        run: Callable[[Sequence[Call[T]]], Awaitable[Sequence[R | Exception]]],
        max_batch: int = 256,
        linger: float = 0.05,
    ) -> None:
        self._run = run
        self._max_batch = max_batch
        self._linger = linger
        self._waiting: list[tuple[Call[T], asyncio.Future[R]]] = []
        self._worker: asyncio.Task[None] | None = None
        self._expected = 1
        self._ran = 0.0
        self._enough: asyncio.Event | None = None

    async def submit(self, argument: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((Call(argument, identity.current.get()), future))
        if self._enough is not None and len(self._waiting) >= self._expected:
            self._enough.set()
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._drain())
        # A caller that gives up (a deadline) cancels only its future: its call stays in
        # the batch, which runs it and skips the answer nobody awaits.
        return await future

    async def aclose(self) -> None:
        """Settle the calls already submitted, then end the worker: a service closes its
        coalescers once its server has stopped taking calls."""
        if self._worker is not None:
            await finish([self._worker], GRACE_SECONDS)

    async def _drain(self) -> None:
        while self._waiting:
            if len(self._waiting) < self._expected:
                await self._gather()
            batch, self._waiting = self._waiting[: self._max_batch], self._waiting[self._max_batch :]
            started = time.perf_counter()
            try:
                outcomes = await self._run([call for call, _ in batch])
            except Exception as error:  # noqa: BLE001 - the batch's failure is each of its callers'
                outcomes = [error] * len(batch)
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if future.done():
                    continue
                if isinstance(outcome, Exception):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)
            self._expected = min(self._max_batch, len(batch) + len(self._waiting))
            self._ran = time.perf_counter() - started

    async def _gather(self) -> None:
        """Wait until `_expected` calls wait, or as long as the last batch ran (at most `linger`)."""
        self._enough = asyncio.Event()
        try:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(self._linger, self._ran)):
                    await self._enough.wait()
        finally:
            self._enough = None
