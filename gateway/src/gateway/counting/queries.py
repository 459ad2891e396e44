"""Counting reads: any authenticated user may ask, except for what only a counter needs.

What a counter may not see of a blind count the service leaves out for them.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from gateway import described
from gateway.context import Info
from gateway.convert import timestamp_to_proto
from gateway.counting.types import (
    AbcClasses,
    AccuracyGrouping,
    AccuracyRow,
    ApprovalPolicy,
    Count,
    CountAdjustmentsCsv,
    CountLine,
    CountState,
    CyclePolicy,
    LineState,
    LineTrace,
    NextLine,
    ReasonCode,
)
from gateway.errors import call, call_or_none
from gateway.nodes import local_id
from gateway.pagination import After, Before, Connection, First, Last, PageRequest, connection, page_request
from gateway.permissions import require
from invariant.counting.v1 import counting_pb2 as pb

# The states in which a count takes entries.
OPEN_STATES = (CountState.OPEN, CountState.COUNTING)

# Arguments that several fields take, each with its description.
CountId = Annotated[strawberry.ID, strawberry.argument(description="The count's `id`.")]
Warehouse = Annotated[str, strawberry.argument(description="The warehouse's code.")]


async def _counts(
    info: Info, warehouse: str, states: list[CountState], counter: str, page: PageRequest
) -> Connection[Count]:
    request = pb.ListCountsRequest(
        warehouse=warehouse, states=[state.name for state in states], counter=counter, **page.fields
    )
    reply = await call(lambda: info.context.stubs.counting.ListCounts(request))
    return connection([Count.from_proto(count) for count in reply.counts], reply.cursors, page, reply.next_page_token)


async def _lines(
    info: Info, count_id: str, states: list[LineState], differing_only: bool, page: PageRequest
) -> Connection[CountLine]:
    request = pb.ListLinesRequest(
        count_id=local_id(count_id, Count, "countId"),
        states=[state.name for state in states],
        differing_only=differing_only,
        **page.fields,
    )
    reply = await call(lambda: info.context.stubs.counting.ListLines(request))
    lines = [CountLine.from_proto(line) for line in reply.lines]
    return connection(lines, reply.cursors, page, reply.next_page_token)


@strawberry.type
class CountingQuery:
    @described.field("The count with this `id`, or null.")
    async def count(self, info: Info, id: CountId) -> Count | None:
        request = pb.GetCountRequest(count_id=local_id(id, Count, "id"))
        proto = await call_or_none(lambda: info.context.stubs.counting.GetCount(request))
        return Count.from_proto(proto) if proto is not None else None

    @described.field(
        "Counts in the order they were created, oldest first (`last` reads the newest); empty filters match everything."
    )
    async def counts(
        self,
        info: Info,
        warehouse: Annotated[str, strawberry.argument(description="A warehouse's code; empty: every warehouse.")] = "",
        states: Annotated[
            list[CountState] | None, strawberry.argument(description="Only counts in these states; null or empty: any.")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Count]:
        return await _counts(info, warehouse, states or [], "", page_request(first, after, last, before))

    @described.field(
        "The OPEN and COUNTING counts that list the caller among their counters; for operators, supervisors, "
        "managers and admins."
    )
    async def my_open_counts(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Count]:
        require(info)
        page = page_request(first, after, last, before)
        return await _counts(info, "", list(OPEN_STATES), info.context.identity.actor, page)

    @described.field("A count's lines in number (location) order; empty `states` match every state.")
    async def count_lines(
        self,
        info: Info,
        count_id: CountId,
        states: Annotated[
            list[LineState] | None, strawberry.argument(description="Only lines in these states; null or empty: any.")
        ] = None,
        differing_only: Annotated[
            bool,
            strawberry.argument(
                description="Only lines whose variance is not zero; refused to a counter while a blind count "
                "is counted."
            ),
        ] = False,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[CountLine]:
        return await _lines(info, count_id, states or [], differing_only, page_request(first, after, last, before))

    @described.field(
        "The caller's next line to count in the current round, in location order, leaving out recounts of lines "
        "they counted the round before; for operators, supervisors, managers and admins."
    )
    async def next_line(self, info: Info, count_id: CountId) -> NextLine:
        require(info)
        request = pb.NextLineRequest(count_id=local_id(count_id, Count, "countId"))
        return NextLine.from_proto(await call(lambda: info.context.stubs.counting.NextLine(request)))

    @described.field(
        "The lines of a count waiting for a recount, in location order; for operators, supervisors, managers "
        "and admins."
    )
    async def pending_recounts(
        self,
        info: Info,
        count_id: CountId,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[CountLine]:
        require(info)
        return await _lines(info, count_id, [LineState.RECOUNT], False, page_request(first, after, last, before))

    @described.field("The reasons a variance may be explained by, in code order.")
    async def reason_codes(
        self,
        info: Info,
        include_inactive: Annotated[
            bool, strawberry.argument(description="Also the codes retired, which explain no new variance.")
        ] = False,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[ReasonCode]:
        page = page_request(first, after, last, before)
        request = pb.ListReasonCodesRequest(include_inactive=include_inactive, **page.fields)
        reply = await call(lambda: info.context.stubs.counting.ListReasonCodes(request))
        codes = [ReasonCode.from_proto(reason_code) for reason_code in reply.reason_codes]
        return connection(codes, reply.cursors, page, reply.next_page_token)

    @described.field("Who approves a count in the warehouse, by the absolute value of its variances.")
    async def approval_policy(self, info: Info, warehouse: Warehouse) -> ApprovalPolicy:
        request = pb.GetApprovalPolicyRequest(warehouse=warehouse)
        return ApprovalPolicy.from_proto(await call(lambda: info.context.stubs.counting.GetApprovalPolicy(request)))

    @described.field("The gain/loss document of an approved or posted count, as CSV.")
    async def count_adjustments_csv(
        self,
        info: Info,
        count_id: Annotated[strawberry.ID, strawberry.argument(description="The count's `id`; APPROVED or POSTED.")],
    ) -> CountAdjustmentsCsv:
        request = pb.ExportAdjustmentsRequest(count_id=local_id(count_id, Count, "countId"))
        reply = await call(lambda: info.context.stubs.counting.ExportAdjustments(request))
        return CountAdjustmentsCsv.from_proto(reply)

    @described.field(
        "Suggested causes of a line's variance, from its ledger since the last posted count; refused to a counter "
        "while a blind count is counted."
    )
    async def line_trace(
        self,
        info: Info,
        count_id: CountId,
        line_id: Annotated[strawberry.ID, strawberry.argument(description="The line's `id`, on that count.")],
    ) -> LineTrace:
        request = pb.TraceLineRequest(
            count_id=local_id(count_id, Count, "countId"), line_id=local_id(line_id, CountLine, "lineId")
        )
        return LineTrace.from_proto(await call(lambda: info.context.stubs.counting.TraceLine(request)))

    @described.field("Inventory record accuracy of the lines of posted counts counted in [fromTime, toTime), grouped.")
    async def accuracy(
        self,
        info: Info,
        warehouse: Annotated[str, strawberry.argument(description="A warehouse's code; empty: every warehouse.")] = "",
        group_by: Annotated[
            AccuracyGrouping, strawberry.argument(description="What a row stands for.")
        ] = AccuracyGrouping.WAREHOUSE,
        from_time: Annotated[
            dt.datetime | None, strawberry.argument(description="Lines counted at or after it; null: since ever.")
        ] = None,
        to_time: Annotated[
            dt.datetime | None, strawberry.argument(description="Lines counted before it; null: until now.")
        ] = None,
    ) -> list[AccuracyRow]:
        request = pb.GetAccuracyRequest(warehouse=warehouse, group_by=group_by.name)
        if from_time is not None:
            request.from_time.CopyFrom(timestamp_to_proto(from_time, "fromTime"))
        if to_time is not None:
            request.to_time.CopyFrom(timestamp_to_proto(to_time, "toTime"))
        reply = await call(lambda: info.context.stubs.counting.GetAccuracy(request))
        return [AccuracyRow.from_proto(row) for row in reply.rows]

    @described.field("A warehouse's ABC classes as last computed.")
    async def abc_classes(self, info: Info, warehouse: Warehouse) -> AbcClasses:
        # For the warehouse's code and when they were computed: `classes` reads the page it is asked for.
        request = pb.ListAbcClassesRequest(warehouse=warehouse, page_size=1)
        return AbcClasses.from_proto(await call(lambda: info.context.stubs.counting.ListAbcClasses(request)))

    @described.field("How often each class is counted in a warehouse (defaults until one is set).")
    async def cycle_policy(self, info: Info, warehouse: Warehouse) -> CyclePolicy:
        request = pb.GetCyclePolicyRequest(warehouse=warehouse)
        return CyclePolicy.from_proto(await call(lambda: info.context.stubs.counting.GetCyclePolicy(request)))
