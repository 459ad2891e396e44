"""Quality reads: anyone with a role may ask."""

from __future__ import annotations

from typing import Annotated

import strawberry

from gateway import described
from gateway.context import Info
from gateway.convert import enum_to_proto
from gateway.errors import call, call_or_none
from gateway.nodes import local_id
from gateway.pagination import After, Before, Connection, First, Last, connection, page_request
from gateway.quality.types import InspectionLot, InspectionLotState, InspectionPlan, InspectionPlanState
from invariant.quality.v1 import quality_pb2 as pb

SKU_FILTER = "Only this item's, by SKU (case is ignored); null for every item."


@strawberry.type
class QualityQuery:
    @described.field(
        "Inspection plans by item, supplier (the item's own plan first) and version; null filters match everything."
    )
    async def inspection_plans(
        self,
        info: Info,
        item_sku: Annotated[str | None, strawberry.argument(description=SKU_FILTER)] = None,
        state: Annotated[
            InspectionPlanState | None,
            strawberry.argument(description="Only versions in this state (ACTIVE: those in force); null for any."),
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[InspectionPlan]:
        page = page_request(first, after, last, before)
        request = pb.ListPlansRequest(
            item_sku=item_sku or "",
            state=enum_to_proto(pb.PlanState, state) if state is not None else pb.PLAN_STATE_UNSPECIFIED,
            **page.fields,
        )
        reply = await call(lambda: info.context.stubs.quality.ListPlans(request))
        plans = [InspectionPlan.from_proto(plan) for plan in reply.plans]
        return connection(plans, reply.cursors, page, reply.next_page_token)

    @described.field(
        "The inspection plan version with this id, or null when there is none. An id of another type is an error "
        "(INVALID_FORMAT)."
    )
    async def inspection_plan(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID, strawberry.argument(description="The plan's `id` (a global id, as `node` takes).")
        ],
    ) -> InspectionPlan | None:
        request = pb.GetPlanRequest(plan_id=local_id(id, InspectionPlan, "id"))
        proto = await call_or_none(lambda: info.context.stubs.quality.GetPlan(request))
        return InspectionPlan.from_proto(proto) if proto is not None else None

    @described.field(
        "Inspection lots in the order they were opened, oldest first (`last` reads the newest); null filters match "
        "everything."
    )
    async def inspection_lots(
        self,
        info: Info,
        state: Annotated[
            InspectionLotState | None,
            strawberry.argument(description="Only lots in this state (OPEN: the inspectors' work); null for any."),
        ] = None,
        item_sku: Annotated[str | None, strawberry.argument(description=SKU_FILTER)] = None,
        supplier: Annotated[
            str | None,
            strawberry.argument(description="Only this supplier's, by code (case is ignored); null for every one."),
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[InspectionLot]:
        page = page_request(first, after, last, before)
        request = pb.ListInspectionLotsRequest(
            state=enum_to_proto(pb.LotState, state) if state is not None else pb.LOT_STATE_UNSPECIFIED,
            item_sku=item_sku or "",
            supplier=supplier or "",
            **page.fields,
        )
        reply = await call(lambda: info.context.stubs.quality.ListInspectionLots(request))
        lots = [InspectionLot.from_proto(lot) for lot in reply.lots]
        return connection(lots, reply.cursors, page, reply.next_page_token)

    @described.field(
        "The inspection lot with this id, or null when there is none. An id of another type is an error "
        "(INVALID_FORMAT)."
    )
    async def inspection_lot(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The lot's `id` (a global id, as `node` takes).")],
    ) -> InspectionLot | None:
        request = pb.GetInspectionLotRequest(inspection_lot_id=local_id(id, InspectionLot, "id"))
        proto = await call_or_none(lambda: info.context.stubs.quality.GetInspectionLot(request))
        return InspectionLot.from_proto(proto) if proto is not None else None
