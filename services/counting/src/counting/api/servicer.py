"""The counting service's gRPC API: translate a request into a command (dispatched) or a
query, and the answer back."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

import grpc
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from counting.api import messages
from counting.domain import commands
from counting.service import planning, queries, reports, tracing
from counting.service.ports import CountingRepository, Reading, StockBooks
from invariant.counting.v1 import counting_pb2 as pb
from invariant.counting.v1 import counting_pb2_grpc
from invariant_core.commands import Dispatcher
from invariant_core.messages import datetime_from_message
from invariant_core.paging import page_of, page_query

T = TypeVar("T")
# A count's lines come in bigger pages than other lists: a review of 10,000 differing lines
# is ten pages, not a hundred.
MAX_LINES_PAGE = 1000


def _time(request: Message, field: str) -> datetime | None:
    stamp: Timestamp = getattr(request, field)
    return datetime_from_message(stamp) if request.HasField(field) else None


def _reasons(given: pb.ExplainLineRequest | pb.LineReasons) -> list[tuple[str, str]]:
    return [(r.reason_code, r.quantity.value) for r in given.reasons]


class CountingServicer(counting_pb2_grpc.CountingServiceServicer):
    def __init__(self, reading: Reading, dispatch: Dispatcher[CountingRepository], stock: StockBooks) -> None:
        self._reading = reading
        self._dispatch = dispatch
        self._stock = stock

    async def _query(self, body: Callable[[CountingRepository], Awaitable[T]]) -> T:
        async with self._reading() as repo:
            return await body(repo)

    # counts

    async def CreateCount(self, request: pb.CreateCountRequest, context: grpc.aio.ServicerContext) -> pb.Count:
        given = request.tolerance
        command = commands.CreateCount(
            warehouse=request.warehouse,
            kind=request.kind,
            blind=request.blind,
            locations=list(request.locations),
            item_skus=list(request.item_skus),
            abc_class=request.abc_class,
            tolerance=(given.quantity.value, given.percent.value, given.value.value),
            counters=list(request.counters),
            note=request.note,
        )
        return await self._dispatch(request, command, pb.Count, messages.count_message)

    async def OpenCount(self, request: pb.OpenCountRequest, context: grpc.aio.ServicerContext) -> pb.Count:
        return await self._dispatch(request, commands.OpenCount(request.count_id), pb.Count, messages.count_message)

    async def SubmitEntries(
        self, request: pb.SubmitEntriesRequest, context: grpc.aio.ServicerContext
    ) -> pb.SubmitEntriesResponse:
        command = commands.SubmitEntries(
            request.count_id,
            [
                commands.GivenEntry(
                    entry_id=e.entry_id,
                    line_id=e.line_id,
                    item_sku=e.item_sku,
                    barcode=e.barcode,
                    location=e.location,
                    lot=e.lot,
                    quantity=e.quantity.value,
                    unit=e.unit,
                    counted_at=_time(e, "counted_at"),
                )
                for e in request.entries
            ],
        )
        return await self._dispatch(request, command, pb.SubmitEntriesResponse, messages.accepted_message)

    async def FinishRound(self, request: pb.FinishRoundRequest, context: grpc.aio.ServicerContext) -> pb.Count:
        return await self._dispatch(request, commands.FinishRound(request.count_id), pb.Count, messages.count_message)

    async def DecideLine(self, request: pb.DecideLineRequest, context: grpc.aio.ServicerContext) -> pb.CountLine:
        command = commands.DecideLine(request.count_id, request.line_id, request.round, request.comment)
        return await self._dispatch(request, command, pb.CountLine, messages.line_message)

    async def ExplainLine(self, request: pb.ExplainLineRequest, context: grpc.aio.ServicerContext) -> pb.CountLine:
        command = commands.ExplainLine(request.count_id, request.line_id, _reasons(request))
        return await self._dispatch(request, command, pb.CountLine, messages.line_message)

    async def ExplainLines(
        self, request: pb.ExplainLinesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ExplainLinesResponse:
        command = commands.ExplainLines(request.count_id, [(line.line_id, _reasons(line)) for line in request.lines])
        return await self._dispatch(
            request, command, pb.ExplainLinesResponse, lambda explained: pb.ExplainLinesResponse(explained=explained)
        )

    async def SubmitForApproval(
        self, request: pb.SubmitForApprovalRequest, context: grpc.aio.ServicerContext
    ) -> pb.Count:
        command = commands.SubmitForApproval(request.count_id)
        return await self._dispatch(request, command, pb.Count, messages.count_message)

    async def Approve(self, request: pb.ApproveRequest, context: grpc.aio.ServicerContext) -> pb.Count:
        command = commands.Approve(request.count_id, request.level, request.comment)
        return await self._dispatch(request, command, pb.Count, messages.count_message)

    async def Reject(self, request: pb.RejectRequest, context: grpc.aio.ServicerContext) -> pb.Count:
        command = commands.Reject(request.count_id, request.level, request.comment)
        return await self._dispatch(request, command, pb.Count, messages.count_message)

    async def CancelCount(self, request: pb.CancelCountRequest, context: grpc.aio.ServicerContext) -> pb.Count:
        command = commands.CancelCount(request.count_id, request.reason)
        return await self._dispatch(request, command, pb.Count, messages.count_message)

    async def GetCount(self, request: pb.GetCountRequest, context: grpc.aio.ServicerContext) -> pb.Count:
        return messages.count_message(await self._query(lambda repo: queries.get_count(repo, request.count_id)))

    async def GetCounts(self, request: pb.GetCountsRequest, context: grpc.aio.ServicerContext) -> pb.GetCountsResponse:
        found = await self._query(lambda repo: queries.get_counts(repo, request.count_ids))
        return pb.GetCountsResponse(counts=[messages.count_message(view) for view in found])

    async def ListCounts(
        self, request: pb.ListCountsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListCountsResponse:
        page = page_query(request, datetime, str)
        found = await self._query(
            lambda repo: queries.list_counts(repo, request.warehouse, request.states, request.counter, page)
        )
        listed = page_of(found, page, lambda view: (view.count.created_at, view.count.id))
        return pb.ListCountsResponse(
            counts=[messages.count_message(view) for view in listed.rows],
            next_page_token=listed.next_page_token,
            cursors=listed.cursors,
        )

    # lines

    async def ListLines(self, request: pb.ListLinesRequest, context: grpc.aio.ServicerContext) -> pb.ListLinesResponse:
        page = page_query(request, int, maximum=MAX_LINES_PAGE)
        found = await self._query(
            lambda repo: queries.list_lines(repo, request.count_id, request.states, request.differing_only, page)
        )
        listed = page_of(found, page, lambda view: (view.line.number,))
        return pb.ListLinesResponse(
            lines=[messages.line_message(view) for view in listed.rows],
            next_page_token=listed.next_page_token,
            cursors=listed.cursors,
        )

    async def GetLines(self, request: pb.GetLinesRequest, context: grpc.aio.ServicerContext) -> pb.GetLinesResponse:
        found = await self._query(lambda repo: queries.get_lines(repo, request.line_ids))
        return pb.GetLinesResponse(lines=[messages.line_message(view) for view in found])

    async def NextLine(self, request: pb.NextLineRequest, context: grpc.aio.ServicerContext) -> pb.NextLineResponse:
        line, remaining = await self._query(lambda repo: queries.next_line(repo, request.count_id))
        if line is None:
            return pb.NextLineResponse(remaining=remaining)
        return pb.NextLineResponse(line=messages.line_message(line), remaining=remaining)

    async def TraceLine(self, request: pb.TraceLineRequest, context: grpc.aio.ServicerContext) -> pb.LineTrace:
        trace = await tracing.trace_line(self._reading, self._stock, request.count_id, request.line_id)
        return messages.trace_message(trace)

    # reports

    async def GetAccuracy(self, request: pb.GetAccuracyRequest, context: grpc.aio.ServicerContext) -> pb.Accuracy:
        figures = await self._query(
            lambda repo: reports.record_accuracy(
                repo, request.warehouse, _time(request, "from_time"), _time(request, "to_time"), request.group_by
            )
        )
        return messages.accuracy_message(figures)

    async def ExportAdjustments(
        self, request: pb.ExportAdjustmentsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ExportAdjustmentsResponse:
        filename, text = await self._query(lambda repo: reports.export_adjustments(repo, request.count_id))
        return pb.ExportAdjustmentsResponse(filename=filename, csv=text)

    # what a warehouse sets

    async def SetApprovalPolicy(
        self, request: pb.SetApprovalPolicyRequest, context: grpc.aio.ServicerContext
    ) -> pb.ApprovalPolicy:
        policy = request.policy
        command = commands.SetApprovalPolicy(
            policy.warehouse, policy.supervisor_limit.value, policy.finance_limit.value
        )
        return await self._dispatch(request, command, pb.ApprovalPolicy, messages.approval_policy_message)

    async def GetApprovalPolicy(
        self, request: pb.GetApprovalPolicyRequest, context: grpc.aio.ServicerContext
    ) -> pb.ApprovalPolicy:
        found = await self._query(lambda repo: queries.approval_policy(repo, request.warehouse))
        return messages.approval_policy_message(found)

    async def SetReasonCode(self, request: pb.SetReasonCodeRequest, context: grpc.aio.ServicerContext) -> pb.ReasonCode:
        given = request.reason_code
        command = commands.SetReasonCode(given.code, given.name, given.active)
        return await self._dispatch(request, command, pb.ReasonCode, messages.reason_code_message)

    async def ListReasonCodes(
        self, request: pb.ListReasonCodesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListReasonCodesResponse:
        page = page_query(request, str)
        found = await self._query(lambda repo: queries.reason_codes(repo, request.include_inactive, page))
        listed = page_of(found, page, lambda code: (code.code,))
        return pb.ListReasonCodesResponse(
            reason_codes=[messages.reason_code_message(code) for code in listed.rows],
            next_page_token=listed.next_page_token,
            cursors=listed.cursors,
        )

    # planning

    async def ComputeAbcClasses(
        self, request: pb.ComputeAbcClassesRequest, context: grpc.aio.ServicerContext
    ) -> pb.AbcClasses:
        command = commands.ComputeAbcClasses(
            request.warehouse,
            _time(request, "from_time"),
            _time(request, "to_time"),
            request.a_percent.value,
            request.b_percent.value,
        )
        return await self._dispatch(request, command, pb.AbcClasses, messages.abc_classes_message)

    async def ListAbcClasses(
        self, request: pb.ListAbcClassesRequest, context: grpc.aio.ServicerContext
    ) -> pb.AbcClasses:
        page = page_query(request, str, str)
        found = await self._query(lambda repo: planning.abc_classes(repo, request.warehouse, page))
        listed = page_of(found.classes, page, lambda classified: (str(classified.abc_class), classified.item_sku))
        reply = messages.abc_classes_message(dataclasses.replace(found, classes=listed.rows))
        reply.next_page_token = listed.next_page_token
        reply.cursors.extend(listed.cursors)
        return reply

    async def SetCyclePolicy(
        self, request: pb.SetCyclePolicyRequest, context: grpc.aio.ServicerContext
    ) -> pb.CyclePolicy:
        given = request.policy
        command = commands.SetCyclePolicy(
            given.warehouse,
            given.a_days,
            given.b_days,
            given.c_days,
            given.capacity,
            given.large_adjustment_value.value,
        )
        return await self._dispatch(request, command, pb.CyclePolicy, messages.cycle_policy_message)

    async def GetCyclePolicy(
        self, request: pb.GetCyclePolicyRequest, context: grpc.aio.ServicerContext
    ) -> pb.CyclePolicy:
        found = await self._query(lambda repo: planning.get_cycle_policy(repo, request.warehouse))
        return messages.cycle_policy_message(found)

    async def PlanCounts(
        self, request: pb.PlanCountsRequest, context: grpc.aio.ServicerContext
    ) -> pb.PlanCountsResponse:
        command = commands.PlanCounts(request.warehouse, _time(request, "date"), list(request.counters))
        return await self._dispatch(request, command, pb.PlanCountsResponse, messages.plan_message)
