"""Plans and lots as the quality tests build them."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from quality.domain.lots import DocumentRef, DocumentType, InspectionLot, Place
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


def open_lot(plan: InspectionPlan, quantity: str = "100") -> InspectionLot:
    return InspectionLot.open(
        id="IL-1",
        movement_id="mov-1",
        item_sku=SKU,
        place=Place("MAIN", "RECV-QC", "L-2026-12"),
        quantity=Decimal(quantity),
        document=DocumentRef(DocumentType.PURCHASE_ORDER, "PO-000042", "3"),
        supplier=SUPPLIER,
        supplier_lot="ACME-7781",
        plan=plan,
        now=NOW,
    )
