"""The idempotency key every mutation input may carry (DESIGN §3 rule 4)."""

from __future__ import annotations

import uuid

IDEMPOTENCY_KEY_HELP = (
    "Send a new key per intended change and the same key when retrying it: the retry then "
    "returns the first result instead of acting twice. When absent the gateway makes one up, "
    "so a retry after a lost response may act twice."
)


def key(sent: str | None) -> str:
    return sent or str(uuid.uuid4())
