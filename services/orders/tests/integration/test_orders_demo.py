"""The demo orders `make run` loads: the work order for city bikes released against the demo
BOM, its short frames suggested as a child work order, loaded once however often."""

from __future__ import annotations

from orders_support import Suite

from catalog import demo as catalog_demo
from invariant.orders.v1 import orders_pb2 as pb
from orders import demo
from stock import demo as stock_demo


async def test_the_demo_work_order_is_released_and_loads_once(suite: Suite) -> None:
    await catalog_demo.load(suite.catalog)
    await stock_demo.load(suite.stock)
    await demo.load(suite.orders)
    await demo.load(suite.orders)

    (order,) = (await suite.orders.ListWorkOrders(pb.ListWorkOrdersRequest())).orders
    assert (order.item_sku, order.state, order.base_quantity.value) == ("BIKE-CITY", pb.WORK_ORDER_STATE_RELEASED, "5")
    required = {c.item_sku: (c.required.value, c.shortfall.value) for c in order.components}
    # 5 bikes: a frame each (all 20 in inspection), a pair of wheels each, 8 bolts each with 2 % scrap.
    assert required == {"FRAME-AL": ("5", "5"), "WHEEL-28": ("10", "0"), "BOLT-M6": ("40.8", "0")}
    assert [(s.item_sku, s.quantity.value) for s in order.suggested_work_orders] == [("FRAME-AL", "5")]
