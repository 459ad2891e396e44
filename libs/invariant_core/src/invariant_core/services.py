"""The services installed with the suite, found by their packages' entry points.

Each service package declares `invariant.services` (its ServiceSpec) and, if it has demo
data, `invariant.demos` (an async `load(stub)`), so that the core names no service.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from importlib.metadata import entry_points
from typing import Any

from invariant_core.settings import SERVICE_PORTS

SPECS = "invariant.services"
DEMOS = "invariant.demos"


def installed() -> list[str]:
    """The installed services' names, in start-up order (catalog first: the others read items from it)."""
    names = {point.name for point in entry_points(group=SPECS)}
    unknown = names - SERVICE_PORTS.keys()
    if unknown:
        raise RuntimeError(f"services without a port in SERVICE_PORTS: {', '.join(sorted(unknown))}")
    return [name for name in SERVICE_PORTS if name in names]


def spec(name: str) -> Any:
    """The service's ServiceSpec."""
    (point,) = entry_points(group=SPECS, name=name) or (None,)
    if point is None:
        raise LookupError(f"no service {name!r} is installed; installed: {', '.join(installed())}")
    return point.load()


def demo(name: str) -> Callable[[Any], Awaitable[None]] | None:
    """The service's demo loader, if it has one."""
    found = entry_points(group=DEMOS, name=name)
    return next((point.load() for point in found), None)
