"""The quality service's gRPC API: translate, dispatch (or query), translate back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import TypeVar

import grpc

from invariant.quality.v1 import quality_pb2 as pb
from invariant.quality.v1 import quality_pb2_grpc
from invariant_core.commands import Dispatcher
from invariant_core.messages import decimal_message, timestamp_message
from invariant_core.paging import page_of, page_query
from invariant_kernel.units import decimal_text
from quality.domain import commands
from quality.domain.figures import Dimension, QualityFigures
from quality.domain.genealogy import BackwardTrace, ForwardTrace, TracedLot, WorkOrderUse
from quality.domain.lots import InspectionLot, LotState, Outcome, Verdict
from quality.domain.nonconformance import DefectCount, DispositionKind, DispositionState, NcrState, NonConformance
from quality.domain.plans import AqlSampling, Characteristic, FixedSample, InspectionPlan, Measured, PlanState
from quality.domain.sampling import InspectionLevel, units_of
from quality.service import figures, handlers, nonconformance, traceability
from quality.service.ports import QualityRepository, Reading

R = TypeVar("R")

_PLAN_STATES = {
    pb.PLAN_STATE_DRAFT: PlanState.DRAFT,
    pb.PLAN_STATE_ACTIVE: PlanState.ACTIVE,
    pb.PLAN_STATE_SUPERSEDED: PlanState.SUPERSEDED,
}
_PLAN_STATE_NUMBERS = {state: number for number, state in _PLAN_STATES.items()}
_LEVELS = {
    pb.INSPECTION_LEVEL_I: InspectionLevel.I,
    pb.INSPECTION_LEVEL_II: InspectionLevel.II,
    pb.INSPECTION_LEVEL_III: InspectionLevel.III,
}
_LEVEL_NUMBERS = {level: number for number, level in _LEVELS.items()}
_LOT_STATES = {
    pb.LOT_STATE_HOLDING: LotState.HOLDING,
    pb.LOT_STATE_NOT_HELD: LotState.NOT_HELD,
    pb.LOT_STATE_OPEN: LotState.OPEN,
    pb.LOT_STATE_DECIDED: LotState.DECIDED,
}
_LOT_STATE_NUMBERS = {state: number for number, state in _LOT_STATES.items()}
_VERDICTS = {
    Verdict.UNDECIDED: pb.VERDICT_UNDECIDED,
    Verdict.ACCEPT: pb.VERDICT_ACCEPT,
    Verdict.REJECT: pb.VERDICT_REJECT,
}
_OUTCOMES = {pb.OUTCOME_ACCEPT: Outcome.ACCEPT, pb.OUTCOME_REJECT: Outcome.REJECT, pb.OUTCOME_PARTIAL: Outcome.PARTIAL}
_OUTCOME_NUMBERS = {outcome: number for number, outcome in _OUTCOMES.items()}
_NCR_STATES = {pb.NCR_STATE_OPEN: NcrState.OPEN, pb.NCR_STATE_CLOSED: NcrState.CLOSED}
_NCR_STATE_NUMBERS = {state: number for number, state in _NCR_STATES.items()}
_KINDS = {
    pb.DISPOSITION_KIND_RETURN_TO_SUPPLIER: DispositionKind.RETURN_TO_SUPPLIER,
    pb.DISPOSITION_KIND_SCRAP: DispositionKind.SCRAP,
    pb.DISPOSITION_KIND_REWORK: DispositionKind.REWORK,
    pb.DISPOSITION_KIND_USE_AS_IS: DispositionKind.USE_AS_IS,
}
_KIND_NUMBERS = {kind: number for number, kind in _KINDS.items()}
_DISPOSITION_STATES = {
    DispositionState.PLANNED: pb.DISPOSITION_STATE_PLANNED,
    DispositionState.CARRIED_OUT: pb.DISPOSITION_STATE_CARRIED_OUT,
    DispositionState.WITHDRAWN: pb.DISPOSITION_STATE_WITHDRAWN,
}
_DIMENSIONS = {
    pb.FIGURES_DIMENSION_SUPPLIER: Dimension.SUPPLIER,
    pb.FIGURES_DIMENSION_WORK_ORDER: Dimension.WORK_ORDER,
    pb.FIGURES_DIMENSION_FINISHED_ITEM: Dimension.FINISHED_ITEM,
    pb.FIGURES_DIMENSION_OPERATOR: Dimension.OPERATOR,
}


class QualityServicer(quality_pb2_grpc.QualityServiceServicer):
    def __init__(self, reading: Reading, dispatch: Dispatcher[QualityRepository]) -> None:
        self._reading = reading
        self._dispatch = dispatch

    async def _query(self, body: Callable[[QualityRepository], Awaitable[R]]) -> R:
        async with self._reading() as repo:
            return await body(repo)

    # plans

    async def DraftPlan(self, request: pb.DraftPlanRequest, context: grpc.aio.ServicerContext) -> pb.InspectionPlan:
        command = commands.DraftPlan(
            item_sku=request.item_sku,
            supplier=request.supplier,
            characteristics=_characteristics(request.characteristics),
            sampling=_sampling(request),
        )
        return await self._dispatch(request, command, pb.InspectionPlan, plan_message)

    async def RevisePlan(self, request: pb.RevisePlanRequest, context: grpc.aio.ServicerContext) -> pb.InspectionPlan:
        command = commands.RevisePlan(
            plan_id=request.plan_id,
            characteristics=_characteristics(request.characteristics),
            sampling=_sampling(request),
        )
        return await self._dispatch(request, command, pb.InspectionPlan, plan_message)

    async def ActivatePlan(
        self, request: pb.ActivatePlanRequest, context: grpc.aio.ServicerContext
    ) -> pb.InspectionPlan:
        command = commands.ActivatePlan(plan_id=request.plan_id)
        return await self._dispatch(request, command, pb.InspectionPlan, plan_message)

    async def GetPlan(self, request: pb.GetPlanRequest, context: grpc.aio.ServicerContext) -> pb.InspectionPlan:
        return plan_message(await self._query(lambda repo: handlers.plan_by_id(repo, request.plan_id)))

    async def ListPlans(self, request: pb.ListPlansRequest, context: grpc.aio.ServicerContext) -> pb.ListPlansResponse:
        page = page_query(request, str, str, int)
        item_sku, state = request.item_sku.strip().upper(), _PLAN_STATES.get(request.state)
        found = page_of(
            await self._query(lambda repo: repo.list_plans(item_sku, state, page)),
            page,
            lambda p: (p.item_sku, p.supplier, p.version),
        )
        return pb.ListPlansResponse(
            plans=[plan_message(p) for p in found.rows], next_page_token=found.next_page_token, cursors=found.cursors
        )

    # lots

    async def GetInspectionLot(
        self, request: pb.GetInspectionLotRequest, context: grpc.aio.ServicerContext
    ) -> pb.InspectionLot:
        return lot_message(await self._query(lambda repo: handlers.lot_by_id(repo, request.inspection_lot_id)))

    async def ListInspectionLots(
        self, request: pb.ListInspectionLotsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListInspectionLotsResponse:
        page = page_query(request, datetime, str)
        state = _LOT_STATES.get(request.state)
        item_sku, supplier = request.item_sku.strip().upper(), request.supplier.strip().upper()
        found = page_of(
            await self._query(lambda repo: repo.list_lots(state, item_sku, supplier, page)),
            page,
            lambda lot: (lot.opened_at, lot.id),
        )
        return pb.ListInspectionLotsResponse(
            lots=[lot_message(lot) for lot in found.rows], next_page_token=found.next_page_token, cursors=found.cursors
        )

    async def OpenManualLot(
        self, request: pb.OpenManualLotRequest, context: grpc.aio.ServicerContext
    ) -> pb.InspectionLot:
        command = commands.OpenManualLot(
            item_sku=request.item_sku,
            warehouse=request.place.warehouse,
            location=request.place.location,
            lot=request.place.lot,
            quantity=request.quantity.value,
            reason=request.reason,
            supplier=request.supplier,
            supplier_lot=request.supplier_lot,
        )
        return await self._dispatch(request, command, pb.InspectionLot, lot_message)

    async def RecordResults(
        self, request: pb.RecordResultsRequest, context: grpc.aio.ServicerContext
    ) -> pb.InspectionLot:
        command = commands.RecordResults(
            inspection_lot_id=request.inspection_lot_id,
            results=tuple(
                commands.ResultInput(
                    sample=r.sample,
                    characteristic=r.characteristic,
                    value=r.value.value if r.HasField("value") else None,
                    passed=r.passed,
                    defect_code=r.defect_code,
                )
                for r in request.results
            ),
        )
        return await self._dispatch(request, command, pb.InspectionLot, lot_message)

    async def DecideLot(self, request: pb.DecideLotRequest, context: grpc.aio.ServicerContext) -> pb.InspectionLot:
        outcome = _OUTCOMES.get(request.outcome)
        command = commands.DecideLot(
            inspection_lot_id=request.inspection_lot_id,
            outcome=outcome.value if outcome is not None else "",
            accepted=request.accepted.value,
            rejected=request.rejected.value,
        )
        return await self._dispatch(request, command, pb.InspectionLot, lot_message)

    # non-conformance

    async def GetNonConformance(
        self, request: pb.GetNonConformanceRequest, context: grpc.aio.ServicerContext
    ) -> pb.NonConformance:
        return ncr_message(await self._query(lambda repo: nonconformance.ncr_by_id(repo, request.ncr_id)))

    async def ListNonConformances(
        self, request: pb.ListNonConformancesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListNonConformancesResponse:
        page = page_query(request, datetime, str)
        state = _NCR_STATES.get(request.state)
        supplier, item_sku = request.supplier.strip().upper(), request.item_sku.strip().upper()
        found = page_of(
            await self._query(lambda repo: repo.list_nonconformances(state, supplier, item_sku, page)),
            page,
            lambda ncr: (ncr.opened_at, ncr.id),
        )
        return pb.ListNonConformancesResponse(
            nonconformances=[ncr_message(ncr) for ncr in found.rows],
            next_page_token=found.next_page_token,
            cursors=found.cursors,
        )

    async def UpdateNonConformance(
        self, request: pb.UpdateNonConformanceRequest, context: grpc.aio.ServicerContext
    ) -> pb.NonConformance:
        command = commands.UpdateNonConformance(
            ncr_id=request.ncr_id,
            root_cause=request.root_cause if request.HasField("root_cause") else None,
            photos=tuple(request.photos),
        )
        return await self._dispatch(request, command, pb.NonConformance, ncr_message)

    async def PlanDisposition(
        self, request: pb.PlanDispositionRequest, context: grpc.aio.ServicerContext
    ) -> pb.NonConformance:
        kind = _KINDS.get(request.kind)
        command = commands.PlanDisposition(
            ncr_id=request.ncr_id, kind=kind.value if kind else "", quantity=request.quantity.value
        )
        return await self._dispatch(request, command, pb.NonConformance, ncr_message)

    async def ApproveUseAsIs(
        self, request: pb.ApproveUseAsIsRequest, context: grpc.aio.ServicerContext
    ) -> pb.NonConformance:
        command = commands.ApproveUseAsIs(ncr_id=request.ncr_id, disposition_id=request.disposition_id)
        return await self._dispatch(request, command, pb.NonConformance, ncr_message)

    async def WithdrawDisposition(
        self, request: pb.WithdrawDispositionRequest, context: grpc.aio.ServicerContext
    ) -> pb.NonConformance:
        command = commands.WithdrawDisposition(ncr_id=request.ncr_id, disposition_id=request.disposition_id)
        return await self._dispatch(request, command, pb.NonConformance, ncr_message)

    async def CloseNonConformance(
        self, request: pb.CloseNonConformanceRequest, context: grpc.aio.ServicerContext
    ) -> pb.NonConformance:
        command = commands.CloseNonConformance(ncr_id=request.ncr_id)
        return await self._dispatch(request, command, pb.NonConformance, ncr_message)

    # traceability

    async def TraceBackward(self, request: pb.TraceBackwardRequest, context: grpc.aio.ServicerContext) -> pb.Trace:
        start = commands.TraceStart(request.item_sku, request.lot, "", "")
        return trace_message(await self._query(lambda repo: traceability.trace_backward(repo, start)))

    async def TraceForward(self, request: pb.TraceForwardRequest, context: grpc.aio.ServicerContext) -> pb.Trace:
        start = _start(request.start)
        return trace_message(await self._query(lambda repo: traceability.trace_forward(repo, start)))

    async def Recall(self, request: pb.RecallRequest, context: grpc.aio.ServicerContext) -> pb.RecallResponse:
        start = _start(request.start)
        found = await self._query(lambda repo: traceability.recall(repo, start))
        return pb.RecallResponse(
            lines=[
                pb.RecallLine(
                    customer=line.customer,
                    item_sku=line.lot.item_sku,
                    lot=line.lot.lot,
                    quantity=decimal_message(line.quantity),
                    sales_orders=line.sales_orders,
                )
                for line in found.lines
            ],
            customers=found.customers,
            hold=[pb.TracedLot(item_sku=lot.item_sku, lot=lot.lot) for lot in found.hold],
        )

    async def HoldRecalledLots(
        self, request: pb.HoldRecalledLotsRequest, context: grpc.aio.ServicerContext
    ) -> pb.HoldRecalledLotsResponse:
        command = commands.HoldRecalledLots(start=_start(request.start), reason=request.reason)
        return await self._dispatch(
            request,
            command,
            pb.HoldRecalledLotsResponse,
            lambda held: pb.HoldRecalledLotsResponse(lots=[lot_message(lot) for lot in held]),
        )

    # figures

    async def QualityFigures(
        self, request: pb.QualityFiguresRequest, context: grpc.aio.ServicerContext
    ) -> pb.QualityFiguresResponse:
        dimension = _DIMENSIONS.get(request.dimension)
        by = dimension.value if dimension else ""
        rows = await self._query(lambda repo: figures.figures(repo, by, request.from_month, request.to_month))
        return pb.QualityFiguresResponse(rows=[figures_message(row) for row in rows])


def _start(request: pb.TraceStart) -> commands.TraceStart:
    return commands.TraceStart(request.item_sku, request.lot, request.supplier, request.supplier_lot)


def _defects(found: Sequence[DefectCount]) -> list[pb.DefectCount]:
    return [pb.DefectCount(code=d.code, count=d.count) for d in found]


def ncr_message(ncr: NonConformance) -> pb.NonConformance:
    message = pb.NonConformance(
        id=ncr.id,
        decision_id=ncr.decision_id,
        inspection_lot_id=ncr.inspection_lot_id,
        item_sku=ncr.item_sku,
        supplier=ncr.supplier,
        place=pb.HeldPlace(warehouse=ncr.place.warehouse, location=ncr.place.location, lot=ncr.place.lot),
        located=ncr.located,
        rejected=decimal_message(ncr.rejected),
        defects=_defects(ncr.defects),
        state=_NCR_STATE_NUMBERS[ncr.state],
        photos=ncr.photos,
        root_cause=ncr.root_cause,
        unplanned=decimal_message(ncr.unplanned),
        carried_out=decimal_message(ncr.carried_out),
        opened_by=ncr.opened_by,
        opened_at=timestamp_message(ncr.opened_at),
        closed_by=ncr.closed_by,
    )
    if ncr.closed_at is not None:
        message.closed_at.CopyFrom(timestamp_message(ncr.closed_at))
    for d in ncr.dispositions:
        added = message.dispositions.add(
            id=d.id,
            kind=_KIND_NUMBERS[d.kind],
            quantity=decimal_message(d.quantity),
            state=_DISPOSITION_STATES[d.state],
            planned_by=d.planned_by,
            planned_at=timestamp_message(d.planned_at),
            approved_by=d.approved_by,
            requested=d.requested,
            refusal=d.refusal,
            movement_id=d.movement_id,
            carried_out_by=d.carried_out_by,
            withdrawn_by=d.withdrawn_by,
            work_order=d.work_order_id,
        )
        for name, at in (
            ("approved_at", d.approved_at),
            ("carried_out_at", d.carried_out_at),
            ("withdrawn_at", d.withdrawn_at),
        ):
            if at is not None:
                getattr(added, name).CopyFrom(timestamp_message(at))
    return message


# A trace carries thousands of lots: its messages are added in place, since a message made
# apart and handed to a repeated field is copied into it.


def trace_message(trace: BackwardTrace | ForwardTrace) -> pb.Trace:
    if isinstance(trace, BackwardTrace):
        message = pb.Trace(work_orders=trace.work_orders, suppliers=trace.suppliers)
        _add_traced(message, trace.components)
        _add_uses(message, trace.produced)
    else:
        message = pb.Trace(
            work_orders=trace.work_orders, suppliers=sorted({r.supplier_lot.supplier for r in trace.receipts})
        )
        _add_traced(message, trace.lots)
        _add_uses(message, trace.consumed)
        add_shipment = message.shipments.add
        for s in trace.shipments:
            add_shipment(
                item_sku=s.lot.item_sku, lot=s.lot.lot, sales_order=s.sales_order, customer=s.customer
            ).quantity.value = decimal_text(s.quantity)
    add_receipt = message.receipts.add
    for r in trace.receipts:
        add_receipt(
            supplier=r.supplier_lot.supplier,
            supplier_lot=r.supplier_lot.number,
            item_sku=r.lot.item_sku,
            lot=r.lot.lot,
            purchase_order=r.purchase_order,
            line=r.line,
        ).quantity.value = decimal_text(r.quantity)
    return message


def _add_traced(message: pb.Trace, lots: Sequence[TracedLot]) -> None:
    add = message.lots.add
    for level, lot in lots:
        add(item_sku=lot.item_sku, lot=lot.lot, level=level)


def _add_uses(message: pb.Trace, uses: Sequence[WorkOrderUse]) -> None:
    add = message.uses.add
    for u in uses:
        add(work_order=u.work_order, item_sku=u.lot.item_sku, lot=u.lot.lot).quantity.value = decimal_text(u.quantity)


def figures_message(row: QualityFigures) -> pb.FiguresRow:
    message = pb.FiguresRow(
        key=row.key,
        month=row.month,
        inspection_lots=row.inspection_lots,
        lots_inspected=row.lots_inspected,
        lots_accepted=row.lots_accepted,
        units_inspected=decimal_message(row.units_inspected),
        units_accepted=decimal_message(row.units_accepted),
        units_rejected=decimal_message(row.units_rejected),
        top_defects=_defects(row.top_defects),
        reject_costs=[
            pb.RejectCost(
                inspection_lot_id=c.inspection_lot_id,
                lot=c.lot,
                rejected=decimal_message(c.rejected),
                standard_cost=decimal_message(c.standard_cost),
                cost=decimal_message(c.cost),
            )
            for c in row.reject_costs
        ],
        reject_cost=decimal_message(row.reject_cost),
        ncrs_opened=row.ncrs_opened,
        ncrs_closed=row.ncrs_closed,
    )
    for name, rate in (
        ("lot_acceptance_rate", row.lot_acceptance_rate),
        ("unit_acceptance_rate", row.unit_acceptance_rate),
        ("defect_ppm", row.defect_ppm),
    ):
        if rate is not None:
            getattr(message, name).CopyFrom(decimal_message(rate))
    return message


def _characteristics(given: Sequence[pb.Characteristic]) -> tuple[commands.CharacteristicInput, ...]:
    found = []
    for c in given:
        kind = c.WhichOneof("kind")
        if kind == "measured":
            m = c.measured
            found.append(
                commands.CharacteristicInput(
                    c.code,
                    c.name,
                    handlers.MEASURED,
                    nominal=m.nominal.value,
                    lower=m.lower.value,
                    upper=m.upper.value,
                    unit=m.unit,
                )
            )
        elif kind == "attribute":
            found.append(
                commands.CharacteristicInput(
                    c.code, c.name, handlers.ATTRIBUTE, defect_codes=tuple(c.attribute.defect_codes)
                )
            )
        else:
            found.append(commands.CharacteristicInput(c.code, c.name, ""))
    return tuple(found)


def _sampling(request: pb.DraftPlanRequest | pb.RevisePlanRequest) -> commands.SamplingInput:
    sampling = request.sampling
    kind = sampling.WhichOneof("kind")
    if kind == "fixed":
        return commands.SamplingInput(handlers.FIXED, size=sampling.fixed.size, accept=sampling.fixed.accept)
    if kind == "aql":
        level = _LEVELS.get(sampling.aql.level)
        return commands.SamplingInput(handlers.AQL, level=level.value if level else "", aql=sampling.aql.aql.value)
    return commands.SamplingInput("")


def characteristic_message(checked: Characteristic) -> pb.Characteristic:
    message = pb.Characteristic(code=checked.code, name=checked.name)
    if isinstance(checked, Measured):
        message.measured.nominal.CopyFrom(decimal_message(checked.nominal))
        if checked.lower is not None:
            message.measured.lower.CopyFrom(decimal_message(checked.lower))
        if checked.upper is not None:
            message.measured.upper.CopyFrom(decimal_message(checked.upper))
        message.measured.unit = checked.unit
    else:
        message.attribute.defect_codes.extend(checked.defect_codes)
    return message


def plan_message(plan: InspectionPlan) -> pb.InspectionPlan:
    message = pb.InspectionPlan(
        id=plan.id,
        item_sku=plan.item_sku,
        supplier=plan.supplier,
        version=plan.version,
        state=_PLAN_STATE_NUMBERS[plan.state],
        characteristics=[characteristic_message(c) for c in plan.characteristics],
        created_by=plan.created_by,
        created_at=timestamp_message(plan.created_at),
    )
    if isinstance(plan.sampling, FixedSample):
        message.sampling.fixed.CopyFrom(pb.FixedSampling(size=plan.sampling.size, accept=plan.sampling.accept))
    elif isinstance(plan.sampling, AqlSampling):
        message.sampling.aql.CopyFrom(
            pb.AqlSampling(level=_LEVEL_NUMBERS[plan.sampling.level], aql=decimal_message(plan.sampling.aql))
        )
    if plan.activated_at is not None:
        message.activated_at.CopyFrom(timestamp_message(plan.activated_at))
    if plan.superseded_at is not None:
        message.superseded_at.CopyFrom(timestamp_message(plan.superseded_at))
    return message


def lot_message(lot: InspectionLot) -> pb.InspectionLot:
    sampling = lot.sampling
    message = pb.InspectionLot(
        id=lot.id,
        movement_id=lot.movement_id,
        item_sku=lot.item_sku,
        place=pb.HeldPlace(warehouse=lot.place.warehouse, location=lot.place.location, lot=lot.place.lot),
        quantity=decimal_message(lot.quantity),
        document=pb.LotDocument(type=lot.document.type, id=lot.document.id, line=lot.document.line),
        supplier=lot.supplier,
        supplier_lot=lot.supplier_lot,
        plan_id=lot.plan.id,
        plan_version=lot.plan.version,
        sampling=pb.SamplingPlan(
            table_letter=sampling.table_letter,
            code_letter=sampling.code_letter,
            sample_size=sampling.sample_size,
            accept=sampling.accept,
            reject=sampling.reject,
            every_unit=sampling.every_unit,
            lot_size=units_of(lot.quantity),
        ),
        state=_LOT_STATE_NUMBERS[lot.state],
        inspected_samples=lot.inspected_samples,
        defective_samples=lot.defective_samples,
        verdict=_VERDICTS[lot.verdict],
        opened_by=lot.opened_by,
        opened_at=timestamp_message(lot.opened_at),
        reason=lot.reason,
        hold_refusal=lot.hold_refusal,
    )
    for r in lot.results:
        result = message.results.add(
            sample=r.sample,
            characteristic=r.characteristic,
            conforming=r.conforming,
            defect_code=r.defect_code,
            inspector=r.inspector,
            recorded_at=timestamp_message(r.at),
        )
        if r.value is not None:
            result.value.CopyFrom(decimal_message(r.value))
    decision = lot.decision
    if decision is not None:
        message.decision.CopyFrom(
            pb.Decision(
                id=decision.id,
                outcome=_OUTCOME_NUMBERS[decision.outcome],
                accepted=decimal_message(decision.accepted),
                rejected=decimal_message(decision.rejected),
                verdict=_VERDICTS[decision.verdict],
                decided_by=decision.decided_by,
                decided_at=timestamp_message(decision.at),
            )
        )
    return message
