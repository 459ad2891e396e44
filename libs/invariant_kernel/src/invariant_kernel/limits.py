"""How long a string a user sends may be: one set of limits for the whole suite.

Standard library only, so that every service's domain may use it. Every string field of
every request is held to TEXT at the gRPC boundary (rpc), so that no input can grow an
event past what NATS takes or a column past its size; the service that owns a field holds
it to its own, tighter limit below and refuses it naming the field, with nothing written.
"""

from __future__ import annotations

from invariant_kernel.errors import DomainError, ErrorCode

# Ids and document references: an order number, a count entry's id, a user. 64 holds any
# UUID or ERP document number, and fits the narrowest id columns (barcodes, entry ids).
ID = 64
# Codes: reason codes, document types, units, lots, locations.
CODE = 40
# Names of things: an item, a warehouse, a reason.
NAME = 200
# Free text: notes, comments, causes, reasons given.
TEXT = 2000


def bounded(value: str, field: str, limit: int) -> str:
    """`value` if it is at most `limit` characters long; refused naming `field` otherwise."""
    if len(value) > limit:
        raise DomainError(ErrorCode.OUT_OF_RANGE, f"{field} takes at most {limit} characters, not {len(value)}", field)
    return value
