"""A service told to stop while it starts stops cleanly once it is up, instead of being killed:
an orchestrator may send SIGTERM the moment a process reports SERVING."""

from __future__ import annotations

import subprocess
import sys

# Sends itself SIGTERM in the middle of its start; it must then start, stop, and exit 0.
SERVICE = """
import asyncio, os, signal
from invariant_core.rpc import serve_until_signalled

async def start():
    os.kill(os.getpid(), signal.SIGTERM)
    await asyncio.sleep(0.2)
    print("started", flush=True)

    async def stop():
        print("stopped", flush=True)

    return stop

asyncio.run(serve_until_signalled(start))
"""


def test_a_sigterm_during_the_start_stops_the_service_once_it_is_up() -> None:
    ran = subprocess.run([sys.executable, "-c", SERVICE], capture_output=True, text=True, timeout=60)
    assert (ran.returncode, ran.stdout.split()) == (0, ["started", "stopped"]), ran.stderr
