"""Plans as the quality tests build them."""

from __future__ import annotations

from datetime import UTC, datetime

from quality.domain.plans import Attribute, InspectionPlan, Measured, Sampling

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
SKU = "BOLT-M8"
SUPPLIER = "SUP-ACME"


def diameter() -> Measured:
    return Measured.of("DIA", "Shank diameter", "8.00", "7.90", "8.05", "mm")


def finish() -> Attribute:
    return Attribute.of("FINISH", "Surface finish", ["SCRATCH", "RUST"])


def active_plan(sampling: Sampling, *, version: int = 1, supplier: str = "", plan_id: str = "") -> InspectionPlan:
    plan = InspectionPlan.new_draft(
        id=plan_id or f"plan-{supplier or 'any'}-{version}",
        item_sku=SKU,
        supplier=supplier,
        version=version,
        characteristics=[diameter(), finish()],
        sampling=sampling,
        actor="qe",
        now=NOW,
    )
    plan.activate(None, NOW)
    return plan
