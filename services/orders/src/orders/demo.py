"""Demo orders for `make run`, on the demo catalog's items and stock: a customer, a supplier,
a customer's order for city bikes from the east depot, confirmed; a purchase order for
aluminium frames into the main warehouse, sent to the supplier; and a work order for five
city bikes at the main warehouse, released against the demo BOM (its frames wait in
inspection, so they are short and suggested as a child work order).

Every command carries a fixed idempotency key, so loading it again changes nothing.
"""

from __future__ import annotations

from google.type.decimal_pb2 import Decimal as PbDecimal

from invariant.orders.v1 import orders_pb2 as pb
from invariant.orders.v1 import orders_pb2_grpc


async def load(stub: orders_pb2_grpc.OrdersServiceStub) -> None:
    await stub.CreateCustomer(
        pb.CreateCustomerRequest(idempotency_key="demo-customer-city", code="CITY-CYCLES", name="City Cycles")
    )
    await stub.CreateSupplier(
        pb.CreateSupplierRequest(
            idempotency_key="demo-supplier-alu",
            code="ALU-WORKS",
            name="Alu Works",
            items=[
                pb.SupplierItem(item_sku="FRAME-AL", pack_size=PbDecimal(value="5"), lead_time_days=14),
                pb.SupplierItem(item_sku="TUBE-AL-25", lead_time_days=7),
            ],
        )
    )
    order = await stub.CreateSalesOrder(
        pb.CreateSalesOrderRequest(
            idempotency_key="demo-sales-order-city",
            customer="CITY-CYCLES",
            customer_reference="PO 4711",
            lines=[pb.SalesOrderLineInput(item_sku="BIKE-CITY", quantity=PbDecimal(value="3"), warehouse="EAST")],
        )
    )
    await stub.ConfirmSalesOrder(pb.ConfirmSalesOrderRequest(idempotency_key="demo-confirm-city", number=order.number))
    work = await stub.CreateWorkOrder(
        pb.CreateWorkOrderRequest(
            idempotency_key="demo-work-order-bikes",
            item_sku="BIKE-CITY",
            quantity=PbDecimal(value="5"),
            warehouse="MAIN",
        )
    )
    await stub.ReleaseWorkOrder(pb.ReleaseWorkOrderRequest(idempotency_key="demo-release-bikes", number=work.number))
    purchase = await stub.CreatePurchaseOrder(
        pb.CreatePurchaseOrderRequest(
            idempotency_key="demo-purchase-order-alu",
            supplier="ALU-WORKS",
            lines=[
                pb.PurchaseOrderLineInput(
                    item_sku="FRAME-AL",
                    quantity=PbDecimal(value="10"),
                    warehouse="MAIN",
                    unit_price=PbDecimal(value="52.00"),
                    over_receipt_tolerance_percent=PbDecimal(value="5"),
                )
            ],
        )
    )
    await stub.SendPurchaseOrder(pb.SendPurchaseOrderRequest(idempotency_key="demo-send-alu", number=purchase.number))
