"""`@described.field("…")`: strawberry's resolver decorators with a description, typed.

strawberry types `strawberry.field(description=…)` as Any, which hides every
resolver's signature from mypy; these keep it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import strawberry

Resolver = TypeVar("Resolver", bound=Callable[..., Any])


def field(description: str) -> Callable[[Resolver], Resolver]:
    return cast("Callable[[Resolver], Resolver]", strawberry.field(description=description))


def mutation(description: str) -> Callable[[Resolver], Resolver]:
    return cast("Callable[[Resolver], Resolver]", strawberry.mutation(description=description))
