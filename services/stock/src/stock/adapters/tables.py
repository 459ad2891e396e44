"""The stock service's own schema.

Balances and availability are derived from the ledger in the same transaction as
each movement; CHECK constraints are the second line of defence behind the handlers.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    text,
)

from invariant_core.db import plumbing_tables
from invariant_core.types import Exact, UtcDateTime
from invariant_kernel.decimals import QUANTITY_PLACES

metadata = MetaData()
plumbing_tables(metadata)


def qty(name: str, **kwargs: object) -> Column[object]:
    return Column(name, Exact(QUANTITY_PLACES), nullable=False, **kwargs)  # type: ignore[arg-type]


warehouses = Table(
    "warehouses",
    metadata,
    Column("code", String(20), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("allow_negative_stock", Boolean, nullable=False),
    Column("in_transit_location", String(40), nullable=False),
)

locations = Table(
    "locations",
    metadata,
    Column("warehouse", String(20), primary_key=True),
    Column("code", String(40), primary_key=True),
    Column("kind", String(12), nullable=False),
    ForeignKeyConstraint(["warehouse"], ["warehouses.code"]),
)

# The items stock needs, kept from catalog events (read through over gRPC on a miss).
items = Table(
    "items",
    metadata,
    Column("sku", String(40), primary_key=True),
    Column("base_unit", String(16), nullable=False),
    Column("units", Text, nullable=False),  # JSON {unit: factor}
    Column("lot_tracked", Boolean, nullable=False),
    Column("standard_cost", Exact(4), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    # The catalog's version of the item kept here (0: kept before versions existed).
    Column("version", BigInteger, nullable=False, server_default="0"),
)

thresholds = Table(
    "thresholds",
    metadata,
    Column("item_sku", String(40), primary_key=True),
    Column("warehouse", String(20), primary_key=True),
    Column("safety_stock", Exact(QUANTITY_PLACES), nullable=False),
    Column("max_stock", Exact(QUANTITY_PLACES), nullable=False),
)

lots = Table(
    "lots",
    metadata,
    Column("item_sku", String(40), primary_key=True),
    Column("lot", String(40), primary_key=True),
    Column("expiry_date", Date),
)

# The ledger: rows are only ever inserted (PostgreSQL refuses UPDATE and DELETE).
movements = Table(
    "movements",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("id", String(36), nullable=False, unique=True),
    Column("type", String(16), nullable=False),
    Column("item_sku", String(40), nullable=False),
    qty("quantity"),
    Column("unit", String(16), nullable=False),
    Column("from_warehouse", String(20)),
    Column("from_location", String(40)),
    Column("from_lot", String(40)),
    Column("from_status", String(10)),
    Column("to_warehouse", String(20)),
    Column("to_location", String(40)),
    Column("to_lot", String(40)),
    Column("to_status", String(10)),
    Column("document_type", String(40), nullable=False),
    Column("document_id", String(100), nullable=False),
    Column("document_line", String(40), nullable=False),
    Column("reason_code", String(40), nullable=False),
    Column("reasons", Text, nullable=False),  # JSON [[code, quantity], ...]
    Column("actor", String(200), nullable=False),
    Column("business_time", UtcDateTime(), nullable=False),
    Column("posted_at", UtcDateTime(), nullable=False),
    Column("idempotency_key", String(200), nullable=False),
    Column("corrects_movement_id", String(36)),
    Column("reservation_id", String(36)),
    # A purchase receipt's supplier, and the supplier's lot number where it differs from to_lot.
    Column("supplier", String(40)),
    Column("supplier_lot", String(40)),
    CheckConstraint("quantity > 0", name="movement_quantity_positive"),
    Index("ix_movements_item_time", "item_sku", "business_time"),
    Index("ix_movements_from", "from_warehouse", "from_location", "item_sku"),
    Index("ix_movements_to", "to_warehouse", "to_location", "item_sku"),
    Index("ix_movements_document", "document_type", "document_id"),
    Index("ix_movements_actor", "actor", "seq"),
)
# A count line is adjusted once in each status, however often its approval is delivered.
Index(
    "ux_movements_count_line",
    movements.c.document_type,
    movements.c.document_id,
    movements.c.document_line,
    func.coalesce(movements.c.from_status, movements.c.to_status),
    unique=True,
    postgresql_where=text("document_type = 'COUNT'"),
    sqlite_where=text("document_type = 'COUNT'"),
)

balances = Table(
    "balances",
    metadata,
    Column("item_sku", String(40), primary_key=True),
    Column("warehouse", String(20), primary_key=True),
    Column("location", String(40), primary_key=True),
    Column("lot", String(40), primary_key=True),
    Column("status", String(10), primary_key=True),
    qty("quantity"),
    Column("negative_allowed", Boolean, nullable=False),
    CheckConstraint("negative_allowed OR quantity >= 0", name="balance_not_negative"),
)

# Net change per balance and business day: a balance as of any time is the sum of the
# days before it plus that day's movements, without replaying the whole ledger.
balance_days = Table(
    "balance_days",
    metadata,
    Column("item_sku", String(40), primary_key=True),
    Column("warehouse", String(20), primary_key=True),
    Column("location", String(40), primary_key=True),
    Column("lot", String(40), primary_key=True),
    Column("status", String(10), primary_key=True),
    Column("day", Date, primary_key=True),
    qty("net_change"),
)

availability = Table(
    "availability",
    metadata,
    Column("item_sku", String(40), primary_key=True),
    Column("warehouse", String(20), primary_key=True),
    qty("available"),
    qty("qc_hold"),
    qty("rejected"),
    qty("in_transit"),
    qty("reserved"),
    CheckConstraint("reserved >= 0", name="reserved_not_negative"),
)

reservations = Table(
    "reservations",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("item_sku", String(40), nullable=False),
    Column("warehouse", String(20), nullable=False),
    qty("requested"),
    qty("open"),
    qty("consumed"),
    qty("released"),
    Column("owner_type", String(40), nullable=False),
    Column("owner_id", String(100), nullable=False),
    Column("owner_line", String(40), nullable=False),
    Column("expires_at", UtcDateTime()),
    Column("state", String(10), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    CheckConstraint("open >= 0 AND consumed >= 0 AND released >= 0", name="reservation_parts_not_negative"),
    CheckConstraint("open + consumed + released <= requested", name="reservation_within_request"),
    Index("ix_reservations_item", "item_sku", "warehouse", "state"),
    Index("ix_reservations_owner", "owner_type", "owner_id"),
    Index("ix_reservations_expiry", "state", "expires_at"),
)
