"""The demo count `make run` loads: open on the main warehouse's A-01 shelf, loaded once however often."""

from __future__ import annotations

from counting_support import Suite, lines

from catalog import demo as catalog_demo
from counting import demo
from invariant.counting.v1 import counting_pb2 as pb
from invariant.stock.v1 import stock_pb2 as spb
from stock import demo as stock_demo


async def test_the_demo_count_is_open_on_the_shelf_and_loads_once(suite: Suite) -> None:
    await catalog_demo.load(suite.catalog)
    await stock_demo.load(suite.stock)
    await demo.load(suite.counting)
    await demo.load(suite.counting)
    (count,) = (await suite.counting.ListCounts(pb.ListCountsRequest(warehouse="MAIN"))).counts
    assert (count.state, count.blind, list(count.counters)) == ("OPEN", True, ["demo-counter", "dev"])
    shelf = {(line.item_sku, line.location, line.lot) for line in await lines(suite, count.id)}
    assert shelf == {
        (sku, location, lot)
        for sku, _, _, warehouse, location, lot, status in stock_demo.RECEIPTS
        if (warehouse, location, status) == ("MAIN", "A-01", spb.STOCK_STATUS_AVAILABLE)
    }
