"""The orders service's own schema."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    false,
    text,
)

from invariant_core.db import plumbing_tables
from invariant_core.outgoing import outgoing_table
from invariant_core.types import Exact, UtcDateTime
from invariant_kernel.decimals import MONEY_PLACES, QUANTITY_PLACES
from invariant_kernel.limits import CODE, ID, NAME, TEXT

metadata = MetaData()
plumbing_tables(metadata)
# Orders asks stock to give reservations back after its own transactions commit.
outgoing_table(metadata)


def qty(name: str, nullable: bool = False) -> Column[object]:
    return Column(name, Exact(QUANTITY_PLACES), nullable=nullable)


def item_line(document: str) -> list[Column[object]]:
    """A document's line of an item at a warehouse: its quantity as entered and in the base unit."""
    return [
        Column("order_id", String(36), ForeignKey(f"{document}.id"), primary_key=True),
        Column("line", Integer, primary_key=True),
        Column("item_sku", String(40), nullable=False),
        qty("quantity"),
        Column("unit", String(10), nullable=False),
        qty("base_quantity"),
        Column("base_unit", String(10), nullable=False),
        Column("warehouse", String(20), nullable=False),
    ]


def transitions(name: str, document: str) -> Table:
    """A document's changes of state, by whom and when, in order."""
    return Table(
        name,
        metadata,
        Column("order_id", String(36), ForeignKey(f"{document}.id"), primary_key=True),
        Column("seq", Integer, primary_key=True),
        Column("state", String(20), nullable=False),
        Column("actor", String(ID), nullable=False),
        Column("at", UtcDateTime(), nullable=False),
        Column("reason", String(TEXT), nullable=False),
    )


# The catalog's items as orders needs them, kept from catalog events.
items = Table(
    "items",
    metadata,
    Column("sku", String(40), primary_key=True),
    Column("base_unit", String(10), nullable=False),
    # {"BOX": "12"}: base units per unit, as exact decimal strings.
    Column("units", Text, nullable=False),
    Column("lot_tracked", Boolean, nullable=False),
    Column("version", BigInteger, nullable=False),
    # Per base unit; work orders value their material variance at it.
    Column("standard_cost", Exact(MONEY_PLACES)),
    # Finished goods of the item are received into QC_HOLD.
    Column("inspect_on_production", Boolean, nullable=False, server_default=false()),
    # Receipts of the item go into QC_HOLD.
    Column("inspect_on_receipt", Boolean, nullable=False, server_default=false()),
)

barcodes = Table(
    "barcodes",
    metadata,
    Column("barcode", String(64), primary_key=True),
    Column("item_sku", String(40), nullable=False),
)

customers = Table(
    "customers",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("code", String(20), nullable=False, unique=True),
    Column("name", String(NAME), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

suppliers = Table(
    "suppliers",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("code", String(20), nullable=False, unique=True),
    Column("name", String(NAME), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

supplier_items = Table(
    "supplier_items",
    metadata,
    Column("supplier_id", String(36), ForeignKey("suppliers.id"), primary_key=True),
    Column("item_sku", String(40), primary_key=True),
    qty("pack_size", nullable=True),
    Column("lead_time_days", Integer, nullable=False),
)

# The last number given to each kind of document (SALES_ORDER, …).
numbers = Table(
    "numbers",
    metadata,
    Column("kind", String(CODE), primary_key=True),
    Column("last", BigInteger, nullable=False),
)

sales_orders = Table(
    "sales_orders",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("number", String(ID), nullable=False, unique=True),
    Column("customer", String(20), nullable=False),
    Column("customer_reference", String(ID), nullable=False),
    Column("policy", String(20), nullable=False),
    Column("state", String(20), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_sales_orders_customer", "customer", "created_at"),
    Index("ix_sales_orders_state", "state", "created_at"),
)

sales_order_lines = Table(
    "sales_order_lines",
    metadata,
    *item_line("sales_orders"),
    Column("requested_date", Date),
    qty("reserved"),
    qty("backordered"),
    Column("reservation_id", String(36), nullable=False),
    # Of the backorder, asked of stock and not answered yet.
    Column("asking", Exact(QUANTITY_PLACES), nullable=False, server_default="0"),
    # Of `asking`, asked before stock came in that went to no ask.
    Column("asked_before_arrival", Exact(QUANTITY_PLACES), nullable=False, server_default="0"),
    # Picked and not shipped yet.
    Column("picked", Exact(QUANTITY_PLACES), nullable=False, server_default="0"),
    Column("shipped", Exact(QUANTITY_PLACES), nullable=False, server_default="0"),
    # Lost to a shortage stock found and backordered again: the sales desk's flag.
    Column("shorted", Exact(QUANTITY_PLACES), nullable=False, server_default="0"),
    Column("returned", Exact(QUANTITY_PLACES), nullable=False, server_default="0"),
    Index("ix_sales_order_lines_waiting", "item_sku", "warehouse"),
)

# The reservations holding stock for each line (its confirmation's, then its backorder's),
# with what each still holds; `reserved` on the line is their sum.
sales_order_line_reservations = Table(
    "sales_order_line_reservations",
    metadata,
    Column("order_id", String(36), ForeignKey("sales_orders.id"), primary_key=True),
    Column("line", Integer, primary_key=True),
    Column("reservation_id", String(36), primary_key=True),
    # Keeps them oldest first: a shipment issues against the oldest first.
    Column("seq", Integer, nullable=False),
    qty("open"),
    # Stock names the reservations a shortage falls on.
    Index("ix_sales_order_line_reservations_id", "reservation_id"),
)

# What pickers took for each line, and where they found the shelf short (expected set).
sales_order_picks = Table(
    "sales_order_picks",
    metadata,
    Column("order_id", String(36), ForeignKey("sales_orders.id"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("line", Integer, nullable=False),
    Column("location", String(CODE), nullable=False),
    Column("lot", String(ID), nullable=False),
    qty("quantity"),
    qty("expected", nullable=True),
    Column("actor", String(ID), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    # The shipment that issued it; 0 while it waits.
    Column("shipment", Integer, nullable=False),
    Index("ix_sales_order_picks_unshipped", "shipment", "order_id"),
)

sales_order_transitions = transitions("sales_order_transitions", "sales_orders")

purchase_orders = Table(
    "purchase_orders",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("number", String(ID), nullable=False, unique=True),
    Column("supplier", String(20), nullable=False),
    Column("state", String(20), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_purchase_orders_supplier", "supplier", "created_at"),
    Index("ix_purchase_orders_state", "state", "created_at"),
)

purchase_order_lines = Table(
    "purchase_order_lines",
    metadata,
    *item_line("purchase_orders"),
    Column("expected_date", Date),
    Column("unit_price", Exact(MONEY_PLACES)),
    qty("tolerance_percent"),
    qty("received"),
    qty("accepted"),
    qty("rejected"),
    # What is on order of an item at a warehouse is summed over these.
    Index("ix_purchase_order_lines_place", "item_sku", "warehouse"),
)

purchase_order_receipts = Table(
    "purchase_order_receipts",
    metadata,
    Column("order_id", String(36), ForeignKey("purchase_orders.id"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("line", Integer, nullable=False),
    qty("quantity"),
    Column("location", String(CODE), nullable=False),
    Column("lot", String(CODE), nullable=False),
    Column("status", String(20), nullable=False),
    Column("movement_id", String(36), nullable=False),
    Column("actor", String(ID), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
)

purchase_order_transitions = transitions("purchase_order_transitions", "purchase_orders")

purchase_suggestions = Table(
    "purchase_suggestions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("item_sku", String(40), nullable=False),
    Column("warehouse", String(20), nullable=False),
    qty("quantity"),
    Column("base_unit", String(10), nullable=False),
    Column("supplier", String(20), nullable=False),
    qty("pack_size", nullable=True),
    qty("available_to_promise"),
    qty("on_order"),
    qty("safety_stock", nullable=True),
    qty("max_stock", nullable=True),
    Column("state", String(20), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    # The threshold crossing it was drafted for.
    Column("cause", String(ID), nullable=False),
    Column("purchase_order", String(ID), nullable=False),
    Column("reason", String(TEXT), nullable=False),
    Column("decided_by", String(ID), nullable=False),
    Column("decided_at", UtcDateTime()),
    Index("ix_purchase_suggestions_created", "created_at", "id"),
    # Never two open suggestions for one place, whichever replica drafts them.
    Index(
        "ux_purchase_suggestions_open",
        "item_sku",
        "warehouse",
        unique=True,
        sqlite_where=text("state = 'OPEN'"),
        postgresql_where=text("state = 'OPEN'"),
    ),
)

# Customer returns (RMA-000001, …) against shipped order lines.
customer_returns = Table(
    "customer_returns",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("number", String(ID), nullable=False, unique=True),
    Column("order_number", String(ID), nullable=False),
    Column("line", Integer, nullable=False),
    Column("item_sku", String(40), nullable=False),
    Column("warehouse", String(20), nullable=False),
    Column("location", String(CODE), nullable=False),
    Column("lot", String(ID), nullable=False),
    qty("quantity"),
    Column("reason", String(TEXT), nullable=False),
    Column("actor", String(ID), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    # Stock's RETURN movement once posted; empty until then.
    Column("movement_id", String(36), nullable=False),
    Index("ix_customer_returns_order", "order_number", "line"),
)
