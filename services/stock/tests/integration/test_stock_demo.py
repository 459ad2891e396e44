"""The demo `make run` loads: stock on the demo catalog's items, the same however often it is loaded."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from stock_support import assert_no_drift, movements

from catalog import demo as catalog_demo
from invariant.stock.v1 import stock_pb2 as pb
from stock import demo


async def test_the_demo_stock_loads_once_however_often_it_is_loaded(services: Any) -> None:
    await catalog_demo.load(services.catalog)
    await demo.load(services.stock)
    history = {sku: await movements(services, sku) for sku, *_ in demo.RECEIPTS}
    await demo.load(services.stock)
    assert {sku: await movements(services, sku) for sku, *_ in demo.RECEIPTS} == history

    async def availability(sku: str, warehouse: str) -> Any:
        return await services.stock.GetAvailability(pb.GetAvailabilityRequest(item_sku=sku, warehouse=warehouse))

    bolts = await availability("BOLT-M6", "MAIN")
    assert Decimal(bolts.available_on_hand.value) == 1000  # 10 BOX of 100
    bikes = await availability("BIKE-CITY", "EAST")
    assert (Decimal(bikes.reserved.value), Decimal(bikes.available_to_promise.value)) == (2, 4)
    await assert_no_drift(services)
