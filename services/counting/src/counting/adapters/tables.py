"""The counting service's own schema.

Entries are kept as they came (the audit trail of who counted what, when); a line's
rounds hold what each closed round found, and the line itself what stands.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from invariant_core.db import plumbing_tables
from invariant_core.types import Exact, UtcDateTime
from invariant_kernel.decimals import MONEY_PLACES, QUANTITY_PLACES

metadata = MetaData()
plumbing_tables(metadata)


def qty(name: str, nullable: bool = False) -> Column[object]:
    return Column(name, Exact(QUANTITY_PLACES), nullable=nullable)


def money(name: str, nullable: bool = False) -> Column[object]:
    return Column(name, Exact(MONEY_PLACES), nullable=nullable)


# The catalog's items as counting needs them, kept from catalog events.
items = Table(
    "items",
    metadata,
    Column("sku", String(40), primary_key=True),
    Column("base_unit", String(10), nullable=False),
    # {"BOX": "12"}: base units per unit, as exact decimal strings.
    Column("units", Text, nullable=False),
    money("standard_cost"),
    Column("lot_tracked", Boolean, nullable=False),
    # The catalog's version of the item kept here (0: kept before versions existed).
    Column("version", BigInteger, nullable=False, server_default="0"),
)

barcodes = Table(
    "barcodes",
    metadata,
    Column("barcode", String(64), primary_key=True),
    Column("item_sku", String(40), nullable=False),
)

reason_codes = Table(
    "reason_codes",
    metadata,
    Column("code", String(40), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("active", Boolean, nullable=False),
)

approval_policies = Table(
    "approval_policies",
    metadata,
    Column("warehouse", String(20), primary_key=True),
    money("supervisor_limit"),
    money("finance_limit"),
)

counts = Table(
    "counts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("warehouse", String(20), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("blind", Boolean, nullable=False),
    # JSON lists.
    Column("locations", Text, nullable=False),
    Column("item_skus", Text, nullable=False),
    Column("abc_class", String(1), nullable=False),
    qty("tolerance_quantity", nullable=True),
    Column("tolerance_percent", Exact(4), nullable=True),
    money("tolerance_value", nullable=True),
    Column("counters", Text, nullable=False),
    Column("note", Text, nullable=False),
    Column("state", String(20), nullable=False),
    # JSON list of the approval levels needed, fixed when submitted.
    Column("levels_required", Text, nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("opened_at", UtcDateTime, nullable=True),
    Index("ix_counts_warehouse_state", "warehouse", "state"),
    # Counts are listed in the order they were created.
    Index("ix_counts_created", "created_at", "id"),
)

transitions = Table(
    "transitions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("count_id", String(36), nullable=False, index=True),
    Column("from_state", String(20), nullable=False),
    Column("to_state", String(20), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("comment", Text, nullable=False),
)

approvals = Table(
    "approvals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("count_id", String(36), nullable=False, index=True),
    Column("level", String(20), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("comment", Text, nullable=False),
    # A rejection voids the approvals given before it; they stay for the trail.
    Column("void", Boolean, nullable=False),
)

lines = Table(
    "lines",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("count_id", String(36), nullable=False),
    Column("number", Integer, nullable=False),
    Column("item_sku", String(40), nullable=False),
    Column("location", String(40), nullable=False),
    Column("lot", String(40), nullable=False),
    Column("origin", String(10), nullable=False),
    Column("state", String(20), nullable=False),
    Column("round", Integer, nullable=False),
    qty("book_at_open"),
    Column("opened_at", UtcDateTime, nullable=False),
    # What stands: set when a round is accepted (or decided).
    qty("counted", nullable=True),
    Column("counted_at", UtcDateTime, nullable=True),
    qty("book", nullable=True),
    qty("variance", nullable=True),
    money("variance_value", nullable=True),
    Column("within_tolerance", Boolean, nullable=True),
    # Whether the first round was within tolerance: what record accuracy is made of.
    Column("first_round_within", Boolean, nullable=True),
    Column("moved_during_count", Boolean, nullable=False),
    Column("movement_id", String(36), nullable=True),
    UniqueConstraint("count_id", "item_sku", "location", "lot", name="ux_lines_key"),
    # No index on the state, which changes at every step of a line: see migration 0002.
    Index("ix_lines_count_number", "count_id", "number"),
)

rounds = Table(
    "rounds",
    metadata,
    Column("line_id", String(36), primary_key=True),
    Column("round", Integer, primary_key=True),
    qty("counted"),
    Column("counted_at", UtcDateTime, nullable=False),
    qty("book"),
    qty("variance"),
    Column("moved", Boolean, nullable=False),
    # JSON list of the actors whose entries made up the round.
    Column("counters", Text, nullable=False),
    # JSON object of the book's non-zero parts by stock status (its sum is `book`).
    Column("book_by_status", Text, nullable=False, server_default="{}"),
)

entries = Table(
    "entries",
    metadata,
    # Client-generated: a retried upload is recognised by it.
    Column("entry_id", String(64), primary_key=True),
    Column("count_id", String(36), nullable=False),
    Column("line_id", String(36), nullable=False),
    Column("round", Integer, nullable=False),
    Column("counter", String(100), nullable=False),
    qty("quantity"),
    # What the counter typed, for the trail.
    Column("entered", String(40), nullable=False),
    Column("unit", String(10), nullable=False),
    Column("counted_at", UtcDateTime, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Index("ix_entries_line_round", "line_id", "round"),
    Index("ix_entries_count_counter", "count_id", "counter"),
)

line_reasons = Table(
    "line_reasons",
    metadata,
    Column("line_id", String(36), primary_key=True),
    Column("reason_code", String(40), primary_key=True),
    qty("quantity"),
)

# Who moved stock at a line's place in a round's window (opened → counted), from stock's
# ledger as the round closed: a trace finds an operator recurring on the posted variance
# lines these name.
round_actors = Table(
    "round_actors",
    metadata,
    Column("line_id", String(36), primary_key=True),
    Column("round", Integer, primary_key=True),
    Column("actor", String(100), primary_key=True),
    Index("ix_round_actors_actor", "actor"),
)

# Issue value per item, warehouse and day, kept from stock's ISSUE movements: what ABC
# classes rank. Each issue adds its quantity times the item's standard cost at the time.
issue_values = Table(
    "issue_values",
    metadata,
    Column("warehouse", String(20), primary_key=True),
    Column("item_sku", String(40), primary_key=True),
    # The UTC day of the movement's business time.
    Column("day", Date, primary_key=True),
    money("value"),
)

# The latest time a fact was reported that makes an item due for counting (SHORTAGE,
# NEGATIVE_BALANCE_ATTEMPT from stock, FAILED_PICK from orders).
count_triggers = Table(
    "count_triggers",
    metadata,
    Column("warehouse", String(20), primary_key=True),
    Column("item_sku", String(40), primary_key=True),
    Column("kind", String(30), primary_key=True),
    Column("last_at", UtcDateTime, nullable=False),
)

# The latest time a pick of an item came up short at a location (orders' failed picks):
# the places its spot count covers.
failed_picks = Table(
    "failed_picks",
    metadata,
    Column("warehouse", String(20), primary_key=True),
    Column("item_sku", String(40), primary_key=True),
    Column("location", String(40), primary_key=True),
    Column("last_at", UtcDateTime, nullable=False),
)

abc_classes = Table(
    "abc_classes",
    metadata,
    Column("warehouse", String(20), primary_key=True),
    Column("item_sku", String(40), primary_key=True),
    Column("abc_class", String(1), nullable=False),
    money("issue_value"),
    # A warehouse's classes are listed class by class, each by item.
    Index("ix_abc_classes_class", "warehouse", "abc_class", "item_sku"),
)

# When a warehouse's classes were last computed (it may have none to show).
abc_computations = Table(
    "abc_computations",
    metadata,
    Column("warehouse", String(20), primary_key=True),
    Column("computed_at", UtcDateTime, nullable=False),
)

cycle_policies = Table(
    "cycle_policies",
    metadata,
    Column("warehouse", String(20), primary_key=True),
    Column("a_days", Integer, nullable=False),
    Column("b_days", Integer, nullable=False),
    Column("c_days", Integer, nullable=False),
    Column("capacity", Integer, nullable=False),
    money("large_adjustment_value"),
)

# The items a plan put on a count for a day: a later plan skips them.
planned_items = Table(
    "planned_items",
    metadata,
    Column("warehouse", String(20), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("item_sku", String(40), primary_key=True),
    Column("count_id", String(36), nullable=False),
)
