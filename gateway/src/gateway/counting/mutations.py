"""Counting commands: the result and the user errors side by side, nothing raised.

The gateway keeps out the roles that may never do a thing (DESIGN §5); the service
decides the rest, such as the approval level a role may give and separation of duties.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

import strawberry

from gateway import described
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

Stub = counting_pb2_grpc.CountingServiceStub


USER_ERRORS = "Why it was refused, with nothing written; empty when it was done."


def _stub(info: Info) -> Stub:
    return info.context.stubs.counting


@strawberry.type(description="A count after a command, or why the command was refused.")
class CountPayload:
    count: Count | None = strawberry.field(description="The count as it stands after the command; null when refused.")
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="A line after a command, or why the command was refused.")
class CountLinePayload:
    line: CountLine | None = strawberry.field(description="The line as it stands after the command; null when refused.")
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The entry taken, or why it was refused.")
class SubmitEntryPayload:
    entry: AcceptedEntry | None = strawberry.field(description="Null when refused.")
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The entries taken, or why the upload was refused.")
class SubmitEntriesPayload:
    entries: list[AcceptedEntry] = strawberry.field(description="One per entry, in order; empty when refused.")
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="How many lines were explained, or why none was.")
class ExplainLinesPayload:
    explained: int = strawberry.field(description="Lines explained: all of those given, or none when refused.")
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="A warehouse's approval policy as set, or why it was refused.")
class ApprovalPolicyPayload:
    policy: ApprovalPolicy | None = strawberry.field(description="The policy now in force; null when refused.")
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="A reason code as set, or why it was refused.")
class ReasonCodePayload:
    reason_code: ReasonCode | None = strawberry.field(description="The reason code as it now is; null when refused.")
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


async def _count(info: Info, send: Callable[[], Awaitable[pb.Count]]) -> CountPayload:
    proto, errors = await command(info, send)
    return CountPayload(count=Count.from_proto(proto) if proto is not None else None, user_errors=errors)


async def _line(info: Info, send: Callable[[], Awaitable[pb.CountLine]]) -> CountLinePayload:
    proto, errors = await command(info, send)
    return CountLinePayload(line=CountLine.from_proto(proto) if proto is not None else None, user_errors=errors)


async def _entries(
    info: Info, input: SubmitEntryInput | SubmitEntriesInput
) -> tuple[list[AcceptedEntry], list[UserError]]:
    proto, errors = await command(info, lambda: _stub(info).SubmitEntries(input.to_proto()), input.fields)
    return [AcceptedEntry.from_proto(entry) for entry in proto.entries] if proto is not None else [], errors


@strawberry.type(description="A warehouse's ABC classes as computed, or why they were not.")
class AbcClassesPayload:
    abc_classes: AbcClasses | None = strawberry.field(description="The classes now in force; null when refused.")
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="A warehouse's cycle policy as set, or why it was refused.")
class CyclePolicyPayload:
    policy: CyclePolicy | None = strawberry.field(description="The policy now in force; null when refused.")
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="The cycle counts planned, or why none was.")
class PlanCountsPayload:
    counts: list[Count] = strawberry.field(
        description="The DRAFT counts created, each of one ABC class; empty when nothing was due or when refused."
    )
    due: list[DueItem] = strawberry.field(
        description="The items these counts cover and why each is due; items planned already for the day are left out."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type
class CountingMutation:
    @described.mutation("Plans a count in DRAFT, with no lines yet. Refused for a warehouse stock does not know.")
    async def create_count(
        self, info: Info, input: Annotated[CreateCountInput, strawberry.argument(description="The count to plan.")]
    ) -> CountPayload:
        return await _count(info, lambda: _stub(info).CreateCount(input.to_proto()))

    @described.mutation(
        "DRAFT → OPEN: a line per (location, item, lot) in scope that stock holds, each with the book as it stands "
        "now; the warehouse keeps working. Only a DRAFT count opens."
    )
    async def open_count(
        self, info: Info, input: Annotated[OpenCountInput, strawberry.argument(description="The count to open.")]
    ) -> CountPayload:
        return await _count(info, lambda: _stub(info).OpenCount(input.to_proto()))

    @described.mutation(
        "One entry, idempotent by its entryId; the first entry moves an OPEN count to COUNTING. Refused for a line "
        "that takes no more entries, and for a recount by who counted the round before."
    )
    async def submit_entry(
        self, info: Info, input: Annotated[SubmitEntryInput, strawberry.argument(description="The entry.")]
    ) -> SubmitEntryPayload:
        entries, errors = await _entries(info, input)
        return SubmitEntryPayload(entry=entries[0] if entries else None, user_errors=errors)

    @described.mutation("Entries uploaded together, each idempotent by its entryId: all are taken or none.")
    async def submit_entries(
        self, info: Info, input: Annotated[SubmitEntriesInput, strawberry.argument(description="The upload.")]
    ) -> SubmitEntriesPayload:
        entries, errors = await _entries(info, input)
        return SubmitEntriesPayload(entries=entries, user_errors=errors)

    @described.mutation(
        "Closes the round: a line outside tolerance goes to RECOUNT, a recount that agrees with neither the book nor "
        "the round before to INVESTIGATION, the rest stand. With nothing pending the count moves to REVIEW."
    )
    async def finish_round(
        self, info: Info, input: Annotated[FinishRoundInput, strawberry.argument(description="The count.")]
    ) -> CountPayload:
        return await _count(info, lambda: _stub(info).FinishRound(input.to_proto()))

    @described.mutation(
        "A supervisor decides which round of a line under INVESTIGATION stands; once every line stands the count "
        "moves to REVIEW."
    )
    async def decide_line(
        self, info: Info, input: Annotated[DecideLineInput, strawberry.argument(description="The line and its round.")]
    ) -> CountLinePayload:
        return await _line(info, lambda: _stub(info).DecideLine(input.to_proto()))

    @described.mutation(
        "Why a line differs, while its count is in REVIEW; replaces the reasons given before. Refused unless "
        "active codes add up to the variance's size."
    )
    async def explain_line(
        self, info: Info, input: Annotated[ExplainLineInput, strawberry.argument(description="The line's reasons.")]
    ) -> CountLinePayload:
        return await _line(info, lambda: _stub(info).ExplainLine(input.to_proto()))

    @described.mutation("Why several lines differ, in one call: every line is explained or none is.")
    async def explain_lines(
        self, info: Info, input: Annotated[ExplainLinesInput, strawberry.argument(description="The lines' reasons.")]
    ) -> ExplainLinesPayload:
        proto, errors = await command(info, lambda: _stub(info).ExplainLines(input.to_proto()))
        return ExplainLinesPayload(explained=proto.explained if proto is not None else 0, user_errors=errors)

    @described.mutation(
        "REVIEW → AWAITING_APPROVAL at the levels the absolute variance value needs; a count where nothing differs "
        "is approved and posted at once. Refused while a differing line has no reasons."
    )
    async def submit_for_approval(
        self, info: Info, input: Annotated[SubmitForApprovalInput, strawberry.argument(description="The count.")]
    ) -> CountPayload:
        return await _count(info, lambda: _stub(info).SubmitForApproval(input.to_proto()))

    @described.mutation(
        "Approves at the next level required; after the last the adjustment goes to stock. Nobody approves a count "
        "they counted in, nor at two levels."
    )
    async def approve_count(
        self, info: Info, input: Annotated[ApproveCountInput, strawberry.argument(description="The approval.")]
    ) -> CountPayload:
        return await _count(info, lambda: _stub(info).Approve(input.to_proto()))

    @described.mutation("Back to REVIEW with the comment; the approvals given so far are void.")
    async def reject_count(
        self, info: Info, input: Annotated[RejectCountInput, strawberry.argument(description="The rejection.")]
    ) -> CountPayload:
        return await _count(info, lambda: _stub(info).Reject(input.to_proto()))

    @described.mutation("Cancels a count that has not been approved; nothing goes to stock.")
    async def cancel_count(
        self, info: Info, input: Annotated[CancelCountInput, strawberry.argument(description="The count and why.")]
    ) -> CountPayload:
        return await _count(info, lambda: _stub(info).CancelCount(input.to_proto()))

    @described.mutation("Sets who approves a warehouse's counts by value, for the counts submitted from now on.")
    async def set_approval_policy(
        self, info: Info, input: Annotated[SetApprovalPolicyInput, strawberry.argument(description="The policy.")]
    ) -> ApprovalPolicyPayload:
        proto, errors = await command(
            info,
            lambda: _stub(info).SetApprovalPolicy(input.to_proto()),
            input.FIELDS,
        )
        return ApprovalPolicyPayload(
            policy=ApprovalPolicy.from_proto(proto) if proto is not None else None, user_errors=errors
        )

    @described.mutation("Adds a reason code, or renames, retires or restores one.")
    async def set_reason_code(
        self, info: Info, input: Annotated[SetReasonCodeInput, strawberry.argument(description="The reason code.")]
    ) -> ReasonCodePayload:
        proto, errors = await command(
            info,
            lambda: _stub(info).SetReasonCode(input.to_proto()),
            input.FIELDS,
        )
        return ReasonCodePayload(
            reason_code=ReasonCode.from_proto(proto) if proto is not None else None, user_errors=errors
        )

    @described.mutation("Ranks the warehouse's items by issue value into A, B and C, replacing the classes before.")
    async def compute_abc_classes(
        self,
        info: Info,
        input: Annotated[ComputeAbcClassesInput, strawberry.argument(description="The warehouse and the period.")],
    ) -> AbcClassesPayload:
        proto, errors = await command(info, lambda: _stub(info).ComputeAbcClasses(input.to_proto()))
        return AbcClassesPayload(
            abc_classes=AbcClasses.from_proto(proto) if proto is not None else None, user_errors=errors
        )

    @described.mutation(
        "Sets how often each class is counted in a warehouse and how big a planned count may be, for the plans "
        "made from now on."
    )
    async def set_cycle_policy(
        self, info: Info, input: Annotated[SetCyclePolicyInput, strawberry.argument(description="The policy.")]
    ) -> CyclePolicyPayload:
        proto, errors = await command(
            info,
            lambda: _stub(info).SetCyclePolicy(input.to_proto()),
            input.FIELDS,
        )
        return CyclePolicyPayload(
            policy=CyclePolicy.from_proto(proto) if proto is not None else None, user_errors=errors
        )

    @described.mutation(
        "Blind DRAFT cycle counts for the items due on the day; an item planned for that day is not again, so a "
        "second run plans only what became due since."
    )
    async def plan_counts(
        self, info: Info, input: Annotated[PlanCountsInput, strawberry.argument(description="The warehouse and day.")]
    ) -> PlanCountsPayload:
        proto, errors = await command(info, lambda: _stub(info).PlanCounts(input.to_proto()))
        if proto is None:
            return PlanCountsPayload(counts=[], due=[], user_errors=errors)
        return PlanCountsPayload(
            counts=[Count.from_proto(c) for c in proto.counts],
            due=[DueItem.from_proto(d) for d in proto.due],
            user_errors=errors,
        )
