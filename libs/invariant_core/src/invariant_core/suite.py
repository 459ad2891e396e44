"""Run the whole suite on one machine: embedded NATS, every service, the gateway.

`make run` calls `python -m invariant_core.suite`; the end-to-end tests use `Suite`
to start the same processes on free ports against the databases they choose.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from invariant_core import identity, rpc, services
from invariant_core.embedded import start_nats, wait_for_port
from invariant_core.settings import EMBEDDED_NATS_PORT, SERVICE_PORTS

GATEWAY_PORT = 8000


@dataclass
class Suite:
    nats_url: str
    service_ports: dict[str, int]
    gateway_port: int
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}/graphql"

    def stop(self) -> None:
        """SIGTERM everything (gateway first), then wait: each drains and exits."""
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in reversed(self.processes):
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                print(f"{process.args!r} did not stop within 20s: killed", file=sys.stderr)
                process.kill()
                process.wait()


def _spawn(module: str, env: dict[str, str], log: Path | None) -> subprocess.Popen[bytes]:
    command, environment = [sys.executable, "-m", module], {**os.environ, **env}
    if log is None:
        return subprocess.Popen(command, env=environment)
    with open(log, "ab") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(command, env=environment, stdout=out, stderr=out)


async def _wait_serving(name: str, port: int, process: subprocess.Popen[bytes]) -> None:
    try:
        async with asyncio.timeout(60):
            while await rpc.check_health(f"127.0.0.1:{port}") != "SERVING":
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with code {process.returncode}")
                await asyncio.sleep(0.2)
    except TimeoutError:
        raise TimeoutError(f"{name} did not report SERVING within 60s") from None


async def start(
    nats_url: str,
    env_for: dict[str, dict[str, str]],
    service_ports: dict[str, int],
    gateway_port: int,
    gateway_env: dict[str, str],
    log_dir: Path | None = None,
) -> Suite:
    """Start every service with its own environment, then the gateway pointed at them."""
    suite = Suite(nats_url, service_ports, gateway_port)
    peers = {f"{name.upper()}_ADDR": f"127.0.0.1:{port}" for name, port in service_ports.items()}
    try:
        for name in service_ports:
            env = {"NATS_URL": nats_url, "GRPC_PORT": str(service_ports[name]), **peers, **env_for.get(name, {})}
            process = _spawn(name, env, log_dir / f"{name}.log" if log_dir else None)
            suite.processes.append(process)
            await _wait_serving(name, service_ports[name], process)
        gateway = _spawn(
            "gateway",
            {"GATEWAY_PORT": str(gateway_port), **peers, **gateway_env},
            log_dir / "gateway.log" if log_dir else None,
        )
        suite.processes.append(gateway)
        await asyncio.to_thread(wait_for_port, gateway_port, 60.0)
    except BaseException:
        suite.stop()
        raise
    return suite


async def load_demo(service_ports: dict[str, int]) -> None:
    """Each service that has a `demo` module loads its demo data (idempotently)."""
    with identity.acting(identity.Identity(actor="demo-loader", roles=frozenset({"admin"}))):
        for name in service_ports:
            load = services.demo(name)
            if load is None:
                continue
            stubs = importlib.import_module(f"invariant.{name}.v1.{name}_pb2_grpc")
            stub_class = next(getattr(stubs, a) for a in dir(stubs) if a.endswith("ServiceStub"))
            async with rpc.channel(f"127.0.0.1:{service_ports[name]}", []) as channel:
                await load(stub_class(channel))


BANNER = """
Invariant is running.

  GraphiQL        http://127.0.0.1:{port}/graphql
  try             {{ health {{ service status }} items(first: 5) {{ edges {{ node {{ sku name }} }} }} }}
  acting as       {dev_user} when a request has no token (GATEWAY_DEV_USER; empty it to require tokens)
  a token         make token USER=alice ROLES=supervisor
  data            {data}   (make reset wipes it)
  logs            {data}/logs/

Ctrl-C stops everything.
"""


def main() -> None:
    data = Path(os.environ.get("DATA_DIR", ".data")).resolve()
    (data / "logs").mkdir(parents=True, exist_ok=True)
    nats_port = int(os.environ.get("EMBEDDED_NATS_PORT", EMBEDDED_NATS_PORT))
    nats = start_nats(nats_port, data / "nats")
    dev_user = os.environ.get("GATEWAY_DEV_USER", "dev:admin")
    names = services.installed()
    # A service's port is the one its peers are told (<NAME>_ADDR), as for a service alone.
    ports = {
        name: int(os.environ.get(f"{name.upper()}_ADDR", f":{SERVICE_PORTS[name]}").rpartition(":")[2])
        for name in names
    }
    suite: Suite | None = None

    async def run() -> Suite:
        started = await start(
            f"nats://127.0.0.1:{nats_port}",
            {name: {"DATA_DIR": str(data)} for name in names},
            ports,
            int(os.environ.get("GATEWAY_PORT", GATEWAY_PORT)),
            {"GATEWAY_DEV_USER": dev_user},
            data / "logs",
        )
        await load_demo(ports)
        return started

    stopping = threading.Event()
    # Both set explicitly: started from a script, SIGINT may come in ignored, and Ctrl-C
    # must stop the suite all the same.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    failed = False
    try:
        suite = asyncio.run(run())
        print(BANNER.format(port=suite.gateway_port, dev_user=dev_user or "nobody", data=data), flush=True)
        while not stopping.wait(0.5):
            # Started in this order: the services, then the gateway.
            named = zip((*names, "gateway"), suite.processes, strict=True)
            dead = [(name, process.returncode) for name, process in named if process.poll() is not None]
            for name, code in dead:
                print(f"{name} exited with code {code}: see {data}/logs/", flush=True)
            if dead:
                failed = True
                break
    except Exception as error:  # noqa: BLE001 - said in one line, then everything stops
        print(f"could not start the suite: {error}", file=sys.stderr, flush=True)
        failed = True
    finally:
        # A second Ctrl-C (or uv forwarding the first one again) must not cut the shutdown short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        print("\nstopping…", flush=True)
        if suite is not None:
            suite.stop()
        nats.terminate()
        nats.wait(10)
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
