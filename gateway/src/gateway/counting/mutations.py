"""Counting commands: the result and the user errors side by side, nothing raised.

The gateway keeps out the roles that may never do a thing (DESIGN §5); the service
decides the rest, such as the approval level a role may give and separation of duties.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

import strawberry

from gateway import described
from gateway.auth import OPERATORS, SUPERVISORS
from gateway.commands import command
from gateway.context import Info
from gateway.counting.inputs import (
    ApproveCountInput,
    CancelCountInput,
    ComputeAbcClassesInput,
    CreateCountInput,
    DecideLineInput,
    ExplainLineInput,
    ExplainLinesInput,
    FinishRoundInput,
    OpenCountInput,
    PlanCountsInput,
    RejectCountInput,
    SetApprovalPolicyInput,
    SetCyclePolicyInput,
    SetReasonCodeInput,
    SubmitEntriesInput,
    SubmitEntryInput,
    SubmitForApprovalInput,
)
from gateway.counting.types import (
    AbcClasses,
    AcceptedEntry,
    ApprovalPolicy,
    Count,
    CountLine,
    CyclePolicy,
    DueItem,
    ReasonCode,
)
from gateway.errors import UserError
from invariant.counting.v1 import counting_pb2 as pb
from invariant.counting.v1 import counting_pb2_grpc

APPROVERS = frozenset({"supervisor", "finance", "manager", "admin"})

Stub = counting_pb2_grpc.CountingServiceStub


def _stub(info: Info) -> Stub:
    return info.context.stubs.counting


@strawberry.type
class CountPayload:
    count: Count | None
    user_errors: list[UserError]


@strawberry.type
class CountLinePayload:
    line: CountLine | None
    user_errors: list[UserError]


@strawberry.type
class SubmitEntryPayload:
    entry: AcceptedEntry | None
    user_errors: list[UserError]


@strawberry.type
class SubmitEntriesPayload:
    entries: list[AcceptedEntry] = strawberry.field(description="One per entry, in order.")
    user_errors: list[UserError]


@strawberry.type
class ExplainLinesPayload:
    explained: int = strawberry.field(description="Lines explained: all of those given, or none when refused.")
    user_errors: list[UserError]


@strawberry.type
class ApprovalPolicyPayload:
    policy: ApprovalPolicy | None
    user_errors: list[UserError]


@strawberry.type
class ReasonCodePayload:
    reason_code: ReasonCode | None
    user_errors: list[UserError]


async def _count(
    info: Info, allowed: frozenset[str], action: str, send: Callable[[], Awaitable[pb.Count]]
) -> CountPayload:
    proto, errors = await command(info, allowed, action, send)
    return CountPayload(count=Count.from_proto(proto) if proto is not None else None, user_errors=errors)


async def _line(info: Info, action: str, send: Callable[[], Awaitable[pb.CountLine]]) -> CountLinePayload:
    proto, errors = await command(info, SUPERVISORS, action, send)
    return CountLinePayload(line=CountLine.from_proto(proto) if proto is not None else None, user_errors=errors)


async def _entries(
    info: Info, input: SubmitEntryInput | SubmitEntriesInput, fields: Mapping[str, str] | None = None
) -> tuple[list[AcceptedEntry], list[UserError]]:
    proto, errors = await command(
        info, OPERATORS, "entering a count", lambda: _stub(info).SubmitEntries(input.to_proto()), fields
    )
    return [AcceptedEntry.from_proto(entry) for entry in proto.entries] if proto is not None else [], errors


@strawberry.type
class AbcClassesPayload:
    abc_classes: AbcClasses | None
    user_errors: list[UserError]


@strawberry.type
class CyclePolicyPayload:
    policy: CyclePolicy | None
    user_errors: list[UserError]


@strawberry.type
class PlanCountsPayload:
    counts: list[Count]
    due: list[DueItem]
    user_errors: list[UserError]


@strawberry.type
class CountingMutation:
    @strawberry.mutation
    async def create_count(self, info: Info, input: CreateCountInput) -> CountPayload:
        return await _count(info, SUPERVISORS, "planning a count", lambda: _stub(info).CreateCount(input.to_proto()))

    @strawberry.mutation
    async def open_count(self, info: Info, input: OpenCountInput) -> CountPayload:
        return await _count(info, SUPERVISORS, "opening a count", lambda: _stub(info).OpenCount(input.to_proto()))

    @described.mutation("One entry, idempotent by its entryId; the first entry moves an OPEN count to COUNTING.")
    async def submit_entry(self, info: Info, input: SubmitEntryInput) -> SubmitEntryPayload:
        entries, errors = await _entries(info, input, input.FIELDS)
        return SubmitEntryPayload(entry=entries[0] if entries else None, user_errors=errors)

    @described.mutation("Entries uploaded together, each idempotent by its entryId: all are taken or none.")
    async def submit_entries(self, info: Info, input: SubmitEntriesInput) -> SubmitEntriesPayload:
        entries, errors = await _entries(info, input)
        return SubmitEntriesPayload(entries=entries, user_errors=errors)

    @strawberry.mutation
    async def finish_round(self, info: Info, input: FinishRoundInput) -> CountPayload:
        return await _count(info, SUPERVISORS, "finishing a round", lambda: _stub(info).FinishRound(input.to_proto()))

    @described.mutation("Which round of a line under investigation stands.")
    async def decide_line(self, info: Info, input: DecideLineInput) -> CountLinePayload:
        return await _line(info, "deciding a line", lambda: _stub(info).DecideLine(input.to_proto()))

    @described.mutation("Why a line differs; replaces the reasons given before.")
    async def explain_line(self, info: Info, input: ExplainLineInput) -> CountLinePayload:
        return await _line(info, "explaining a line", lambda: _stub(info).ExplainLine(input.to_proto()))

    @described.mutation("Why several lines differ, in one call: every line is explained or none is.")
    async def explain_lines(self, info: Info, input: ExplainLinesInput) -> ExplainLinesPayload:
        proto, errors = await command(
            info, SUPERVISORS, "explaining lines", lambda: _stub(info).ExplainLines(input.to_proto())
        )
        return ExplainLinesPayload(explained=proto.explained if proto is not None else 0, user_errors=errors)

    @strawberry.mutation
    async def submit_for_approval(self, info: Info, input: SubmitForApprovalInput) -> CountPayload:
        return await _count(
            info, SUPERVISORS, "submitting a count", lambda: _stub(info).SubmitForApproval(input.to_proto())
        )

    @described.mutation(
        "Approves at the next level required; after the last the adjustment goes to stock. Nobody approves a count "
        "they counted in, nor at two levels."
    )
    async def approve_count(self, info: Info, input: ApproveCountInput) -> CountPayload:
        return await _count(info, APPROVERS, "approving a count", lambda: _stub(info).Approve(input.to_proto()))

    @described.mutation("Back to REVIEW with the comment; the approvals given so far are void.")
    async def reject_count(self, info: Info, input: RejectCountInput) -> CountPayload:
        return await _count(info, APPROVERS, "rejecting a count", lambda: _stub(info).Reject(input.to_proto()))

    @described.mutation("Cancels a count that has not been approved; nothing goes to stock.")
    async def cancel_count(self, info: Info, input: CancelCountInput) -> CountPayload:
        return await _count(info, SUPERVISORS, "cancelling a count", lambda: _stub(info).CancelCount(input.to_proto()))

    @strawberry.mutation
    async def set_approval_policy(self, info: Info, input: SetApprovalPolicyInput) -> ApprovalPolicyPayload:
        proto, errors = await command(
            info,
            SUPERVISORS,
            "setting the approval policy",
            lambda: _stub(info).SetApprovalPolicy(input.to_proto()),
            input.FIELDS,
        )
        return ApprovalPolicyPayload(
            policy=ApprovalPolicy.from_proto(proto) if proto is not None else None, user_errors=errors
        )

    @strawberry.mutation
    async def set_reason_code(self, info: Info, input: SetReasonCodeInput) -> ReasonCodePayload:
        proto, errors = await command(
            info,
            SUPERVISORS,
            "setting a reason code",
            lambda: _stub(info).SetReasonCode(input.to_proto()),
            input.FIELDS,
        )
        return ReasonCodePayload(
            reason_code=ReasonCode.from_proto(proto) if proto is not None else None, user_errors=errors
        )

    @described.mutation("Ranks the warehouse's items by issue value into A, B and C, replacing the classes before.")
    async def compute_abc_classes(self, info: Info, input: ComputeAbcClassesInput) -> AbcClassesPayload:
        proto, errors = await command(
            info, SUPERVISORS, "computing ABC classes", lambda: _stub(info).ComputeAbcClasses(input.to_proto())
        )
        return AbcClassesPayload(
            abc_classes=AbcClasses.from_proto(proto) if proto is not None else None, user_errors=errors
        )

    @strawberry.mutation
    async def set_cycle_policy(self, info: Info, input: SetCyclePolicyInput) -> CyclePolicyPayload:
        proto, errors = await command(
            info,
            SUPERVISORS,
            "setting the cycle policy",
            lambda: _stub(info).SetCyclePolicy(input.to_proto()),
            input.FIELDS,
        )
        return CyclePolicyPayload(
            policy=CyclePolicy.from_proto(proto) if proto is not None else None, user_errors=errors
        )

    @described.mutation("DRAFT cycle counts for the items due on the day; an item planned for that day is not again.")
    async def plan_counts(self, info: Info, input: PlanCountsInput) -> PlanCountsPayload:
        proto, errors = await command(
            info, SUPERVISORS, "planning counts", lambda: _stub(info).PlanCounts(input.to_proto())
        )
        if proto is None:
            return PlanCountsPayload(counts=[], due=[], user_errors=errors)
        return PlanCountsPayload(
            counts=[Count.from_proto(c) for c in proto.counts],
            due=[DueItem.from_proto(d) for d in proto.due],
            user_errors=errors,
        )
