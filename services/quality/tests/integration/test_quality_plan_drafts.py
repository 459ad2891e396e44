"""Drafts of one item's plan written at the same moment, over real gRPC: each gets its own
version, consecutive, none refused, however many race (a lost race on the version index is
run again only once)."""

from __future__ import annotations

import asyncio

from quality_support import ENGINEER, Suite, inspected_item, key

from invariant.quality.v1 import quality_pb2 as pb
from invariant_core import identity

ROUNDS = 3
AT_ONCE = 4


def draft(sku: str, supplier: str) -> pb.DraftPlanRequest:
    return pb.DraftPlanRequest(
        idempotency_key=key(),
        item_sku=sku,
        supplier=supplier,
        characteristics=[
            pb.Characteristic(
                code="FINISH", name="Surface finish", attribute=pb.AttributeCharacteristic(defect_codes=["RUST"])
            )
        ],
        sampling=pb.Sampling(fixed=pb.FixedSampling(size=5, accept=0)),
    )


async def test_drafts_of_one_item_and_supplier_at_once_get_consecutive_versions(suite: Suite) -> None:
    sku = await inspected_item(suite)
    with identity.acting(ENGINEER):
        for supplier in ("ACME", ""):
            for _ in range(ROUNDS):
                await asyncio.gather(*(suite.quality.DraftPlan(draft(sku, supplier)) for _ in range(AT_ONCE)))

    found = await suite.quality.ListPlans(pb.ListPlansRequest(item_sku=sku, page_size=100))
    versions = sorted((plan.supplier, plan.version) for plan in found.plans)
    assert versions == sorted([(supplier, n) for supplier in ("ACME", "") for n in range(1, AT_ONCE * ROUNDS + 1)])
