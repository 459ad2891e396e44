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
from gateway.quality.inputs import TraceStartInput
from gateway.quality.types import (
    InspectionLot,
    InspectionLotState,
    InspectionPlan,
    InspectionPlanState,
    NonConformance,
    NonConformanceState,
    QualityFigures,
    QualityFiguresDimension,
    Recall,
    Trace,
)
from invariant.quality.v1 import quality_pb2 as pb

SKU_FILTER = "Only this item's, by SKU (case is ignored); null for every item."
SUPPLIER_FILTER = "Only this supplier's, by code (case is ignored); null for every one."
START = "Where the trace starts: a stock lot, or a supplier's lot by the supplier's own number."
MONTH = "A month (UTC), as 2026-12."


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
            strawberry.argument(description=SUPPLIER_FILTER),
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

    @described.field(
        "Non-conformance records in the order they were opened, oldest first (`last` reads the newest); null "
        "filters match everything."
    )
    async def non_conformances(
        self,
        info: Info,
        state: Annotated[
            NonConformanceState | None,
            strawberry.argument(description="Only records in this state (OPEN: the work left); null for any."),
        ] = None,
        supplier: Annotated[str | None, strawberry.argument(description=SUPPLIER_FILTER)] = None,
        item_sku: Annotated[str | None, strawberry.argument(description=SKU_FILTER)] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[NonConformance]:
        page = page_request(first, after, last, before)
        request = pb.ListNonConformancesRequest(
            state=enum_to_proto(pb.NcrState, state) if state is not None else pb.NCR_STATE_UNSPECIFIED,
            supplier=supplier or "",
            item_sku=item_sku or "",
            **page.fields,
        )
        reply = await call(lambda: info.context.stubs.quality.ListNonConformances(request))
        records = [NonConformance.from_proto(ncr) for ncr in reply.nonconformances]
        return connection(records, reply.cursors, page, reply.next_page_token)

    @described.field(
        "The non-conformance record with this id, or null when there is none. An id of another type is an error "
        "(INVALID_FORMAT)."
    )
    async def non_conformance(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The NCR's `id` (a global id, as `node` takes).")],
    ) -> NonConformance | None:
        request = pb.GetNonConformanceRequest(ncr_id=local_id(id, NonConformance, "id"))
        proto = await call_or_none(lambda: info.context.stubs.quality.GetNonConformance(request))
        return NonConformance.from_proto(proto) if proto is not None else None

    @described.field(
        "A stock lot back to the work orders that made it, the component lots they consumed, and the suppliers and "
        "receipts those came from. A lot nothing is recorded of is an error (NOT_FOUND, `lot`)."
    )
    async def trace_backward(
        self,
        info: Info,
        item_sku: Annotated[str, strawberry.argument(description="The item's SKU; case is ignored.")],
        lot: Annotated[str, strawberry.argument(description="The stock lot, as printed.")],
    ) -> Trace:
        request = pb.TraceBackwardRequest(item_sku=item_sku, lot=lot)
        return Trace.from_proto(await call(lambda: info.context.stubs.quality.TraceBackward(request)))

    @described.field(
        "A stock lot or a supplier's lot forward to every work order that consumed it, every lot made from it and "
        "every shipment of those, with quantities. A lot nothing is recorded of is an error (NOT_FOUND)."
    )
    async def trace_forward(
        self, info: Info, start: Annotated[TraceStartInput, strawberry.argument(description=START)]
    ) -> Trace:
        request = pb.TraceForwardRequest(start=start.to_proto())
        return Trace.from_proto(await call(lambda: info.context.stubs.quality.TraceForward(request)))

    @described.field(
        "The forward trace as a recall reads it: every customer and what they received per item and lot, and the "
        "lots to hold (holdRecalledLots holds what of them is still in stock)."
    )
    async def recall(
        self, info: Info, start: Annotated[TraceStartInput, strawberry.argument(description=START)]
    ) -> Recall:
        request = pb.RecallRequest(start=start.to_proto())
        return Recall.from_proto(await call(lambda: info.context.stubs.quality.Recall(request)))

    @described.field(
        "Quality figures per supplier, work order, finished item or operator, and month, from `fromMonth` to "
        "`toMonth` both included: lots and units inspected, accepted and rejected, defect ppm, the top defects, "
        "NCRs opened and closed, and the cost of rejects at standard cost, each traceable to its lots."
    )
    async def quality_figures(
        self,
        info: Info,
        dimension: Annotated[QualityFiguresDimension, strawberry.argument(description="What to group by.")],
        from_month: Annotated[str, strawberry.argument(description=f"The first month. {MONTH}")],
        to_month: Annotated[str, strawberry.argument(description=f"The last month, not before the first. {MONTH}")],
    ) -> list[QualityFigures]:
        request = pb.QualityFiguresRequest(
            dimension=enum_to_proto(pb.FiguresDimension, dimension), from_month=from_month, to_month=to_month
        )
        reply = await call(lambda: info.context.stubs.quality.QualityFigures(request))
        return [QualityFigures.from_proto(row) for row in reply.rows]
