"""The demo plan `make run` loads, and the demo stock's frames received into QC_HOLD waiting
for inspection by it, loaded once however often."""

from __future__ import annotations

from quality_support import Suite, the_lot

from catalog import demo as catalog_demo
from invariant.quality.v1 import quality_pb2 as pb
from quality import demo
from stock import demo as stock_demo


async def test_the_demo_frames_wait_for_inspection_by_the_demo_plan(suite: Suite) -> None:
    await catalog_demo.load(suite.catalog)
    await demo.load(suite.quality)
    await demo.load(suite.quality)
    await stock_demo.load(suite.stock)

    (plan,) = (await suite.quality.ListPlans(pb.ListPlansRequest(item_sku="FRAME-AL"))).plans
    assert (plan.version, plan.state, [c.code for c in plan.characteristics]) == (
        1,
        pb.PLAN_STATE_ACTIVE,
        ["WALL", "WELD"],
    )
    lot = await the_lot(suite, "FRAME-AL")
    assert (lot.state, lot.verdict, lot.plan_version) == (pb.LOT_STATE_OPEN, pb.VERDICT_UNDECIDED, 1)
    assert (lot.document.type, lot.document.id, lot.place.location, lot.place.lot) == (
        "PURCHASE_ORDER",
        "PO-DEMO-1",
        "QA",
        "F-2611",
    )
    # 20 frames at AQL 2.5, level II: code letter C, 5 samples, accepted with none defective.
    assert (lot.sampling.code_letter, lot.sampling.sample_size, lot.sampling.accept) == ("C", 5, 0)
