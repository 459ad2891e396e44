"""The catalog as an operator runs it: `python -m catalog migrate`, then serve, then SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys

import pytest

from catalog.bootstrap import SERVICE_NAME, SPEC
from invariant_core import migrations, runtime
from invariant_core.embedded import free_port
from invariant_core.rpc import check_health
from invariant_core.settings import Settings
from invariant_core.testing import EventBus, drop_database, eventually


async def test_a_migrated_database_serves_with_migrations_off_and_sigterm_stops_it_cleanly(
    new_database, event_bus: EventBus
) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": await new_database("catalog"),
        **event_bus.env,
        "GRPC_PORT": str(port),
        "ENVIRONMENT": "production",
        "JWT_SECRET": "unused-by-the-catalog",
    }
    migrate = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "catalog", "migrate"], env=env, capture_output=True, timeout=60
    )
    assert migrate.returncode == 0, migrate.stderr.decode()

    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "catalog", env={**env, "MIGRATE_ON_START": "0"}, stderr=asyncio.subprocess.PIPE
    )
    try:
        async with asyncio.timeout(30):
            while await check_health(f"127.0.0.1:{port}", "invariant.catalog.v1.CatalogService") != "SERVING":
                assert process.returncode is None, "the catalog exited during start-up"
                await asyncio.sleep(0.2)
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.communicate()
    assert process.returncode == 0
    assert await check_health(f"127.0.0.1:{port}") == "UNKNOWN"
    lines = [json.loads(line) for line in stderr.decode().splitlines() if line.startswith("{")]
    assert any(line["message"] == "serving" and line["service"] == "catalog" for line in lines)


@pytest.mark.fault
async def test_a_catalog_that_cannot_reach_its_database_exits_non_zero_with_one_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    unreachable = tmp_path / "not-a-directory"
    unreachable.write_text("")  # a file where the database's directory should be
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{unreachable}/catalog.db", "GRPC_PORT": "0"}
    started = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "catalog"], env=env, capture_output=True, timeout=60
    )
    assert started.returncode == 1
    lines = started.stderr.decode().splitlines()
    assert "Traceback" not in started.stderr.decode()
    assert len(lines) == 1
    line = json.loads(lines[0])
    assert (line["level"], line["message"]) == ("ERROR", "could not start")
    assert "not-a-directory" in line["database"] and line["error"]


@pytest.mark.fault
async def test_the_catalog_serves_only_with_its_database_migrated_and_reachable(
    new_database, event_bus: EventBus, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(runtime, "READINESS_SECONDS", 0.1)
    url = await new_database("catalog")
    settings = Settings.from_env(
        "catalog", env={"DATABASE_URL": url, **event_bus.env, "GRPC_PORT": "0", "MIGRATE_ON_START": "0"}
    )
    running = await runtime.start(SPEC, settings)
    target = f"127.0.0.1:{running.port}"

    async def health_is(status: str) -> bool:
        return await check_health(target, SERVICE_NAME) == status == await check_health(target)

    try:
        # Started before its migration ran (as a rollout's pods do): up, but not in its Service.
        assert await health_is("NOT_SERVING")
        await migrations.upgrade(SPEC.migrations, url)
        await eventually(lambda: health_is("SERVING"), "serving once migrated")
        if url.startswith("postgresql"):
            await drop_database(url)
            await eventually(lambda: health_is("NOT_SERVING"), "not serving once its database is gone")
    finally:
        await running.stop()
