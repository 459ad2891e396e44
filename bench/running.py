"""The suite as a benchmark starts it: embedded NATS and the services it exercises.

Only those: a benchmark shares the machine's cores with everything it starts, and a
service it does not call still reacts to the events of those it does (orders to every
movement, counting to posted stock), which would be measured as their cost.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from invariant_core import suite
from invariant_core.embedded import free_port, start_nats


@dataclass(frozen=True)
class Running:
    nats_url: str
    ports: dict[str, int]
    databases: dict[str, str]
    gateway_url: str

    def address(self, name: str) -> str:
        return f"127.0.0.1:{self.ports[name]}"

    def dsn(self, name: str) -> str:
        """The service's database as asyncpg names it."""
        return asyncpg_dsn(self.databases[name])


def asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@asynccontextmanager
async def started(
    data: Path,
    names: Sequence[str],
    database: Callable[[str], Awaitable[str]],
    gateway_env: Mapping[str, str] | None = None,
) -> AsyncIterator[Running]:
    """Start NATS, then `names` each on `await database(name)`, then the gateway; stop them after."""
    nats_port = free_port()
    nats = start_nats(nats_port, data / "nats")
    try:
        nats_url = f"nats://127.0.0.1:{nats_port}"
        databases = {name: await database(name) for name in names}
        env = {name: {"DATABASE_URL": url, "LOG_LEVEL": "WARNING"} for name, url in databases.items()}
        ports = {name: free_port() for name in names}
        running = await suite.start(
            nats_url, env, ports, free_port(), {"LOG_LEVEL": "WARNING", **(gateway_env or {})}, data
        )
        try:
            yield Running(nats_url, ports, databases, running.gateway_url)
        finally:
            running.stop()
    finally:
        nats.terminate()
        nats.wait()
