"""What every part of the orders servicer shares: the repository to read, the dispatcher to act."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from invariant_core.commands import Dispatcher
from orders.service.ports import OrdersRepository, Reading

R = TypeVar("R")


class Servicing:
    def __init__(self, reading: Reading, dispatch: Dispatcher[OrdersRepository]) -> None:
        self._reading = reading
        self._dispatch = dispatch

    async def _query(self, body: Callable[[OrdersRepository], Awaitable[R]]) -> R:
        async with self._reading() as repo:
            return await body(repo)
