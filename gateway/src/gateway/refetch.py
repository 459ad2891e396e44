"""What every node type's `resolve_nodes` does around the one call that fetches its ids."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol, TypeVar

import strawberry
from strawberry import relay

from invariant_kernel.errors import not_found


class Fetched(Protocol):
    @property
    def id(self) -> str: ...


N = TypeVar("N", bound=Fetched)


def in_order(node_ids: Sequence[str], found: Iterable[N], required: bool) -> list[N | None]:
    """The nodes `found` in the order of `node_ids`, None for an id not found (refused if `required`)."""
    by_id = {node.id: node for node in found}
    nodes = [by_id.get(node_id) for node_id in node_ids]
    if required and None in nodes:
        missing = next(node_id for node_id, node in zip(node_ids, nodes, strict=True) if node is None)
        raise not_found("object", missing, "id")
    return nodes


def global_id(node: type[relay.Node], local: str) -> strawberry.ID:
    """The global id of the `node` with the service's id `local`, as its own `id` field shows it."""
    return strawberry.ID(str(relay.GlobalID(node.__strawberry_definition__.name, local)))  # type: ignore[attr-defined]
