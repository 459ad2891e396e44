"""`make run`'s runner as a person meets it: started from a script, stopped with Ctrl-C, and
never left waiting with half of the suite dead."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from invariant_core import services
from invariant_core.embedded import free_port, wait_for_port


@pytest.fixture
def runner(tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """The runner with SIGINT ignored, as a script started in the background passes it on."""
    gateway = free_port()
    # Ports of its own, so that a suite already running on the defaults (`make run`) is no obstacle.
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path),
        "EMBEDDED_NATS_PORT": str(free_port()),
        "GATEWAY_PORT": str(gateway),
        **{f"{name.upper()}_ADDR": f"127.0.0.1:{free_port()}" for name in services.installed()},
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "invariant_core.suite"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
        # A group of its own: whatever the runner leaves behind is killed with it.
        process_group=0,
    )
    try:
        wait_for_port(gateway, 90)
        assert process.stdout is not None
        # Up once it says so: the demo data is loaded after the gateway listens.
        while b"Invariant is running" not in process.stdout.readline():
            assert process.poll() is None, "the runner exited while starting"
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(30)
        if process.stdout:
            process.stdout.close()


def children(pid: int) -> dict[str, int]:
    """The runner's child processes by the module they run (`python -m stock`: stock)."""
    found = {}
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        command = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        if b"-m" in command:
            found[command[command.index(b"-m") + 1].decode()] = int(child)
    return found


def test_ctrl_c_stops_the_suite_even_when_the_runner_was_started_with_sigint_ignored(
    runner: subprocess.Popen[bytes],
) -> None:
    services = children(runner.pid)
    runner.send_signal(signal.SIGINT)
    code = runner.wait(60)
    assert code == 0, runner.stdout.read().decode() if runner.stdout else ""
    assert all(not Path(f"/proc/{pid}").exists() for pid in services.values())


def test_a_service_that_dies_stops_the_suite_and_the_runner_fails_naming_it(runner: subprocess.Popen[bytes]) -> None:
    services = children(runner.pid)
    os.kill(services["stock"], signal.SIGKILL)
    assert runner.wait(60) == 1
    output = runner.stdout.read().decode() if runner.stdout else ""
    assert "stock exited with code -9" in output
    assert all(not Path(f"/proc/{pid}").exists() for name, pid in services.items() if name != "stock")
