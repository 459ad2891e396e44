"""Quality commands: the result and the user errors side by side, nothing raised.

Who may send each is in gateway.permissions: plans are a supervisor's setup, inspectors record
results and decide, supervisors put stock on hold by hand. The service itself refuses a decision
by someone who recorded no result on the lot unless they are a supervisor (`decidedBy`).
Supervisors plan what is done with rejected units and put recalled lots on hold; a manager
approves using them as they are, and the service refuses that to whoever asked for it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated

import strawberry

from gateway import described
from gateway.commands import command
from gateway.context import Info
from gateway.errors import UserError
from gateway.quality.inputs import (
    HOLD_FIELDS,
    NCR_FIELDS,
    ActivateInspectionPlanInput,
    ApproveUseAsIsInput,
    CloseNonConformanceInput,
    DecideInspectionLotInput,
    DraftInspectionPlanInput,
    HoldForInspectionInput,
    HoldRecalledLotsInput,
    PlanDispositionInput,
    RecordInspectionResultsInput,
    ReviseInspectionPlanInput,
    UpdateNonConformanceInput,
    WithdrawDispositionInput,
    plan_fields,
)
from gateway.quality.types import InspectionLot, InspectionPlan, NonConformance
from invariant.quality.v1 import quality_pb2 as pb
from invariant.quality.v1 import quality_pb2_grpc

Stub = quality_pb2_grpc.QualityServiceStub

REFUSED = "Why it was refused, with nothing written; empty when it was done."
RETRY = "A retry with the same idempotencyKey answers the first result without doing it again."
BY_SUPERVISORS = "Supervisors, managers and admins only."
BY_SUPERVISORS_AND_INSPECTORS = "Inspectors, supervisors, managers and admins only."


def _stub(info: Info) -> Stub:
    return info.context.stubs.quality


@strawberry.type(description="An inspection plan after a command, or why the command was refused.")
class InspectionPlanPayload:
    inspection_plan: InspectionPlan | None = strawberry.field(
        description="The plan version as it stands after the command; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=REFUSED)


@strawberry.type(description="An inspection lot after a command, or why the command was refused.")
class InspectionLotPayload:
    inspection_lot: InspectionLot | None = strawberry.field(
        description="The lot as it stands after the command; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=REFUSED)


@strawberry.type(description="A non-conformance record after a command, or why the command was refused.")
class NonConformancePayload:
    non_conformance: NonConformance | None = strawberry.field(
        description="The NCR as it stands after the command; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=REFUSED)


@strawberry.type(description="The inspection lots a recall hold opened, or why it was refused.")
class HoldRecalledLotsPayload:
    inspection_lots: list[InspectionLot] | None = strawberry.field(
        description="One per place holding any of the recall's lots AVAILABLE, each HOLDING until stock has held it "
        "(then OPEN); empty when nothing of them is left in stock; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=REFUSED)


async def _ncr(info: Info, send: Callable[[], Awaitable[pb.NonConformance]]) -> NonConformancePayload:
    proto, errors = await command(info, send, NCR_FIELDS)
    return NonConformancePayload(
        non_conformance=NonConformance.from_proto(proto) if proto is not None else None, user_errors=errors
    )


async def _plan(
    info: Info, send: Callable[[], Awaitable[pb.InspectionPlan]], fields: Mapping[str, str] | None = None
) -> InspectionPlanPayload:
    proto, errors = await command(info, send, fields)
    return InspectionPlanPayload(
        inspection_plan=InspectionPlan.from_proto(proto) if proto is not None else None, user_errors=errors
    )


async def _lot(
    info: Info, send: Callable[[], Awaitable[pb.InspectionLot]], fields: Mapping[str, str] | None = None
) -> InspectionLotPayload:
    proto, errors = await command(info, send, fields)
    return InspectionLotPayload(
        inspection_lot=InspectionLot.from_proto(proto) if proto is not None else None, user_errors=errors
    )


@strawberry.type
class QualityMutation:
    @described.mutation(
        "Drafts a new version of an item's inspection plan (or of one supplier's), one above the highest there is; "
        "it judges no lot until activated. Refused naming the field for an unknown item, a characteristic without "
        "code, limits missing or reversed or leaving out the nominal, an attribute without defect codes, two "
        f"characteristics with one code, or a sampling outside the standard. {BY_SUPERVISORS} {RETRY}"
    )
    async def draft_inspection_plan(
        self,
        info: Info,
        input: Annotated[DraftInspectionPlanInput, strawberry.argument(description="The item and what to check.")],
    ) -> InspectionPlanPayload:
        return await _plan(info, lambda: _stub(info).DraftPlan(input.to_proto()), plan_fields(input.characteristics))

    @described.mutation(
        "Replaces a DRAFT plan's characteristics and sampling, refused as draftInspectionPlan is; INVALID_STATE "
        f"(`planId`) once it is no longer a draft. {BY_SUPERVISORS} {RETRY}"
    )
    async def revise_inspection_plan(
        self,
        info: Info,
        input: Annotated[ReviseInspectionPlanInput, strawberry.argument(description="The draft and its new content.")],
    ) -> InspectionPlanPayload:
        return await _plan(info, lambda: _stub(info).RevisePlan(input.to_proto()), plan_fields(input.characteristics))

    @described.mutation(
        "DRAFT → ACTIVE: lots opened from now on are judged by it, and the version in force for the same item and "
        f"supplier becomes SUPERSEDED; lots already open keep theirs. {BY_SUPERVISORS} {RETRY}"
    )
    async def activate_inspection_plan(
        self, info: Info, input: Annotated[ActivateInspectionPlanInput, strawberry.argument(description="The draft.")]
    ) -> InspectionPlanPayload:
        return await _plan(info, lambda: _stub(info).ActivatePlan(input.to_proto()))

    @described.mutation(
        "Records results for an OPEN lot as the caller, all or none: refused naming `results[n]` and the field for "
        "an unknown characteristic, a sample outside the sample size, a result the sample already has, a value for "
        "an attribute or a pass or fail for a measured one; INVALID_STATE once decided. Inspectors, supervisors, "
        f"managers and admins only. {RETRY}"
    )
    async def record_inspection_results(
        self,
        info: Info,
        input: Annotated[RecordInspectionResultsInput, strawberry.argument(description="The lot and its results.")],
    ) -> InspectionLotPayload:
        return await _lot(info, lambda: _stub(info).RecordResults(input.to_proto()))

    @described.mutation(
        "Decides an OPEN lot once, and stock moves the goods by it a moment later: the accepted to AVAILABLE where "
        "they are, the rejected to REJECTED in the warehouse's quarantine location. Someone who recorded no result "
        "on the lot is refused (PERMISSION_DENIED, `decidedBy`) unless a supervisor, manager or admin; a PARTIAL "
        "that does not add up to the lot's quantity is refused (OUT_OF_RANGE, `rejected`), a decided lot "
        f"INVALID_STATE. Inspectors, supervisors, managers and admins only. {RETRY}"
    )
    async def decide_inspection_lot(
        self,
        info: Info,
        input: Annotated[DecideInspectionLotInput, strawberry.argument(description="The lot and the decision.")],
    ) -> InspectionLotPayload:
        return await _lot(info, lambda: _stub(info).DecideLot(input.to_proto()))

    @described.mutation(
        "Puts AVAILABLE stock on hold for inspection by hand: the lot is answered HOLDING and becomes OPEN once "
        "stock has moved the quantity to QC_HOLD (a moment later), or NOT_HELD with stock's refusal (not that much "
        "AVAILABLE there). What reservations held there becomes a shortage. Refused naming the field for an "
        f"unknown item or location, a quantity not above zero, or no reason. {BY_SUPERVISORS} {RETRY}"
    )
    async def hold_for_inspection(
        self,
        info: Info,
        input: Annotated[HoldForInspectionInput, strawberry.argument(description="What to hold, where and why.")],
    ) -> InspectionLotPayload:
        return await _lot(info, lambda: _stub(info).OpenManualLot(input.to_proto()), HOLD_FIELDS)

    @described.mutation(
        "States an NCR's root cause and adds references to photos; refused naming the field for text too long, "
        f"INVALID_STATE (`nonConformanceId`) once closed. {BY_SUPERVISORS_AND_INSPECTORS} {RETRY}"
    )
    async def update_non_conformance(
        self,
        info: Info,
        input: Annotated[UpdateNonConformanceInput, strawberry.argument(description="The NCR and what is known.")],
    ) -> NonConformancePayload:
        return await _ncr(info, lambda: _stub(info).UpdateNonConformance(input.to_proto()))

    @described.mutation(
        "Plans what is done with some of an NCR's rejected units. RETURN_TO_SUPPLIER, SCRAP and REWORK are sent to "
        "stock as soon as stock has put the rejected goods aside (NCR as document, the disposition as line), and "
        "become CARRIED_OUT by stock's movement a moment later; USE_AS_IS waits for a manager's approval. A quantity "
        "beyond the rejected units no disposition holds is refused (OUT_OF_RANGE, `quantity`), as is a closed NCR "
        f"(INVALID_STATE). {BY_SUPERVISORS} {RETRY}"
    )
    async def plan_disposition(
        self,
        info: Info,
        input: Annotated[PlanDispositionInput, strawberry.argument(description="The NCR, what to do and how much.")],
    ) -> NonConformancePayload:
        return await _ncr(info, lambda: _stub(info).PlanDisposition(input.to_proto()))

    @described.mutation(
        "Approves a USE_AS_IS disposition, which is then sent to stock (REJECTED → AVAILABLE where the goods are). "
        "Whoever asked for it is refused (PERMISSION_DENIED, `approvedBy`): another manager approves; any other kind "
        f"of disposition is INVALID_STATE. Managers and admins only. {RETRY}"
    )
    async def approve_use_as_is(
        self, info: Info, input: Annotated[ApproveUseAsIsInput, strawberry.argument(description="The disposition.")]
    ) -> NonConformancePayload:
        return await _ncr(info, lambda: _stub(info).ApproveUseAsIs(input.to_proto()))

    @described.mutation(
        "Takes back a PLANNED disposition, freeing its quantity for another; INVALID_STATE once stock has been asked "
        f"to carry it out (a refusal by stock frees it this way). {BY_SUPERVISORS} {RETRY}"
    )
    async def withdraw_disposition(
        self,
        info: Info,
        input: Annotated[WithdrawDispositionInput, strawberry.argument(description="The disposition.")],
    ) -> NonConformancePayload:
        return await _ncr(info, lambda: _stub(info).WithdrawDisposition(input.to_proto()))

    @described.mutation(
        "Closes an NCR: refused (INVALID_STATE, `dispositions`) while any rejected unit is not carried out, so it "
        f"never closes with stock unaccounted for. {BY_SUPERVISORS} {RETRY}"
    )
    async def close_non_conformance(
        self, info: Info, input: Annotated[CloseNonConformanceInput, strawberry.argument(description="The NCR.")]
    ) -> NonConformancePayload:
        return await _ncr(info, lambda: _stub(info).CloseNonConformance(input.to_proto()))

    @described.mutation(
        "Puts every unit of a recall's lots still AVAILABLE in stock on hold in one command: one inspection lot per "
        "place, stock moving each to QC_HOLD a moment later; nothing shipped moves. Refused naming the field for a "
        f"lot nothing is recorded of (NOT_FOUND) or no reason. {BY_SUPERVISORS} {RETRY}"
    )
    async def hold_recalled_lots(
        self,
        info: Info,
        input: Annotated[HoldRecalledLotsInput, strawberry.argument(description="Where the recall starts, and why.")],
    ) -> HoldRecalledLotsPayload:
        proto, errors = await command(
            info, lambda: _stub(info).HoldRecalledLots(input.to_proto()), input.start.fields("start")
        )
        return HoldRecalledLotsPayload(
            inspection_lots=[InspectionLot.from_proto(lot) for lot in proto.lots] if proto is not None else None,
            user_errors=errors,
        )
