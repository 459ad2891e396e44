"""What every order document's history says of a change besides the state it entered: who and when."""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

import strawberry
from google.protobuf import timestamp_pb2

from gateway.convert import instant_from_proto


class _ChangeMessage(Protocol):
    @property
    def actor(self) -> str: ...
    @property
    def at(self) -> timestamp_pb2.Timestamp: ...
    @property
    def reason(self) -> str: ...


@strawberry.type(description="A change of an order's state: by whom and when.")
class OrderChange:
    actor: str = strawberry.field(description="The user id of who changed it.")
    at: dt.datetime = strawberry.field(description="When it changed.")

    @staticmethod
    def fields_from_proto(proto: _ChangeMessage) -> dict[str, Any]:
        """Who, when and why, as every order transition's message carries them; an empty reason is none."""
        return {"actor": proto.actor, "at": instant_from_proto(proto.at), "reason": proto.reason or None}
