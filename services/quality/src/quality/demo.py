"""Demo inspection plan for `make run`, on the demo catalog's items: aluminium frames, which
the catalog inspects on receipt, are checked for their tube wall and their welds, sampled at
AQL 2.5, general level II.

The demo stock's receipt of 20 frames into QC_HOLD (purchase order PO-DEMO-1) opens an
inspection lot here by itself: it waits for inspection, judged by this plan, or by the
default visual check when the receipt reached quality before the plan was in force.

Every command carries a fixed idempotency key, so loading it again changes nothing.
"""

from __future__ import annotations

from google.type.decimal_pb2 import Decimal as PbDecimal

from invariant.quality.v1 import quality_pb2 as pb
from invariant.quality.v1 import quality_pb2_grpc


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
