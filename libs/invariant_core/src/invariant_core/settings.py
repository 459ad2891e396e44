"""Configuration from environment variables only; defaults are the embedded mode's."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

# The embedded NATS listens on a port of its own so that it never clashes with a
# NATS server that already runs on the standard 4222.
EMBEDDED_NATS_PORT = 4322

# A namespace is one subject token and part of the stream's name.
NAMESPACE = re.compile(r"[A-Za-z0-9_-]{0,32}")

# gRPC ports of the services in the embedded mode (and the defaults for peers).
SERVICE_PORTS = {"catalog": 50051, "stock": 50052, "orders": 50053, "quality": 50054, "counting": 50055}


@dataclass(frozen=True)
class Settings:
    service: str
    environment: str
    data_dir: Path
    database_url: str
    nats_url: str
    grpc_host: str
    grpc_port: int
    peers: dict[str, str] = field(default_factory=dict)
    jwt_secret: str = ""
    log_level: str = "INFO"
    migrate_on_start: bool = True
    stream_replicas: int = 1
    events_namespace: str = ""
    drain_seconds: float = 0.0

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @classmethod
    def from_env(cls, service: str, env: dict[str, str] | None = None) -> Settings:
        """Read settings for `service`.

        DATABASE_URL      default sqlite+aiosqlite:///<DATA_DIR>/<service>.db
        NATS_URL          default nats://127.0.0.1:4322 (the embedded server)
        GRPC_HOST/PORT    default 127.0.0.1 and the service's port in SERVICE_PORTS
        <PEER>_ADDR       e.g. CATALOG_ADDR=catalog:50051; default 127.0.0.1:<port>
        JWT_SECRET        HS256 signing secret (the gateway); a development default
        ENVIRONMENT       development (default) or production
        MIGRATE_ON_START  1 (default in development) or 0 (production runs `migrate`)
        NATS_STREAM_REPLICAS  copies of the event stream in a NATS cluster (default 1)
        EVENTS_NAMESPACE  a stream and subjects of the suite's own on a shared NATS (default none)
        DRAIN_SECONDS     how long a stopping service keeps serving while reported NOT_SERVING,
                          for load balancers to stop sending it calls (5 in production, else 0)
        LOG_LEVEL, DATA_DIR (default .data)
        """
        e = os.environ if env is None else env
        environment = e.get("ENVIRONMENT", "development")
        data_dir = Path(e.get("DATA_DIR", ".data")).resolve()
        default_db = f"sqlite+aiosqlite:///{data_dir / (service + '.db')}"
        peers = {name: e.get(f"{name.upper()}_ADDR", f"127.0.0.1:{port}") for name, port in SERVICE_PORTS.items()}
        namespace = e.get("EVENTS_NAMESPACE", "")
        if not NAMESPACE.fullmatch(namespace):
            raise ValueError("EVENTS_NAMESPACE takes letters, digits, '-' and '_' only (a subject token)")
        secret = e.get("JWT_SECRET", "")
        if not secret and environment != "production":
            secret = "invariant-development-secret-change-me"
        return cls(
            service=service,
            environment=environment,
            data_dir=data_dir,
            database_url=e.get("DATABASE_URL", default_db),
            nats_url=e.get("NATS_URL", f"nats://127.0.0.1:{EMBEDDED_NATS_PORT}"),
            grpc_host=e.get("GRPC_HOST", "127.0.0.1"),
            grpc_port=int(e.get("GRPC_PORT", SERVICE_PORTS.get(service, 0))),
            peers=peers,
            jwt_secret=secret,
            log_level=e.get("LOG_LEVEL", "INFO"),
            migrate_on_start=e.get("MIGRATE_ON_START", "0" if environment == "production" else "1") == "1",
            stream_replicas=int(e.get("NATS_STREAM_REPLICAS", "1")),
            events_namespace=namespace,
            drain_seconds=float(e.get("DRAIN_SECONDS", "5" if environment == "production" else "0")),
        )
