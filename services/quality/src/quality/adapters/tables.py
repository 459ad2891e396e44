"""The quality service's own schema."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, MetaData, String, Table, Text

from invariant_core.db import plumbing_tables
from invariant_core.outgoing import outgoing_table
from invariant_core.types import Exact, UtcDateTime
from invariant_kernel.decimals import QUANTITY_PLACES
from invariant_kernel.limits import CODE, ID, NAME, TEXT

metadata = MetaData()
plumbing_tables(metadata)
# Quality asks stock to hold goods by hand after its own transactions commit.
outgoing_table(metadata)

plans = Table(
    "plans",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("item_sku", String(CODE), nullable=False),
    # Empty: the item's plan for every supplier.
    Column("supplier", String(CODE), nullable=False),
    Column("version", Integer, nullable=False),
    Column("state", String(20), nullable=False),
    # FIXED (sample_size, accept) or AQL (level, aql).
    Column("sampling", String(10), nullable=False),
    Column("sample_size", Integer),
    Column("accept", Integer),
    Column("level", String(3)),
    # As the standard prints it ("0.010"), one of its series.
    Column("aql", String(10)),
    Column("created_by", String(ID), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("activated_at", UtcDateTime()),
    Column("superseded_at", UtcDateTime()),
    Index("ux_plans_version", "item_sku", "supplier", "version", unique=True),
)

characteristics = Table(
    "plan_characteristics",
    metadata,
    Column("plan_id", String(ID), ForeignKey("plans.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("code", String(CODE), nullable=False),
    Column("name", String(NAME), nullable=False),
    # MEASURED (nominal, lower, upper, unit) or ATTRIBUTE (defect_codes).
    Column("kind", String(10), nullable=False),
    Column("nominal", Exact(QUANTITY_PLACES)),
    Column("lower", Exact(QUANTITY_PLACES)),
    Column("upper", Exact(QUANTITY_PLACES)),
    Column("unit", String(CODE)),
    # The defect codes, one per line.
    Column("defect_codes", Text),
)

lots = Table(
    "inspection_lots",
    metadata,
    Column("id", String(36), primary_key=True),
    # The stock movement that put the goods on hold: one lot per movement, however often its
    # event comes. Empty (NULL) for a hold by hand until stock has posted it.
    Column("movement_id", String(ID), unique=True),
    Column("item_sku", String(CODE), nullable=False),
    Column("warehouse", String(CODE), nullable=False),
    Column("location", String(CODE), nullable=False),
    Column("lot", String(CODE), nullable=False),
    Column("quantity", Exact(QUANTITY_PLACES), nullable=False),
    Column("document_type", String(CODE), nullable=False),
    Column("document_id", String(ID), nullable=False),
    Column("document_line", String(CODE), nullable=False),
    Column("supplier", String(ID), nullable=False),
    Column("supplier_lot", String(ID), nullable=False),
    Column("plan_id", String(ID), ForeignKey("plans.id"), nullable=False),
    # The sample the plan asked of the lot's size when it was opened.
    Column("sample_size", Integer, nullable=False),
    Column("accept", Integer, nullable=False),
    Column("reject", Integer, nullable=False),
    Column("every_unit", Boolean, nullable=False),
    Column("table_letter", String(1), nullable=False),
    Column("code_letter", String(1), nullable=False),
    # HOLDING, NOT_HELD, OPEN or DECIDED: kept for lists by state.
    Column("state", String(10), nullable=False),
    Column("opened_by", String(ID), nullable=False),
    Column("opened_at", UtcDateTime(), nullable=False),
    Column("reason", String(TEXT), nullable=False),
    Column("hold_refusal", String(TEXT), nullable=False),
    Index("ix_inspection_lots_opened", "opened_at", "id"),
    Index("ix_inspection_lots_state", "state", "opened_at", "id"),
    Index("ix_inspection_lots_item", "item_sku", "opened_at", "id"),
)

results = Table(
    "inspection_results",
    metadata,
    Column("lot_id", String(36), ForeignKey("inspection_lots.id"), primary_key=True),
    Column("sample", Integer, primary_key=True),
    Column("characteristic", String(CODE), primary_key=True),
    # The order the results were recorded in, within the lot.
    Column("seq", Integer, nullable=False),
    Column("conforming", Boolean, nullable=False),
    Column("value", Exact(QUANTITY_PLACES)),
    Column("defect_code", String(CODE), nullable=False),
    Column("inspector", String(ID), nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
)

decisions = Table(
    "inspection_decisions",
    metadata,
    Column("id", String(36), primary_key=True),
    # A lot is decided once.
    Column("lot_id", String(36), ForeignKey("inspection_lots.id"), nullable=False, unique=True),
    Column("outcome", String(10), nullable=False),
    Column("accepted", Exact(QUANTITY_PLACES), nullable=False),
    Column("rejected", Exact(QUANTITY_PLACES), nullable=False),
    Column("verdict", String(10), nullable=False),
    Column("decided_by", String(ID), nullable=False),
    Column("decided_at", UtcDateTime(), nullable=False),
)
