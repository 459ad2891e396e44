"""The counting service's gRPC API: resolve what lives elsewhere, call the handler, translate back."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Awaitable, Callable, Sequence, Sized
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar

import grpc
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from google.type.decimal_pb2 import Decimal as PbDecimal
from sqlalchemy import Row

from counting.adapters.planning import PlanningRepository
from counting.adapters.repository import CountingRepository
from counting.domain.counts import (
    BLIND_WHILE,
    REVIEWER_ROLES,
    CountedLine,
    CountKind,
    CountState,
    Grouping,
    Level,
    LineState,
    Tolerance,
    accuracy,
    parse_enum,
)
from counting.domain.planning import (
    CyclePolicy,
    abc_percents,
    classify,
    cycle_policy,
    due_items,
    issue_days,
    split_into_counts,
)
from counting.domain.trace import TracedMovement, rank_suspects
from counting.service import handlers
from invariant.counting.v1 import counting_pb2 as pb
from invariant.counting.v1 import counting_pb2_grpc
from invariant.stock.v1 import stock_pb2, stock_pb2_grpc
from invariant_core import identity
from invariant_core.db import UnitOfWork, UnitOfWorkFactory, utcnow
from invariant_core.idempotency import answered, run_idempotent
from invariant_core.items import ReplicatedItems
from invariant_core.messages import datetime_from_message, decimal_message, timestamp_message
from invariant_core.paging import decode_token, encode_token, page_size
from invariant_kernel.codes import normalise_warehouse
from invariant_kernel.decimals import MONEY_PLACES, parse_decimal
from invariant_kernel.errors import DomainError, ErrorCode, quoted
from invariant_kernel.limits import CODE, ID, NAME, bounded
from invariant_kernel.units import decimal_text

R = TypeVar("R", bound=Message)
MAX_ENTRIES = 5000
MAX_EXPLAINED_LINES = 5000
# A count's lines come in bigger pages than other lists: a review of 10,000 differing lines
# is ten pages, not a hundred.
MAX_LINES_PAGE = 1000
# Keys per GetBooks call (the stock service's limit), so lines per part of a closing round.
BOOKS_PER_CALL = 5000
BOOK_CALLS_AT_ONCE = 3
# Times FinishRound reads its lines again when entries arrive while it closes them.
ROUND_ATTEMPTS = 3


def _timestamp(value: datetime | None) -> Timestamp | None:
    return None if value is None else timestamp_message(value)


def _time(stamp: Timestamp, has: bool) -> datetime | None:
    return datetime_from_message(stamp) if has else None


def _optional(value: PbDecimal, has: bool, field: str, places: int) -> Decimal | None:
    return parse_decimal(value.value, field, places=places, minimum=Decimal(0)) if has and value.value else None


def _accuracy_groups(grouping: Grouping, row: Any, reasons: dict[str, list[tuple[str, Decimal]]]) -> tuple[str, ...]:
    """The groups a posted line counts in: a line counted by two counters counts for both."""
    match grouping:
        case Grouping.WAREHOUSE:
            return (row.warehouse,)
        case Grouping.ABC_CLASS:
            return (row.abc_class or "UNCLASSIFIED",)
        case Grouping.COUNTER:
            return tuple(json.loads(row.counters))
        case Grouping.REASON:
            return tuple(code for code, _ in reasons.get(row.id, [])) or ("NONE",)
    return (row.counted_at.strftime("%Y-%m"),)


def _reasons(given: Sequence[pb.ReasonQuantity], field: str) -> list[tuple[str, Decimal]]:
    return [
        (
            r.reason_code.strip().upper(),
            parse_decimal(r.quantity.value, f"{field}[{i}].quantity", strictly_positive=True),
        )
        for i, r in enumerate(given)
    ]


def _traced(m: TracedMovement) -> pb.TracedMovement:
    return pb.TracedMovement(
        movement_id=m.movement_id,
        type=m.type,
        quantity=decimal_message(m.quantity),
        document_type=m.document_type,
        document_id=m.document_id,
        actor=m.actor,
        business_time=_timestamp(m.business_time),
        posted_at=_timestamp(m.posted_at),
        correction=bool(m.corrects_movement_id),
    )


def _policy_message(warehouse: str, policy: CyclePolicy) -> pb.CyclePolicy:
    return pb.CyclePolicy(
        warehouse=warehouse,
        a_days=policy.a_days,
        b_days=policy.b_days,
        c_days=policy.c_days,
        capacity=policy.capacity,
        large_adjustment_value=decimal_message(policy.large_adjustment_value),
    )


class CountingServicer(counting_pb2_grpc.CountingServiceServicer):
    def __init__(self, uows: UnitOfWorkFactory, items: ReplicatedItems, stock: stock_pb2_grpc.StockServiceStub) -> None:
        self._uows = uows
        self._items = items
        self._stock = stock

    async def _command(
        self, request: Message, body: Callable[[UnitOfWork, CountingRepository], Awaitable[str]]
    ) -> pb.Count:
        async def run(uow: UnitOfWork) -> pb.Count:
            repo = CountingRepository(uow.session)
            count_id = await body(uow, repo)
            return await self._count_message(repo, count_id)

        return await run_idempotent(self._uows, request, pb.Count, run)

    # building messages

    def _blind_for_caller(self, count: Row[Any]) -> bool:
        roles = identity.current.get().roles
        return bool(count.blind) and CountState(count.state) in BLIND_WHILE and not roles & REVIEWER_ROLES

    async def _count_message(self, repo: CountingRepository, count_id: str) -> pb.Count:
        count = await handlers.load_count(repo, count_id)
        summary = await repo.line_summary(count.id)
        differing, net, absolute = await repo.variance_totals(count.id)
        blind = self._blind_for_caller(count)
        message = pb.Count(
            id=count.id,
            warehouse=count.warehouse,
            kind=count.kind,
            blind=count.blind,
            locations=json.loads(count.locations),
            item_skus=json.loads(count.item_skus),
            abc_class=count.abc_class,
            counters=json.loads(count.counters),
            note=count.note,
            state=count.state,
            round=await repo.current_round(count.id),
            lines=sum(summary.values()),
            lines_counted=sum(n for s, n in summary.items() if s != LineState.TO_COUNT),
            lines_differing=0 if blind else differing,
            recounts_pending=summary.get(LineState.RECOUNT, 0),
            investigations_pending=summary.get(LineState.INVESTIGATION, 0),
            levels_required=json.loads(count.levels_required),
            created_by=count.created_by,
            created_at=_timestamp(count.created_at),
        )
        tolerance = handlers.tolerance_of(count)
        for name in ("quantity", "percent", "value"):
            limit = getattr(tolerance, name)
            if limit is not None:
                getattr(message.tolerance, name).CopyFrom(decimal_message(limit))
        if not blind:
            message.variance_value.CopyFrom(decimal_message(net))
            message.absolute_variance_value.CopyFrom(decimal_message(absolute))
        for a in await repo.approvals(count.id):
            message.approvals.add(level=a.level, actor=a.actor, at=_timestamp(a.at), comment=a.comment)
        for t in await repo.transitions(count.id):
            message.transitions.add(
                from_state=t.from_state, to_state=t.to_state, actor=t.actor, at=_timestamp(t.at), comment=t.comment
            )
        return message

    async def _line_messages(
        self, repo: CountingRepository, count: Row[Any], rows: Sequence[Row[Any]]
    ) -> list[pb.CountLine]:
        blind = self._blind_for_caller(count)
        ids = [r.id for r in rows]
        rounds = await repo.rounds(ids)
        reasons = await repo.reasons(ids)
        units = {sku: view.base_unit for sku, (view, _) in (await repo.items({r.item_sku for r in rows})).items()}
        found = []
        for r in rows:
            line = pb.CountLine(
                id=r.id,
                count_id=r.count_id,
                number=r.number,
                item_sku=r.item_sku,
                location=r.location,
                lot=r.lot,
                unit=units.get(r.item_sku, ""),
                origin=r.origin,
                state=r.state,
                round=r.round,
                opened_at=_timestamp(r.opened_at),
                moved_during_count=r.moved_during_count,
                within_tolerance=bool(r.within_tolerance),
                movement_id=r.movement_id or "",
                reasons=[
                    pb.ReasonQuantity(reason_code=code, quantity=decimal_message(q))
                    for code, q in reasons.get(r.id, [])
                ],
            )
            for done in rounds.get(r.id, []):
                result = line.rounds.add(
                    round=done.round,
                    counted=decimal_message(done.counted),
                    counters=json.loads(done.counters),
                    counted_at=_timestamp(done.counted_at),
                )
                if not blind:
                    result.book.CopyFrom(decimal_message(done.book))
                    result.variance.CopyFrom(decimal_message(done.variance))
                    for status, quantity in json.loads(done.book_by_status).items():
                        result.book_by_status.add(status=status, quantity=decimal_message(Decimal(quantity)))
            if not blind:
                line.book_at_open.CopyFrom(decimal_message(r.book_at_open))
                for name in ("counted", "variance", "variance_value"):
                    value = getattr(r, name)
                    if value is not None:
                        getattr(line, name).CopyFrom(decimal_message(value))
            found.append(line)
        return found

    # commands

    async def CreateCount(self, request: pb.CreateCountRequest, context: grpc.aio.ServicerContext) -> pb.Count:
        given = request.tolerance
        tolerance = Tolerance(
            _optional(given.quantity, given.HasField("quantity"), "tolerance.quantity", 6),
            _optional(given.percent, given.HasField("percent"), "tolerance.percent", 4),
            _optional(given.value, given.HasField("value"), "tolerance.value", MONEY_PLACES),
        )
        warehouse = normalise_warehouse(request.warehouse)
        known = await self._stock.ListWarehouses(stock_pb2.ListWarehousesRequest())
        found = next((w for w in known.warehouses if w.code == warehouse), None)
        if found is None:
            raise DomainError(ErrorCode.NOT_FOUND, f"warehouse {quoted(warehouse)} does not exist", "warehouse")
        for index, location in enumerate(request.locations):
            if location.strip().upper() == found.in_transit_location:
                raise DomainError(
                    ErrorCode.OUT_OF_RANGE,
                    f"{location.strip()} is the warehouse's in-transit location: goods on the road are counted "
                    "where they arrive",
                    f"locations[{index}]",
                )
        new = handlers.NewCount(
            warehouse=warehouse,
            kind=request.kind,
            blind=request.blind,
            locations=list(request.locations),
            item_skus=list(request.item_skus),
            abc_class=request.abc_class,
            tolerance=tolerance,
            counters=list(request.counters),
            note=request.note,
        )
        return await self._command(request, lambda uow, repo: handlers.create_count(uow, repo, new))

    async def OpenCount(self, request: pb.OpenCountRequest, context: grpc.aio.ServicerContext) -> pb.Count:
        async with self._uows.reader() as uow:
            count = await handlers.load_count(CountingRepository(uow.session), request.count_id)
        # A line is a place as a counter finds it: every status there, summed (DESIGN §3.3).
        book: dict[tuple[str, str, str], Decimal] = {}
        opened_at = utcnow()
        if count.state == CountState.DRAFT:
            # The book is read before the transaction opens: no remote call holds locks.
            stream = self._stock.StreamBalances(
                stock_pb2.StreamBalancesRequest(
                    warehouse=count.warehouse,
                    locations=json.loads(count.locations),
                    item_skus=json.loads(count.item_skus),
                )
            )
            async for page in stream:
                for b in page.balances:
                    key = (b.item_sku, b.place.location, b.place.lot)
                    book[key] = book.get(key, Decimal(0)) + Decimal(b.quantity.value)
        balances = [
            handlers.BookBalance(sku, location, lot, quantity) for (sku, location, lot), quantity in book.items()
        ]

        async def body(uow: UnitOfWork, repo: CountingRepository) -> str:
            await handlers.open_count(uow, repo, count.id, balances, opened_at)
            return str(count.id)

        return await self._command(request, body)

    async def SubmitEntries(
        self, request: pb.SubmitEntriesRequest, context: grpc.aio.ServicerContext
    ) -> pb.SubmitEntriesResponse:
        _check_batch(request.entries, "entries", MAX_ENTRIES)
        resolved = await self._resolve_entries(request)
        async with self._uows() as uow:
            accepted = await handlers.submit_entries(uow, CountingRepository(uow.session), request.count_id, resolved)
            await uow.commit()
        return pb.SubmitEntriesResponse(
            entries=[
                pb.AcceptedEntry(entry_id=a.entry_id, line_id=a.line_id, round=a.round, duplicate=a.duplicate)
                for a in accepted
            ]
        )

    async def _resolve_entries(self, request: pb.SubmitEntriesRequest) -> list[handlers.ResolvedEntry]:
        """Items and base quantities, looked up before the transaction (the catalog may be asked)."""
        async with self._uows.reader() as uow:
            repo = CountingRepository(uow.session)
            by_line = await repo.lines_by_id(
                request.count_id.strip(), {e.line_id for e in request.entries if e.line_id}
            )
        now = utcnow()
        where: list[tuple[pb.Entry, str, str, str, str]] = []
        for index, entry in enumerate(request.entries):
            field = f"entries[{index}]"
            if not entry.entry_id.strip():
                raise DomainError(ErrorCode.REQUIRED, f"{field}.entry_id is required", f"{field}.entry_id")
            bounded(entry.entry_id.strip(), f"{field}.entry_id", ID)
            if entry.line_id:
                line = by_line.get(entry.line_id)
                if line is None:
                    raise DomainError(
                        ErrorCode.NOT_FOUND, f"line {entry.line_id!r} is not on this count", f"{field}.line_id"
                    )
                where.append((entry, field, line.item_sku, line.location, line.lot))
                continue
            if entry.barcode.strip():
                sku = await self._items.sku_of_barcode(entry.barcode, f"{field}.barcode")
            elif entry.item_sku.strip():
                sku = entry.item_sku.strip().upper()
            else:
                raise DomainError(
                    ErrorCode.REQUIRED, f"{field} needs a line_id, an item_sku or a barcode", f"{field}.line_id"
                )
            location = entry.location.strip().upper()
            if not location:
                raise DomainError(ErrorCode.REQUIRED, f"{field}.location is required", f"{field}.location")
            where.append((entry, field, sku, location, entry.lot.strip()))
        # One read for every item of the upload; the catalog is asked only for those missing.
        items = await self._items.views({sku: f"{field}.item_sku" for _, field, sku, _, _ in reversed(where)})
        resolved = []
        for entry, field, sku, location, lot in where:
            item = items[sku]
            if item.lot_tracked and not lot:
                raise DomainError(
                    ErrorCode.REQUIRED, f"item {sku} is lot-tracked: {field}.lot is required", f"{field}.lot"
                )
            if lot and not item.lot_tracked:
                raise DomainError(ErrorCode.INVALID_STATE, f"item {sku} is not lot-tracked", f"{field}.lot")
            quantity = item.to_base(
                entry.quantity.value, entry.unit, f"{field}.quantity", f"{field}.unit", zero_allowed=True
            )
            counted_at = _time(entry.counted_at, entry.HasField("counted_at")) or now
            if counted_at > now:
                raise DomainError(ErrorCode.OUT_OF_RANGE, f"{field}.counted_at is in the future", f"{field}.counted_at")
            resolved.append(
                handlers.ResolvedEntry(
                    entry.entry_id.strip(),
                    entry.line_id,
                    sku,
                    location,
                    lot,
                    quantity,
                    entry.quantity.value.strip(),
                    item.unit_code(entry.unit, f"{field}.unit"),
                    counted_at,
                )
            )
        return resolved

    async def FinishRound(self, request: pb.FinishRoundRequest, context: grpc.aio.ServicerContext) -> pb.Count:
        # The lines are read and judged against stock's book before the transaction, in
        # parts, a few at once: stock answers one part while the next is read and the one
        # before is judged, and each answers well within its deadline. The transaction
        # refuses the judgement if entries arrived meanwhile, and it is all done again.
        for _ in range(ROUND_ATTEMPTS):
            async with self._uows.reader() as uow:
                # A retry of a round already finished is answered before the count's state refuses it.
                done = await answered(uow, request, pb.Count)
                if done is not None:
                    return done
                closing = await handlers.round_to_close(CountingRepository(uow.session), request.count_id)
            gate = asyncio.Semaphore(BOOK_CALLS_AT_ONCE)
            judged = await asyncio.gather(
                *(
                    self._judged_part(closing, first, first + BOOKS_PER_CALL - 1, gate)
                    for first in range(1, closing.last_number + 1, BOOKS_PER_CALL)
                )
            )
            try:
                return await self._command(request, partial(handlers.finish_round, closing=closing, judged=judged))
            except handlers.RoundMovedError:
                continue
        raise DomainError(
            ErrorCode.INVALID_STATE,
            f"entries kept arriving while the round was being closed ({ROUND_ATTEMPTS} tries); finish it again",
            "count_id",
        )

    async def _judged_part(
        self, closing: handlers.RoundToClose, first: int, last: int, gate: asyncio.Semaphore
    ) -> handlers.JudgedPart:
        """Lines first to last of a closing round, judged against their books as of their count."""
        async with gate:
            async with self._uows.reader() as uow:
                part = await handlers.closing_part(CountingRepository(uow.session), closing, first, last)
            answer = await self._stock.GetBooks(
                stock_pb2.GetBooksRequest(
                    queries=[
                        stock_pb2.BookQuery(
                            item_sku=line.item_sku,
                            place=stock_pb2.StockPlace(
                                warehouse=closing.warehouse, location=line.location, lot=line.lot
                            ),
                            as_of=timestamp_message(line.counted_at),
                            since=timestamp_message(line.opened_at),
                        )
                        for line in part.lines
                    ]
                )
            )
        books = [
            handlers.Book(
                Decimal(b.quantity.value),
                b.movements,
                {
                    stock_pb2.StockStatus.Name(part.status).removeprefix("STOCK_STATUS_"): Decimal(part.quantity.value)
                    for part in b.statuses
                },
            )
            for b in answer.books
        ]
        return handlers.judge_part(closing, part, books)

    async def DecideLine(self, request: pb.DecideLineRequest, context: grpc.aio.ServicerContext) -> pb.CountLine:
        async def run(uow: UnitOfWork) -> pb.CountLine:
            repo = CountingRepository(uow.session)
            await handlers.decide_line(uow, repo, request.count_id, request.line_id, request.round, request.comment)
            return await self._one_line(repo, request.count_id, request.line_id)

        return await run_idempotent(self._uows, request, pb.CountLine, run)

    async def ExplainLine(self, request: pb.ExplainLineRequest, context: grpc.aio.ServicerContext) -> pb.CountLine:
        reasons = _reasons(request.reasons, "reasons")

        async def run(uow: UnitOfWork) -> pb.CountLine:
            repo = CountingRepository(uow.session)
            await handlers.explain_line(uow, repo, request.count_id, request.line_id, reasons)
            return await self._one_line(repo, request.count_id, request.line_id)

        return await run_idempotent(self._uows, request, pb.CountLine, run)

    async def ExplainLines(
        self, request: pb.ExplainLinesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ExplainLinesResponse:
        _check_batch(request.lines, "lines", MAX_EXPLAINED_LINES)
        given = [
            handlers.LineReasons(line.line_id, _reasons(line.reasons, f"lines[{i}].reasons"))
            for i, line in enumerate(request.lines)
        ]

        async def run(uow: UnitOfWork) -> pb.ExplainLinesResponse:
            explained = await handlers.explain_lines(uow, CountingRepository(uow.session), request.count_id, given)
            return pb.ExplainLinesResponse(explained=explained)

        return await run_idempotent(self._uows, request, pb.ExplainLinesResponse, run)

    async def _one_line(self, repo: CountingRepository, count_id: str, line_id: str) -> pb.CountLine:
        count = await handlers.load_count(repo, count_id)
        line = await repo.line(count.id, line_id)
        assert line is not None  # the handler found it
        (message,) = await self._line_messages(repo, count, [line])
        return message

    async def SubmitForApproval(
        self, request: pb.SubmitForApprovalRequest, context: grpc.aio.ServicerContext
    ) -> pb.Count:
        async def body(uow: UnitOfWork, repo: CountingRepository) -> str:
            await handlers.submit_for_approval(uow, repo, request.count_id)
            return request.count_id.strip()

        return await self._command(request, body)

    async def Approve(self, request: pb.ApproveRequest, context: grpc.aio.ServicerContext) -> pb.Count:
        level = parse_enum(Level, request.level, "level")

        async def body(uow: UnitOfWork, repo: CountingRepository) -> str:
            await handlers.approve(uow, repo, request.count_id, level, request.comment)
            return request.count_id.strip()

        return await self._command(request, body)

    async def Reject(self, request: pb.RejectRequest, context: grpc.aio.ServicerContext) -> pb.Count:
        level = parse_enum(Level, request.level, "level")

        async def body(uow: UnitOfWork, repo: CountingRepository) -> str:
            await handlers.reject(uow, repo, request.count_id, level, request.comment)
            return request.count_id.strip()

        return await self._command(request, body)

    async def CancelCount(self, request: pb.CancelCountRequest, context: grpc.aio.ServicerContext) -> pb.Count:
        async def body(uow: UnitOfWork, repo: CountingRepository) -> str:
            await handlers.cancel(uow, repo, request.count_id, request.reason)
            return request.count_id.strip()

        return await self._command(request, body)

    # queries

    async def GetCount(self, request: pb.GetCountRequest, context: grpc.aio.ServicerContext) -> pb.Count:
        async with self._uows.reader() as uow:
            return await self._count_message(CountingRepository(uow.session), request.count_id)

    async def ListCounts(
        self, request: pb.ListCountsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListCountsResponse:
        size = page_size(request.page_size)
        after = decode_token(request.page_token, str)
        async with self._uows.reader() as uow:
            repo = CountingRepository(uow.session)
            rows = await repo.list_counts(
                request.warehouse.strip().upper(),
                [s.strip().upper() for s in request.states],
                request.counter.strip(),
                after[0] if after else "",
                size + 1,
            )
            counts = [await self._count_message(repo, r.id) for r in rows[:size]]
        more = len(rows) > size
        return pb.ListCountsResponse(counts=counts, next_page_token=encode_token(rows[size - 1].id) if more else "")

    async def ListLines(self, request: pb.ListLinesRequest, context: grpc.aio.ServicerContext) -> pb.ListLinesResponse:
        size = page_size(request.page_size, MAX_LINES_PAGE)
        after = decode_token(request.page_token, int)
        states = [parse_enum(LineState, s, f"states[{i}]") for i, s in enumerate(request.states)]
        async with self._uows.reader() as uow:
            repo = CountingRepository(uow.session)
            count = await handlers.load_count(repo, request.count_id)
            if request.differing_only and self._blind_for_caller(count):
                raise DomainError(
                    ErrorCode.PERMISSION_DENIED,
                    "variances of a blind count are hidden while it is counted",
                    "differing_only",
                )
            rows = await repo.list_lines(
                count.id, [str(s) for s in states], request.differing_only, after[0] if after else 0, size + 1
            )
            page = await self._line_messages(repo, count, rows[:size])
        more = len(rows) > size
        return pb.ListLinesResponse(lines=page, next_page_token=encode_token(rows[size - 1].number) if more else "")

    async def NextLine(self, request: pb.NextLineRequest, context: grpc.aio.ServicerContext) -> pb.NextLineResponse:
        who = identity.current.get().actor
        async with self._uows.reader() as uow:
            repo = CountingRepository(uow.session)
            count = await handlers.load_count(repo, request.count_id)
            first, remaining = await repo.waiting_for(count.id, who, [str(LineState.TO_COUNT), str(LineState.RECOUNT)])
            if first is None:
                return pb.NextLineResponse(remaining=0)
            (line,) = await self._line_messages(repo, count, [first])
        return pb.NextLineResponse(line=line, remaining=remaining)

    async def TraceLine(self, request: pb.TraceLineRequest, context: grpc.aio.ServicerContext) -> pb.LineTrace:
        async with self._uows.reader() as uow:
            repo = CountingRepository(uow.session)
            count = await handlers.load_count(repo, request.count_id)
            if self._blind_for_caller(count):
                raise DomainError(
                    ErrorCode.PERMISSION_DENIED, "a blind count's ledger is hidden while it is counted", "count_id"
                )
            line = await repo.line(count.id, request.line_id)
            if line is None:
                raise DomainError(
                    ErrorCode.NOT_FOUND, f"line {quoted(request.line_id)} is not on this count", "line_id"
                )
            key = (line.item_sku, line.location, line.lot)
            since = await repo.last_posted_count_time(count.warehouse, key, count.id)
            (message,) = await self._line_messages(repo, count, [line])
            item = (await repo.items([line.item_sku])).get(line.item_sku)
        until = line.counted_at or utcnow()
        movements = await self._movements_on(count.warehouse, key, since, until)
        availability = await self._stock.GetAvailability(
            stock_pb2.GetAvailabilityRequest(item_sku=line.item_sku, warehouse=count.warehouse)
        )
        on_hold = await self._stock.GetBalanceAsOf(
            stock_pb2.GetBalanceAsOfRequest(
                item_sku=line.item_sku,
                place=stock_pb2.StockPlace(
                    warehouse=count.warehouse,
                    location=line.location,
                    lot=line.lot,
                    status=stock_pb2.STOCK_STATUS_QC_HOLD,
                ),
                as_of=_timestamp(until),
            )
        )
        actors = {m.actor for m in movements}
        async with self._uows() as uow:
            repo = CountingRepository(uow.session)
            if line.variance:
                await repo.remember_actors(line.id, actors)
            recurring = await repo.other_variance_lines(line.id, actors)
            await uow.commit()
        suspects = rank_suspects(
            line.variance or Decimal(0),
            movements,
            pack_sizes=item[0].units if item else {},
            in_transit=Decimal(availability.in_transit.value or "0"),
            in_inspection=Decimal(on_hold.quantity.value or "0"),
            other_variance_lines_by_actor=recurring,
        )
        trace = pb.LineTrace(
            line=message,
            since=_timestamp(since),
            suspects=[
                pb.Suspect(
                    kind=str(s.kind),
                    explanation=s.explanation,
                    rank=s.rank,
                    movements=[_traced(m) for m in s.movements],
                )
                for s in suspects
            ],
            movements=[_traced(m) for m in movements],
        )
        return trace

    async def _movements_on(
        self, warehouse: str, key: tuple[str, str, str], since: datetime | None, until: datetime
    ) -> list[TracedMovement]:
        """The key's movements in (since, until], each with its signed effect on the key."""
        sku, location, lot = key
        found: list[TracedMovement] = []
        token = ""
        while True:
            page = await self._stock.ListMovements(
                stock_pb2.ListMovementsRequest(
                    item_sku=sku,
                    warehouse=warehouse,
                    location=location,
                    lot=lot,
                    from_time=_timestamp(since),
                    to_time=_timestamp(until),
                    page_size=100,
                    page_token=token,
                )
            )
            for m in page.movements:
                into = m.to
                out = getattr(m, "from")
                quantity = Decimal(m.quantity.value)
                effect = (quantity if (into.location, into.lot) == (location, lot) else Decimal(0)) - (
                    quantity if (out.location, out.lot) == (location, lot) else Decimal(0)
                )
                if not effect:
                    continue  # a status change within the key
                found.append(
                    TracedMovement(
                        movement_id=m.id,
                        type=stock_pb2.MovementType.Name(m.type).removeprefix("MOVEMENT_TYPE_"),
                        quantity=effect,
                        document_type=m.document.type,
                        document_id=m.document.id,
                        actor=m.actor,
                        business_time=datetime_from_message(m.business_time),
                        posted_at=datetime_from_message(m.posted_at),
                        corrects_movement_id=m.corrects_movement_id,
                        document_line=m.document.line,
                    )
                )
            token = page.next_page_token
            if not token:
                return found

    async def GetAccuracy(self, request: pb.GetAccuracyRequest, context: grpc.aio.ServicerContext) -> pb.Accuracy:
        grouping = parse_enum(Grouping, request.group_by, "group_by", Grouping.WAREHOUSE)
        warehouse = normalise_warehouse(request.warehouse) if request.warehouse.strip() else ""
        async with self._uows.reader() as uow:
            repo = CountingRepository(uow.session)
            rows = await repo.posted_lines(
                warehouse,
                _time(request.from_time, request.HasField("from_time")),
                _time(request.to_time, request.HasField("to_time")),
            )
            reasons = await repo.reasons([r.id for r in rows]) if grouping is Grouping.REASON else {}
        counted = []
        for r in rows:
            groups = _accuracy_groups(grouping, r, reasons)
            cost = r.standard_cost or Decimal(0)
            counted.append(
                CountedLine(groups, bool(r.first_round_within), abs(r.book) * cost, abs(r.variance_value or 0))
            )
        return pb.Accuracy(
            rows=[
                pb.AccuracyRow(
                    group=f.group,
                    lines=f.lines,
                    lines_within_tolerance=f.within,
                    record_accuracy=decimal_message(f.record_accuracy),
                    value_accuracy=decimal_message(f.value_accuracy),
                )
                for f in accuracy(counted)
            ]
        )

    async def ExportAdjustments(
        self, request: pb.ExportAdjustmentsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ExportAdjustmentsResponse:
        async with self._uows.reader() as uow:
            repo = CountingRepository(uow.session)
            count = await handlers.load_count(repo, request.count_id)
            if CountState(count.state) not in (CountState.APPROVED, CountState.POSTED):
                raise DomainError(
                    ErrorCode.INVALID_STATE, f"the count is {count.state}; only an approved count exports", "count_id"
                )
            rows = await repo.list_lines(count.id, [], True, 0, 10**9)
            costs = await repo.costs({r.item_sku for r in rows})
            reasons = await repo.reasons([r.id for r in rows])
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(
            [
                "count",
                "warehouse",
                "line",
                "item",
                "location",
                "lot",
                "book",
                "counted",
                "variance",
                "kind",
                "standard_cost",
                "value",
                "reasons",
                "counted_at",
                "movement",
            ]
        )
        for r in rows:
            writer.writerow(
                [
                    count.id,
                    count.warehouse,
                    r.number,
                    r.item_sku,
                    r.location,
                    r.lot,
                    decimal_text(r.book),
                    decimal_text(r.counted),
                    decimal_text(r.variance),
                    "GAIN" if r.variance > 0 else "LOSS",
                    decimal_text(costs.get(r.item_sku, Decimal(0))),
                    decimal_text(r.variance_value),
                    "; ".join(f"{code} {decimal_text(q)}" for code, q in reasons.get(r.id, [])),
                    r.counted_at.isoformat(),
                    r.movement_id or "",
                ]
            )
        return pb.ExportAdjustmentsResponse(filename=f"count-{count.id}-adjustments.csv", csv=out.getvalue())

    async def SetApprovalPolicy(
        self, request: pb.SetApprovalPolicyRequest, context: grpc.aio.ServicerContext
    ) -> pb.ApprovalPolicy:
        policy = request.policy
        warehouse = normalise_warehouse(policy.warehouse, "policy.warehouse")
        supervisor = parse_decimal(
            policy.supervisor_limit.value, "policy.supervisor_limit", places=MONEY_PLACES, minimum=Decimal(0)
        )
        finance = parse_decimal(
            policy.finance_limit.value, "policy.finance_limit", places=MONEY_PLACES, minimum=Decimal(0)
        )
        if finance < supervisor:
            raise DomainError(
                ErrorCode.OUT_OF_RANGE,
                "policy.finance_limit must be at least the supervisor limit",
                "policy.finance_limit",
            )

        async def run(uow: UnitOfWork) -> pb.ApprovalPolicy:
            await CountingRepository(uow.session).save_approval_limits(warehouse, supervisor, finance)
            return _approval_policy(warehouse, supervisor, finance)

        return await run_idempotent(self._uows, request, pb.ApprovalPolicy, run)

    async def GetApprovalPolicy(
        self, request: pb.GetApprovalPolicyRequest, context: grpc.aio.ServicerContext
    ) -> pb.ApprovalPolicy:
        warehouse = normalise_warehouse(request.warehouse)
        async with self._uows.reader() as uow:
            supervisor, finance = await CountingRepository(uow.session).approval_limits(warehouse)
        return _approval_policy(warehouse, supervisor, finance)

    async def SetReasonCode(self, request: pb.SetReasonCodeRequest, context: grpc.aio.ServicerContext) -> pb.ReasonCode:
        code = request.reason_code.code.strip().upper()
        name = request.reason_code.name.strip()
        if not code:
            raise DomainError(ErrorCode.REQUIRED, "reason_code.code is required", "reason_code.code")
        if not name:
            raise DomainError(ErrorCode.REQUIRED, "reason_code.name is required", "reason_code.name")
        bounded(code, "reason_code.code", CODE)
        bounded(name, "reason_code.name", NAME)

        async def run(uow: UnitOfWork) -> pb.ReasonCode:
            await CountingRepository(uow.session).save_reason_code(code, name, request.reason_code.active)
            return pb.ReasonCode(code=code, name=name, active=request.reason_code.active)

        return await run_idempotent(self._uows, request, pb.ReasonCode, run)

    async def ListReasonCodes(
        self, request: pb.ListReasonCodesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListReasonCodesResponse:
        async with self._uows.reader() as uow:
            found = await CountingRepository(uow.session).reason_codes(request.include_inactive)
        return pb.ListReasonCodesResponse(reason_codes=[pb.ReasonCode(code=c, name=n, active=a) for c, n, a in found])

    # planning

    async def ComputeAbcClasses(
        self, request: pb.ComputeAbcClassesRequest, context: grpc.aio.ServicerContext
    ) -> pb.AbcClasses:
        warehouse = normalise_warehouse(request.warehouse)
        a_percent, b_percent = abc_percents(request.a_percent.value, request.b_percent.value)
        first, end = issue_days(
            _time(request.from_time, request.HasField("from_time")),
            _time(request.to_time, request.HasField("to_time")),
            utcnow(),
        )

        async def run(uow: UnitOfWork) -> pb.AbcClasses:
            repo = PlanningRepository(uow.session)
            classified = classify(await repo.issue_values(warehouse, first, end), a_percent, b_percent)
            computed_at = utcnow()
            await repo.replace_classes(warehouse, classified, computed_at)
            return _abc_classes(
                warehouse, computed_at, [(c.item_sku, str(c.abc_class), c.issue_value) for c in classified]
            )

        return await run_idempotent(self._uows, request, pb.AbcClasses, run)

    async def ListAbcClasses(
        self, request: pb.ListAbcClassesRequest, context: grpc.aio.ServicerContext
    ) -> pb.AbcClasses:
        warehouse = normalise_warehouse(request.warehouse)
        async with self._uows.reader() as uow:
            computed_at, rows = await PlanningRepository(uow.session).abc_classes(warehouse)
        return _abc_classes(warehouse, computed_at, [(r.item_sku, r.abc_class, r.issue_value) for r in rows])

    async def SetCyclePolicy(
        self, request: pb.SetCyclePolicyRequest, context: grpc.aio.ServicerContext
    ) -> pb.CyclePolicy:
        given = request.policy
        warehouse = normalise_warehouse(given.warehouse, "policy.warehouse")
        policy = cycle_policy(
            given.a_days, given.b_days, given.c_days, given.capacity, given.large_adjustment_value.value
        )

        async def run(uow: UnitOfWork) -> pb.CyclePolicy:
            await PlanningRepository(uow.session).save_cycle_policy(warehouse, policy)
            return _policy_message(warehouse, policy)

        return await run_idempotent(self._uows, request, pb.CyclePolicy, run)

    async def GetCyclePolicy(
        self, request: pb.GetCyclePolicyRequest, context: grpc.aio.ServicerContext
    ) -> pb.CyclePolicy:
        warehouse = normalise_warehouse(request.warehouse)
        async with self._uows.reader() as uow:
            policy = await PlanningRepository(uow.session).cycle_policy(warehouse)
        return _policy_message(warehouse, policy)

    async def PlanCounts(
        self, request: pb.PlanCountsRequest, context: grpc.aio.ServicerContext
    ) -> pb.PlanCountsResponse:
        """DRAFT cycle counts, blind, of the items due on the date and not planned already;
        `due` lists those items, so a plan run twice answers the second time with nothing."""
        warehouse = normalise_warehouse(request.warehouse)
        day = (_time(request.date, request.HasField("date")) or utcnow()).date()

        async def run(uow: UnitOfWork) -> pb.PlanCountsResponse:
            repo = PlanningRepository(uow.session)
            policy = await repo.cycle_policy(warehouse)
            taken = await repo.planned_or_under_way(warehouse, day)
            due = [i for i in due_items(await repo.item_histories(warehouse), policy, day) if i.item_sku not in taken]
            response = pb.PlanCountsResponse(
                due=[
                    pb.DueItem(item_sku=i.item_sku, abc_class=i.abc_class, triggers=[str(t) for t in i.triggers])
                    for i in due
                ]
            )
            for planned in split_into_counts(due, policy.capacity):
                skus = [i.item_sku for i in planned.items]
                new = handlers.NewCount(
                    warehouse=warehouse,
                    kind=str(CountKind.CYCLE),
                    # A cycle count measures record accuracy: counters do not see the book.
                    blind=True,
                    locations=[],
                    item_skus=skus,
                    abc_class=planned.abc_class,
                    tolerance=Tolerance(),
                    counters=list(request.counters),
                    note=f"cycle count planned for {day.isoformat()}",
                )
                count_id = await handlers.create_count(uow, repo, new)
                await repo.record_planned(warehouse, day, count_id, skus)
                response.counts.append(await self._count_message(repo, count_id))
            return response

        return await run_idempotent(self._uows, request, pb.PlanCountsResponse, run)


def _check_batch(items: Sized, field: str, limit: int) -> None:
    if not items:
        raise DomainError(ErrorCode.REQUIRED, f"{field} must hold at least one", field)
    if len(items) > limit:
        raise DomainError(ErrorCode.OUT_OF_RANGE, f"at most {limit} {field} per call", field)


def _approval_policy(warehouse: str, supervisor: Decimal, finance: Decimal) -> pb.ApprovalPolicy:
    return pb.ApprovalPolicy(
        warehouse=warehouse, supervisor_limit=decimal_message(supervisor), finance_limit=decimal_message(finance)
    )


def _abc_classes(
    warehouse: str, computed_at: datetime | None, classes: Sequence[tuple[str, str, Decimal]]
) -> pb.AbcClasses:
    """Each class as (item, class, issue value)."""
    return pb.AbcClasses(
        warehouse=warehouse,
        computed_at=_timestamp(computed_at),
        classes=[
            pb.AbcClass(item_sku=sku, abc_class=abc_class, issue_value=decimal_message(value))
            for sku, abc_class, value in classes
        ],
    )
