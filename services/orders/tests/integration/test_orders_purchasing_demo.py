"""The demo purchase order `make run` loads: sent to its supplier, on order, loaded once however often."""

from __future__ import annotations

from orders_support import Suite

from catalog import demo as catalog_demo
from invariant.orders.v1 import orders_pb2 as pb
from orders import demo
from stock import demo as stock_demo


async def test_the_demo_purchase_order_is_sent_and_on_order_once(suite: Suite) -> None:
    await catalog_demo.load(suite.catalog)
    await stock_demo.load(suite.stock)
    await demo.load(suite.orders)
    await demo.load(suite.orders)

    (order,) = (await suite.orders.ListPurchaseOrders(pb.ListPurchaseOrdersRequest(supplier="ALU-WORKS"))).orders
    assert order.state == pb.PURCHASE_ORDER_STATE_SENT
    assert [(line.item_sku, line.warehouse, line.base_quantity.value) for line in order.lines] == [
        ("FRAME-AL", "MAIN", "10")
    ]
    on_order = await suite.orders.GetOnOrder(pb.GetOnOrderRequest(item_sku="FRAME-AL", warehouse="MAIN"))
    assert on_order.quantity.value == "10"
