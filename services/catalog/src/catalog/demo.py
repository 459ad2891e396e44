"""A small demo catalog for `make run`: a bicycle with a two-level BOM.

Every command carries a fixed idempotency key, so loading it again changes nothing.
"""

from __future__ import annotations

from google.type.decimal_pb2 import Decimal as PbDecimal

from invariant.catalog.v1 import catalog_pb2 as pb
from invariant.catalog.v1 import catalog_pb2_grpc

ITEMS = [
    # sku, name, base unit, (unit, factor), barcode, cost, lot tracked, inspect on receipt
    ("BIKE-CITY", "City bicycle", "EA", None, "4006381333931", "180.00", False, False),
    ("FRAME-AL", "Aluminium frame", "EA", None, "", "55.00", True, True),
    ("WHEEL-28", "Wheel 28 inch", "EA", ("PAIR", "2"), "036000291452", "21.50", False, False),
    ("TUBE-AL-25", "Aluminium tube 25 mm", "M", None, "", "3.20", True, True),
    ("BOLT-M6", "Bolt M6x20", "EA", ("BOX", "100"), "", "0.04", False, False),
    ("SPOKE-2MM", "Spoke 2 mm", "EA", ("BOX", "144"), "", "0.12", False, False),
]

BOMS = {
    "FRAME-AL": [("TUBE-AL-25", "2.4", "M", "5"), ("BOLT-M6", "6", "EA", "2")],
    "WHEEL-28": [("SPOKE-2MM", "36", "EA", "1")],
    "BIKE-CITY": [("FRAME-AL", "1", "EA", "0"), ("WHEEL-28", "1", "PAIR", "0"), ("BOLT-M6", "8", "EA", "2")],
}

THRESHOLDS = [("BOLT-M6", "MAIN", "500", "5000"), ("SPOKE-2MM", "MAIN", "720", "7200")]


async def load(stub: catalog_pb2_grpc.CatalogServiceStub) -> None:
    for sku, name, base, unit, barcode, cost, lots, inspect in ITEMS:
        await stub.CreateItem(
            pb.CreateItemRequest(
                idempotency_key=f"demo-item-{sku}",
                sku=sku,
                name=name,
                base_unit=base,
                units=[pb.UnitConversion(unit=unit[0], factor=PbDecimal(value=unit[1]))] if unit else [],
                barcodes=[pb.Barcode(code=barcode)] if barcode else [],
                standard_cost=PbDecimal(value=cost),
                lot_tracked=lots,
                inspect_on_receipt=inspect,
            )
        )
    for sku, warehouse, safety, maximum in THRESHOLDS:
        await stub.SetThresholds(
            pb.SetThresholdsRequest(
                idempotency_key=f"demo-thresholds-{sku}-{warehouse}",
                sku=sku,
                warehouse=warehouse,
                safety_stock=PbDecimal(value=safety),
                max_stock=PbDecimal(value=maximum),
            )
        )
    for parent, lines in BOMS.items():
        bom = await stub.CreateBomVersion(
            pb.CreateBomVersionRequest(idempotency_key=f"demo-bom-{parent}", parent_sku=parent)
        )
        for component, quantity, line_unit, scrap in lines:
            await stub.AddBomLine(
                pb.AddBomLineRequest(
                    idempotency_key=f"demo-bom-{parent}-{component}",
                    bom_id=bom.id,
                    component_sku=component,
                    quantity=PbDecimal(value=quantity),
                    unit=line_unit,
                    scrap_percent=PbDecimal(value=scrap),
                )
            )
        await stub.ActivateBomVersion(
            pb.ActivateBomVersionRequest(idempotency_key=f"demo-bom-{parent}-activate", bom_id=bom.id)
        )
