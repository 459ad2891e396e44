"""The catalog's own database schema (nobody else reads it)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from invariant_core.db import plumbing_tables
from invariant_core.types import Exact
from invariant_kernel.decimals import MONEY_PLACES, QUANTITY_PLACES

metadata = MetaData()
plumbing_tables(metadata)

items = Table(
    "items",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("sku", String(40), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("name_folded", String(200), nullable=False, index=True),
    Column("base_unit", String(16), nullable=False),
    Column("standard_cost", Exact(MONEY_PLACES), nullable=False),
    Column("lot_tracked", Boolean, nullable=False),
    Column("inspect_on_receipt", Boolean, nullable=False),
    Column("inspect_on_production", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", BigInteger, nullable=False, server_default="1"),
)

item_units = Table(
    "item_units",
    metadata,
    Column("item_id", String(36), ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    Column("unit", String(16), primary_key=True),
    Column("factor", Exact(QUANTITY_PLACES), nullable=False),
    Column("position", Integer, nullable=False),
)

barcodes = Table(
    "barcodes",
    metadata,
    # The primary key makes a barcode unique across items, whatever races the check.
    Column("code", String(64), primary_key=True),
    Column("item_id", String(36), ForeignKey("items.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("symbology", String(8), nullable=False),
    Column("position", Integer, nullable=False),
)

thresholds = Table(
    "thresholds",
    metadata,
    Column("item_id", String(36), ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    Column("warehouse", String(20), primary_key=True),
    Column("safety_stock", Exact(QUANTITY_PLACES), nullable=False),
    Column("max_stock", Exact(QUANTITY_PLACES), nullable=False),
)

bom_versions = Table(
    "bom_versions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("parent_sku", String(40), ForeignKey("items.sku"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("state", String(10), nullable=False),
    Column("effective_from", Date, nullable=False),
    Column("effective_to", Date),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("parent_sku", "version"),
)

bom_lines = Table(
    "bom_lines",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("bom_id", String(36), ForeignKey("bom_versions.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("component_sku", String(40), ForeignKey("items.sku"), nullable=False, index=True),
    Column("quantity", Exact(QUANTITY_PLACES), nullable=False),
    Column("unit", String(16), nullable=False),
    Column("scrap_percent", Exact(MONEY_PLACES), nullable=False),
    UniqueConstraint("bom_id", "component_sku"),
)

audit = Table(
    "audit",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(36), nullable=False, unique=True),
    Column("sku", String(40), nullable=False),
    Column("entity", String(12), nullable=False),
    Column("entity_id", String(60), nullable=False),
    Column("action", String(20), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("changes", Text, nullable=False),
    Column("correlation_id", String(64), nullable=False),
    Index("ix_audit_sku_seq", "sku", "seq"),
)
