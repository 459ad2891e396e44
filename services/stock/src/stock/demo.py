"""Demo stock for `make run`, on the demo catalog's items: two warehouses with stock to play with.

Every command carries a fixed idempotency key, so loading it again changes nothing.
"""

from __future__ import annotations

from google.type.decimal_pb2 import Decimal as PbDecimal

from invariant.stock.v1 import stock_pb2 as pb
from invariant.stock.v1 import stock_pb2_grpc

WAREHOUSES = [("MAIN", "Main warehouse"), ("EAST", "East depot")]
LOCATIONS = [
    ("MAIN", "A-01", pb.LOCATION_KIND_STORAGE),
    ("MAIN", "RCV", pb.LOCATION_KIND_RECEIVING),
    ("MAIN", "QA", pb.LOCATION_KIND_QUARANTINE),
    ("EAST", "A-01", pb.LOCATION_KIND_STORAGE),
]
RECEIPTS = [
    # sku, quantity, unit, warehouse, location, lot, status
    ("BOLT-M6", "10", "BOX", "MAIN", "A-01", "", pb.STOCK_STATUS_AVAILABLE),
    ("SPOKE-2MM", "5", "BOX", "MAIN", "A-01", "", pb.STOCK_STATUS_AVAILABLE),
    ("WHEEL-28", "20", "PAIR", "MAIN", "A-01", "", pb.STOCK_STATUS_AVAILABLE),
    ("TUBE-AL-25", "120", "M", "MAIN", "A-01", "T-2611", pb.STOCK_STATUS_AVAILABLE),
    ("BIKE-CITY", "6", "", "EAST", "A-01", "", pb.STOCK_STATUS_AVAILABLE),
]


async def load(stub: stock_pb2_grpc.StockServiceStub) -> None:
    for code, name in WAREHOUSES:
        await stub.CreateWarehouse(pb.CreateWarehouseRequest(idempotency_key=f"demo-wh-{code}", code=code, name=name))
    for warehouse, code, kind in LOCATIONS:
        await stub.CreateLocation(
            pb.CreateLocationRequest(
                idempotency_key=f"demo-loc-{warehouse}-{code}", warehouse=warehouse, code=code, kind=kind
            )
        )
    for sku, quantity, unit, warehouse, location, lot, status in RECEIPTS:
        await stub.PostMovement(
            pb.PostMovementRequest(
                idempotency_key=f"demo-receipt-{sku}",
                type=pb.MOVEMENT_TYPE_RECEIPT,
                item_sku=sku,
                quantity=PbDecimal(value=quantity),
                unit=unit,
                to=pb.StockPlace(warehouse=warehouse, location=location, lot=lot, status=status),
                document=pb.DocumentRef(type="PURCHASE_ORDER", id="PO-DEMO-1"),
            )
        )
    await stub.Reserve(
        pb.ReserveRequest(
            idempotency_key="demo-reserve-SO-1001",
            lines=[pb.ReservationLine(item_sku="BIKE-CITY", warehouse="EAST", quantity=PbDecimal(value="2"))],
            owner=pb.DocumentRef(type="SALES_ORDER", id="SO-1001", line="1"),
        )
    )
