"""Global ids: every object a client can fetch again is a Relay `Node`.

A node's `id` is opaque and names its type, so a cache can normalize by it and
`Query.node(id:)` can fetch any of them. Arguments and inputs that name an object by
its id take that global id; a business key (a SKU, a warehouse code) stays a field of
its own.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from typing import Annotated, Protocol, Self, TypeVar

import strawberry
from strawberry import relay

from gateway import described
from gateway.context import Info
from invariant_kernel.errors import DomainError, ErrorCode, not_found


class Fetched(Protocol):
    @property
    def id(self) -> str: ...


N = TypeVar("N", bound=Fetched)


def global_id(node: type[relay.Node], local: str) -> strawberry.ID:
    """The global id of the `node` with the service's id `local`, as its own `id` field shows it."""
    return strawberry.ID(str(relay.GlobalID(node.__strawberry_definition__.name, local)))  # type: ignore[attr-defined]


def in_order(node_ids: Sequence[str], found: Iterable[N], required: bool) -> list[N | None]:
    """What a node type's `resolve_nodes` answers: the nodes `found` in the order of `node_ids`, None for an id
    not found (refused if `required`)."""
    by_id = {node.id: node for node in found}
    nodes = [by_id.get(node_id) for node_id in node_ids]
    if required and None in nodes:
        missing = next(node_id for node_id, node in zip(node_ids, nodes, strict=True) if node is None)
        raise not_found("object", missing, "id")
    return nodes


class FetchedNode(relay.Node, ABC):
    """A node that `node(id:)` fetches again: each type says, in `fetch`, how it reads many ids in one call."""

    id: relay.NodeID[str]

    @classmethod
    @abstractmethod
    async def fetch(cls, info: Info, ids: list[str]) -> Iterable[Self]: ...

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        ids = list(node_ids)
        return in_order(ids, await cls.fetch(info, ids), required)


def local_id(value: str, node: type[relay.Node], field: str) -> str:
    """The service's id inside a global id of `node`'s type, or a refusal naming `field`."""
    decoded = _decoded(value, field)
    expected = node.__strawberry_definition__.name  # type: ignore[attr-defined]
    if decoded.type_name != expected:
        raise DomainError(
            ErrorCode.INVALID_FORMAT, f"{field} is the id of a {decoded.type_name}, not of a {expected}", field
        )
    return decoded.node_id


@strawberry.type
class NodeQuery:
    @described.field(
        "Any object by its global `id`, whatever its type: what Relay refetches and caches normalize by; null when "
        "it no longer exists."
    )
    async def node(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The object's `id`, as the graph gave it.")],
    ) -> relay.Node | None:
        global_id = _decoded(id, "id")
        try:
            kind = global_id.resolve_type(info)
        except relay.GlobalIDValueError:
            raise _not_ours("id") from None
        found = kind.resolve_node(global_id.node_id, info=info, required=False)
        return await found if inspect.isawaitable(found) else found


def _decoded(value: str, field: str) -> relay.GlobalID:
    try:
        return relay.GlobalID.from_id(value)
    except relay.GlobalIDValueError:
        raise _not_ours(field) from None


def _not_ours(field: str) -> DomainError:
    return DomainError(ErrorCode.INVALID_FORMAT, f"{field} is not an id from this API", field)
