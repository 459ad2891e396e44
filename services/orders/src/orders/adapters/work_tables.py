"""The orders service's tables for work orders (beside its own schema in tables.py)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, ForeignKey, Index, Integer, String, Table, Text

from invariant_core.types import Exact, UtcDateTime
from invariant_kernel.decimals import MONEY_PLACES
from invariant_kernel.limits import ID, TEXT
from orders.adapters.tables import metadata, qty, transitions

# Per item: the percent of a component's requirement that may be issued beyond it unapproved.
issue_tolerances = Table(
    "issue_tolerances",
    metadata,
    Column("item_sku", String(40), primary_key=True),
    Column("percent", Exact(2), nullable=False),
)

work_orders = Table(
    "work_orders",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("number", String(ID), nullable=False, unique=True),
    Column("item_sku", String(40), nullable=False),
    qty("quantity"),
    Column("unit", String(10), nullable=False),
    qty("base_quantity"),
    Column("base_unit", String(10), nullable=False),
    Column("warehouse", String(20), nullable=False),
    Column("due_date", Date),
    Column("state", String(20), nullable=False),
    Column("kind", String(20), nullable=False, server_default="PRODUCTION"),
    # A rework order's rejected goods: the record that rejected them, and where they lie.
    Column("rework_document_type", String(20)),
    Column("rework_document_id", String(ID)),
    Column("rework_document_line", String(ID)),
    Column("rework_location", String(20)),
    Column("rework_lot", String(ID)),
    # The BOM version pinned at release, and the day it was in effect.
    Column("bom_id", String(36), nullable=False),
    Column("bom_version", Integer, nullable=False),
    Column("released_on", Date),
    qty("completed"),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_work_orders_state", "state", "number"),
)

work_order_components = Table(
    "work_order_components",
    metadata,
    Column("order_id", String(36), ForeignKey("work_orders.id"), primary_key=True),
    Column("item_sku", String(40), primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("base_unit", String(10), nullable=False),
    qty("required"),
    Column("has_bom", Boolean, nullable=False),
    Column("tolerance_percent", Exact(2), nullable=False),
    Column("reservation_id", String(36), nullable=False),
    qty("reserved"),
    qty("shortfall"),
    qty("issued"),
    qty("returned"),
    qty("over_issued"),
    qty("still_reserved"),
    qty("standard", nullable=True),
    Column("standard_cost", Exact(MONEY_PLACES)),
)

work_order_over_issues = Table(
    "work_order_over_issues",
    metadata,
    Column("number", String(ID), primary_key=True),
    Column("order_id", String(36), ForeignKey("work_orders.id"), nullable=False),
    Column("item_sku", String(40), nullable=False),
    qty("quantity"),
    Column("reason", String(TEXT), nullable=False),
    Column("state", String(20), nullable=False),
    Column("requested_by", String(ID), nullable=False),
    Column("requested_at", UtcDateTime(), nullable=False),
    Column("decided_by", String(ID), nullable=False),
    Column("decided_at", UtcDateTime()),
    Column("decision_reason", String(TEXT), nullable=False),
    Index("ix_work_order_over_issues_order", "order_id", "number"),
)

work_order_postings = Table(
    "work_order_postings",
    metadata,
    Column("order_id", String(36), ForeignKey("work_orders.id"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("item_sku", String(40), nullable=False),
    qty("quantity"),
    Column("location", String(40), nullable=False),
    Column("lot", String(ID), nullable=False),
    # Stock's movements, comma-separated: an issue may take from the reservation and beyond it.
    Column("movement_ids", Text, nullable=False),
    Column("actor", String(ID), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
)

work_order_transitions = transitions("work_order_transitions", "work_orders")

# What issues under way hold of a component's allowance: taken in a transaction of its own
# before stock is asked, dropped by the transaction that records the issue (or when stock
# refuses it), so that two issues at once cannot both pass the allowance.
work_order_claims = Table(
    "work_order_claims",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("item_sku", String(40), primary_key=True),
    Column("order_id", String(36), ForeignKey("work_orders.id"), nullable=False),
    qty("quantity"),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_work_order_claims_order", "order_id", "created_at"),
)
