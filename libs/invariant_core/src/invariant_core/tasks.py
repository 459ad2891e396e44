"""Background tasks a service owns: every one of them ends when the service stops."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Coroutine
from typing import Any

log = logging.getLogger(__name__)

# How long a stopping service lets its calls in flight and its background work finish.
GRACE_SECONDS = 5.0


async def finish(tasks: Collection[asyncio.Task[Any]], grace: float) -> None:
    """Wait up to `grace` for the tasks to end, then cancel them until they do.

    Cancelled again and again: nats-py turns a cancellation into a timeout or an error in
    places, and a task that took one cancellation for a failure must not keep a service,
    or the event loop that closes after it, waiting for ever.
    """
    pending = {task for task in tasks if not task.done()}
    if pending and grace > 0:
        _, pending = await asyncio.wait(pending, timeout=grace)
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=1.0)
    for task in tasks:
        if not task.cancelled() and task.exception() is not None:
            log.error("background task failed", exc_info=task.exception(), extra={"fields": {"task": task.get_name()}})


class Background:
    """Tasks that run beside a service's server until `aclose()`.

    A task started with `stop` is asked to stop and given the grace period to finish what
    it holds (a consumer, the event in hand); the others are cancelled at once, since a
    cancellation leaves nothing half-written (their transactions roll back).
    """

    def __init__(self, grace: float = GRACE_SECONDS) -> None:
        self._grace = grace
        self._stoppable: list[tuple[asyncio.Task[None], Callable[[], None]]] = []
        self._others: list[asyncio.Task[None]] = []

    def start(self, coroutine: Coroutine[Any, Any, None], name: str, stop: Callable[[], None] | None = None) -> None:
        task = asyncio.create_task(coroutine, name=name)
        if stop is None:
            self._others.append(task)
        else:
            self._stoppable.append((task, stop))

    async def aclose(self) -> None:
        for _, stop in self._stoppable:
            stop()
        await asyncio.gather(finish(self._others, 0), finish([task for task, _ in self._stoppable], self._grace))
