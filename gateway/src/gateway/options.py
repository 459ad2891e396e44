"""The gateway's own environment variables, next to the suite-wide Settings."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass

from gateway.auth import User, parse_dev_user
from invariant_core.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GatewayOptions:
    """
    GATEWAY_HOST / GATEWAY_PORT  where `python -m gateway` listens (127.0.0.1:8000)
    GATEWAY_GRAPHIQL             0 turns GraphiQL and introspection off (always off in production)
    GATEWAY_DEV_USER             "user:role,role": requests without a token act as this user,
                                 outside production only (handy in GraphiQL)
    """

    host: str = "127.0.0.1"
    port: int = 8000
    graphiql: bool = True
    dev_user: User | None = None

    @classmethod
    def from_env(cls, settings: Settings, env: Mapping[str, str] | None = None) -> GatewayOptions:
        e = os.environ if env is None else env
        dev_user = e.get("GATEWAY_DEV_USER", "").strip()
        if dev_user and settings.production:
            log.warning("GATEWAY_DEV_USER is ignored in production: every request needs a token")
        return cls(
            host=e.get("GATEWAY_HOST", cls.host),
            port=int(e.get("GATEWAY_PORT", cls.port)),
            graphiql=not settings.production and e.get("GATEWAY_GRAPHIQL", "1") != "0",
            dev_user=parse_dev_user(dev_user) if dev_user and not settings.production else None,
        )
