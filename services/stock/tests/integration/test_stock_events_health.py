"""Where an operator sees that events do not flow: an entry of its own in the health
service, while the service itself keeps serving commands (the outbox holds its events)."""

from __future__ import annotations

from pathlib import Path

import pytest

from invariant_core import bus, runtime
from invariant_core.embedded import free_port, start_nats
from invariant_core.rpc import check_health
from invariant_core.settings import Settings
from invariant_core.testing import DatabaseFactory, eventually
from stock.bootstrap import SERVICE_NAME, SPEC

# Faults injected on purpose: `make test-faults` runs these alone.
pytestmark = pytest.mark.fault


async def test_events_health_follows_nats_while_the_service_keeps_serving(
    new_database: DatabaseFactory, tmp_path: Path
) -> None:
    # A NATS server of the test's own, on a free port: the shared one is never stopped.
    nats_port = free_port()
    settings = Settings.from_env(
        "stock",
        env={
            "DATABASE_URL": await new_database("stock"),
            "NATS_URL": f"nats://127.0.0.1:{nats_port}",
            "GRPC_PORT": "0",
            "CATALOG_ADDR": f"127.0.0.1:{free_port()}",
        },
    )
    # NATS is not there when stock starts: it serves, and says its events do not flow.
    stock = await runtime.start(SPEC, settings)
    target = f"127.0.0.1:{stock.port}"

    async def events_are(status: str) -> bool:
        return await check_health(target, bus.EVENTS_HEALTH) == status

    server = None
    try:
        assert await check_health(target, SERVICE_NAME) == "SERVING"
        await eventually(lambda: events_are("NOT_SERVING"), "events reported not flowing")

        server = start_nats(nats_port, tmp_path / "nats")
        await eventually(lambda: events_are("SERVING"), "events reported flowing once NATS is up")

        server.kill()
        server.wait(10)
        await eventually(lambda: events_are("NOT_SERVING"), "events reported not flowing once NATS is gone")
        assert await check_health(target, SERVICE_NAME) == "SERVING"
        assert await check_health(target) == "SERVING"
        # Stock stops below while NATS is away: its stop must end every task it started.
    finally:
        if server is not None and server.poll() is None:
            server.kill()
            server.wait(10)
        await stock.stop()
