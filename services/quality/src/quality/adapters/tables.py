"""The quality service's own schema."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, MetaData, String, Table, Text

from invariant_core.db import plumbing_tables
from invariant_core.outgoing import outgoing_table
from invariant_core.types import Exact, UtcDateTime
from invariant_kernel.decimals import MONEY_PLACES, QUANTITY_PLACES
from invariant_kernel.limits import CODE, ID, NAME, TEXT

metadata = MetaData()
plumbing_tables(metadata)
# Quality asks stock to hold goods by hand, and orders to rework them, after its own transactions commit.
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
    # Per base unit, as the catalog gave it when the lot was decided: what rejects cost.
    Column("standard_cost", Exact(MONEY_PLACES)),
)

nonconformances = Table(
    "nonconformances",
    metadata,
    Column("id", String(36), primary_key=True),
    # One record per decision that rejected goods.
    Column("decision_id", String(36), nullable=False, unique=True),
    Column("inspection_lot_id", String(36), ForeignKey("inspection_lots.id"), nullable=False),
    Column("item_sku", String(CODE), nullable=False),
    Column("supplier", String(ID), nullable=False),
    Column("warehouse", String(CODE), nullable=False),
    Column("location", String(CODE), nullable=False),
    Column("lot", String(CODE), nullable=False),
    # Stock has put the rejected goods aside at (warehouse, location): dispositions are sent.
    Column("located", Boolean, nullable=False),
    Column("rejected", Exact(QUANTITY_PLACES), nullable=False),
    # The defects found, "CODE count" one per line, most frequent first.
    Column("defects", Text, nullable=False),
    Column("state", String(10), nullable=False),
    # References to photos, one per line.
    Column("photos", Text, nullable=False),
    Column("root_cause", Text, nullable=False),
    Column("opened_by", String(ID), nullable=False),
    Column("opened_at", UtcDateTime(), nullable=False),
    Column("closed_by", String(ID), nullable=False),
    Column("closed_at", UtcDateTime()),
    Index("ix_nonconformances_opened", "opened_at", "id"),
    Index("ix_nonconformances_state", "state", "opened_at", "id"),
    Index("ix_nonconformances_supplier", "supplier", "opened_at", "id"),
)

dispositions = Table(
    "dispositions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("ncr_id", String(36), ForeignKey("nonconformances.id"), nullable=False),
    # The order they were planned in, within the record.
    Column("position", Integer, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("quantity", Exact(QUANTITY_PLACES), nullable=False),
    Column("state", String(12), nullable=False),
    Column("planned_by", String(ID), nullable=False),
    Column("planned_at", UtcDateTime(), nullable=False),
    Column("approved_by", String(ID), nullable=False),
    Column("approved_at", UtcDateTime()),
    Column("requested", Boolean, nullable=False),
    Column("refusal", String(TEXT), nullable=False),
    Column("movement_id", String(ID), nullable=False),
    Column("work_order_id", String(ID), nullable=False),
    Column("carried_out_by", String(ID), nullable=False),
    Column("carried_out_at", UtcDateTime()),
    Column("withdrawn_by", String(ID), nullable=False),
    Column("withdrawn_at", UtcDateTime()),
    Index("ix_dispositions_ncr", "ncr_id", "position"),
)

# Rework work orders: the disposition each reworks (once orders answered) and what stock issued
# to it (told by stock's movements, which may come first). The row is where the two meet.
rework_orders = Table(
    "rework_orders",
    metadata,
    Column("work_order", String(ID), primary_key=True),
    Column("ncr_id", String(ID), nullable=False),
    Column("disposition_id", String(ID), nullable=False),
    Column("issued", Exact(QUANTITY_PLACES), nullable=False),
    # The last movement that issued to it, and who posted it.
    Column("movement_id", String(ID), nullable=False),
    Column("actor", String(ID), nullable=False),
)

# The genealogy: what stock's movements and orders' shipments said of lots, each fact once.
lot_facts = Table(
    "lot_facts",
    metadata,
    # The stock movement's id, or the shipment's line ("order id/shipment/n").
    Column("fact_id", String(100), primary_key=True),
    # RECEIPT (from a supplier), WORK_ORDER (issued to or received from one) or SHIPMENT.
    Column("kind", String(10), nullable=False),
    Column("item_sku", String(CODE), nullable=False),
    Column("lot", String(CODE), nullable=False),
    # In the item's base unit; for a work order negative when issued to it.
    Column("quantity", Exact(QUANTITY_PLACES), nullable=False),
    # The purchase order, work order or sales order, and the line.
    Column("document_id", String(ID), nullable=False),
    Column("document_line", String(CODE), nullable=False),
    Column("supplier", String(CODE), nullable=False),
    Column("supplier_lot", String(CODE), nullable=False),
    Column("customer", String(ID), nullable=False),
    # Who posted it: for a work order's receipt, who reported the work.
    Column("actor", String(ID), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Index("ix_lot_facts_lot", "item_sku", "lot", "kind"),
    Index("ix_lot_facts_document", "kind", "document_id"),
    Index("ix_lot_facts_supplier_lot", "supplier", "supplier_lot", "item_sku"),
)
