"""Global ids: every object a client can fetch again is a Relay `Node`.

A node's `id` is opaque and names its type, so a cache can normalize by it and
`Query.node(id:)` can fetch any of them. Arguments and inputs that name an object by
its id take that global id; a business key (a SKU, a warehouse code) stays a field of
its own.
"""

from __future__ import annotations

from strawberry import relay

from invariant_kernel.errors import DomainError, ErrorCode


def local_id(value: str, node: type[relay.Node], field: str) -> str:
    """The service's id inside a global id of `node`'s type, or a refusal naming `field`."""
    try:
        decoded = relay.GlobalID.from_id(value)
    except relay.GlobalIDValueError:
        raise DomainError(ErrorCode.INVALID_FORMAT, f"{field} is not an id from this API", field) from None
    expected = node.__strawberry_definition__.name  # type: ignore[attr-defined]
    if decoded.type_name != expected:
        raise DomainError(
            ErrorCode.INVALID_FORMAT, f"{field} is the id of a {decoded.type_name}, not of a {expected}", field
        )
    return decoded.node_id
