"""Demo inspection plan for `make run`, on the demo catalog's items: aluminium frames, which
the catalog inspects on receipt, are checked for their tube wall and their welds, sampled at
AQL 2.5, general level II.

Once the plan is in force, 20 frames are received at stock into QC_HOLD in the main
warehouse's quarantine (purchase order PO-DEMO-1), which opens an inspection lot here by
itself: it waits for inspection, judged by this plan. The receipt is posted here, not with
the demo stock, because a lot is judged by the plan in force when its receipt reaches
quality, and the demo stock is loaded first. Stock is found at the address quality itself
is given (STOCK_ADDR), as `make run` gives it to every service.

Every command carries a fixed idempotency key, so loading it again changes nothing.
"""

from __future__ import annotations

from google.type.decimal_pb2 import Decimal as PbDecimal

from invariant.quality.v1 import quality_pb2 as pb
from invariant.quality.v1 import quality_pb2_grpc
from invariant.stock.v1 import stock_pb2 as spb
from invariant.stock.v1 import stock_pb2_grpc
from invariant_core import rpc
from invariant_core.settings import Settings


async def load(stub: quality_pb2_grpc.QualityServiceStub) -> None:
    plan = await stub.DraftPlan(
        pb.DraftPlanRequest(
            idempotency_key="demo-plan-frame",
            item_sku="FRAME-AL",
            characteristics=[
                pb.Characteristic(
                    code="WALL",
                    name="Tube wall thickness",
                    measured=pb.MeasuredCharacteristic(
                        nominal=PbDecimal(value="1.6"),
                        lower=PbDecimal(value="1.5"),
                        upper=PbDecimal(value="1.7"),
                        unit="MM",
                    ),
                ),
                pb.Characteristic(
                    code="WELD",
                    name="Welds",
                    attribute=pb.AttributeCharacteristic(defect_codes=["CRACK", "POROSITY", "SPATTER"]),
                ),
            ],
            sampling=pb.Sampling(aql=pb.AqlSampling(level=pb.INSPECTION_LEVEL_II, aql=PbDecimal(value="2.5"))),
        )
    )
    await stub.ActivatePlan(pb.ActivatePlanRequest(idempotency_key="demo-activate-frame", plan_id=plan.id))
    async with rpc.channel(Settings.from_env("quality").peers["stock"], []) as channel:
        stock = stock_pb2_grpc.StockServiceStub(channel)  # type: ignore[no-untyped-call]
        await stock.PostMovement(
            spb.PostMovementRequest(
                idempotency_key="demo-receipt-FRAME-AL",
                type=spb.MOVEMENT_TYPE_RECEIPT,
                item_sku="FRAME-AL",
                quantity=PbDecimal(value="20"),
                to=spb.StockPlace(warehouse="MAIN", location="QA", lot="F-2611", status=spb.STOCK_STATUS_QC_HOLD),
                document=spb.DocumentRef(type="PURCHASE_ORDER", id="PO-DEMO-1"),
            )
        )
