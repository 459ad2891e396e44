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
from quality.domain import commands
from quality.domain.lots import InspectionLot, LotState, Outcome, Verdict
from quality.domain.plans import AqlSampling, Characteristic, FixedSample, InspectionPlan, Measured, PlanState
from quality.domain.sampling import InspectionLevel, units_of
from quality.service import handlers
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
