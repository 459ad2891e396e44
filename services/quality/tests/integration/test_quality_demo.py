"""The demo plan `make run` loads, and the demo frames received into QC_HOLD waiting for
inspection by it, loaded once however often, in the order `make run` loads the demos."""

from __future__ import annotations

import pytest
from quality_support import Suite, lots_of, the_lot

from catalog import demo as catalog_demo
from invariant.quality.v1 import quality_pb2 as pb
from invariant.stock.v1 import stock_pb2 as spb
from quality import demo
from stock import demo as stock_demo


async def test_the_demo_frames_wait_for_inspection_by_the_demo_plan(
    suite: Suite, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stock where `make run` tells quality it is.
    monkeypatch.setenv("STOCK_ADDR", f"127.0.0.1:{suite.running['stock'].port}")
    await catalog_demo.load(suite.catalog)
    await stock_demo.load(suite.stock)
    await demo.load(suite.quality)
    await demo.load(suite.quality)

    (plan,) = (await suite.quality.ListPlans(pb.ListPlansRequest(item_sku="FRAME-AL"))).plans
    assert (plan.version, plan.state, [c.code for c in plan.characteristics]) == (
        1,
        pb.PLAN_STATE_ACTIVE,
        ["WALL", "WELD"],
    )
    # Judged by the demo plan, never by the default visual check: the plan was in force first.
    lot = await the_lot(suite, "FRAME-AL")
    assert (lot.plan_id, lot.state, lot.verdict, lot.plan_version) == (
        plan.id,
        pb.LOT_STATE_OPEN,
        pb.VERDICT_UNDECIDED,
        1,
    )
    assert (lot.document.type, lot.document.id, lot.place.location, lot.place.lot, lot.quantity.value) == (
        "PURCHASE_ORDER",
        "PO-DEMO-1",
        "QA",
        "F-2611",
        "20",
    )
    # 20 frames at AQL 2.5, level II: code letter C, 5 samples, accepted with none defective.
    assert (lot.sampling.code_letter, lot.sampling.sample_size, lot.sampling.accept) == ("C", 5, 0)
    frames = await suite.stock.GetAvailability(spb.GetAvailabilityRequest(item_sku="FRAME-AL", warehouse="MAIN"))
    assert (frames.qc_hold.value, frames.available_on_hand.value or "0") == ("20", "0")
    assert len(await lots_of(suite, "FRAME-AL")) == 1
