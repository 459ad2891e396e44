"""Quality commands: the result and the user errors side by side, nothing raised.

Who may send each is in gateway.permissions: plans are a supervisor's setup, inspectors record
results and decide, supervisors put stock on hold by hand. The service itself refuses a decision
by someone who recorded no result on the lot unless they are a supervisor (`decidedBy`).
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
    ActivateInspectionPlanInput,
    DecideInspectionLotInput,
    DraftInspectionPlanInput,
    HoldForInspectionInput,
    RecordInspectionResultsInput,
    ReviseInspectionPlanInput,
    plan_fields,
)
from gateway.quality.types import InspectionLot, InspectionPlan
from invariant.quality.v1 import quality_pb2 as pb
from invariant.quality.v1 import quality_pb2_grpc

Stub = quality_pb2_grpc.QualityServiceStub

REFUSED = "Why it was refused, with nothing written; empty when it was done."
RETRY = "A retry with the same idempotencyKey answers the first result without doing it again."
BY_SUPERVISORS = "Supervisors, managers and admins only."


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
