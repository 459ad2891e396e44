"""Who is acting, and on behalf of which request: carried in a context variable.

The gateway sets it from the verified token; gRPC carries it in metadata (a client
interceptor puts it in, every service's handlers take it out, see rpc), so every
movement, decision and audit record can name its actor.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

ACTOR_KEY = "x-actor-id"
ROLES_KEY = "x-actor-roles"
CORRELATION_KEY = "x-correlation-id"


@dataclass(frozen=True)
class Identity:
    actor: str = ""
    roles: frozenset[str] = frozenset()
    correlation_id: str = ""

    def to_metadata(self) -> list[tuple[str, str]]:
        metadata = [(CORRELATION_KEY, self.correlation_id or str(uuid.uuid4()))]
        if self.actor:
            metadata += [(ACTOR_KEY, self.actor), (ROLES_KEY, ",".join(sorted(self.roles)))]
        return metadata

    @classmethod
    def from_metadata(cls, metadata: dict[str, str]) -> Identity:
        roles = metadata.get(ROLES_KEY, "")
        return cls(
            actor=metadata.get(ACTOR_KEY, ""),
            roles=frozenset(r for r in roles.split(",") if r),
            correlation_id=metadata.get(CORRELATION_KEY) or str(uuid.uuid4()),
        )


# Identity is frozen, so sharing one default instance is safe.
current: ContextVar[Identity] = ContextVar("identity", default=Identity())  # noqa: B039


@contextmanager
def acting(who: Identity) -> Iterator[Identity]:
    """Act as `who` within the block: what it records and calls carries their name."""
    token = current.set(who)
    try:
        yield who
    finally:
        current.reset(token)
