"""FinishRound: every counted line of the round judged against stock's book as of its count.

The lines are read and judged before the transaction, in parts, a few at once: stock
answers for one part while the next is read and the one before is judged, and each call
answers well within its deadline. The transaction takes the judgement only if no entry
arrived meanwhile; otherwise it is all prepared again (`EntriesArrivedError`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from counting.domain import commands, rounds
from counting.domain.counts import Count
from counting.domain.lines import PENDING_LINE_STATES, LineSummary
from counting.domain.rounds import Book, ClosedLine, ClosingLine
from counting.service.ports import BookQuery, CountsRepository, Hold, Reading, StockBooks
from counting.service.queries import FIRST, CountView, acting, count_view, load
from invariant_core.commands import PREPARE_ATTEMPTS, Stale
from invariant_core.db import Recorder
from invariant_kernel.errors import DomainError, ErrorCode

# Keys per GetBooks call (the stock service's limit), so lines per part of a closing round.
BOOKS_PER_CALL = 5000
BOOK_CALLS_AT_ONCE = 3


class EntriesArrivedError(DomainError, Stale):
    """Entries arrived, or the round moved on, after its lines were read and judged."""

    def __init__(self) -> None:
        super().__init__(
            ErrorCode.INVALID_STATE,
            f"entries kept arriving while the round was being closed ({PREPARE_ATTEMPTS} tries); finish it again",
            "count_id",
        )


@dataclass(frozen=True)
class Snapshot:
    """What a closing round was judged on: nothing it judged changed unless these did."""

    summary: LineSummary
    entries: int


@dataclass(frozen=True)
class Closing:
    """A round to close, its lines judged."""

    count_id: str
    snapshot: Snapshot
    closed: Sequence[ClosedLine]


async def close(reading: Reading, stock: StockBooks, command: commands.FinishRound) -> Closing:
    """The round's lines, judged against their books, before the transaction."""
    async with reading() as repo:
        count = await load(repo, command.count_id)
        summary = await repo.line_summary(count.id)
        pending = await repo.list_lines(count.id, PENDING_LINE_STATES, False, FIRST) if summary.pending else []
        count.check_round_closes(summary, pending[0].number if pending else 0)
        snapshot = Snapshot(summary, await repo.entries_received(count.id))
        last = await repo.last_line_number(count.id)
    gate = asyncio.Semaphore(BOOK_CALLS_AT_ONCE)
    parts = await asyncio.gather(
        *(
            _closed_part(reading, stock, count, first, first + BOOKS_PER_CALL - 1, gate)
            for first in range(1, last + 1, BOOKS_PER_CALL)
        )
    )
    return Closing(count.id, snapshot, [line for part in parts for line in part])


async def _closed_part(
    reading: Reading, stock: StockBooks, count: Count, first: int, last: int, gate: asyncio.Semaphore
) -> list[ClosedLine]:
    """The counted lines numbered first to last, judged against their books as of their count."""
    async with gate:
        async with reading() as repo:
            lines = await repo.closing_lines(count.id, first, last)
            # The rounds before this one, of the lines being recounted.
            earlier = await repo.rounds([line.line_id for line in lines if line.round > 1])
            costs = await repo.costs({line.item_sku for line in lines})
        books = await stock.books(
            count.warehouse,
            [BookQuery(line.item_sku, line.location, line.lot, line.counted_at, line.opened_at) for line in lines],
        )
        actors = await _actors(stock, count.warehouse, lines, books)
    return rounds.close(count.tolerance, lines, books, earlier, costs, actors)


async def _actors(
    stock: StockBooks, warehouse: str, lines: Sequence[ClosingLine], books: Sequence[Book]
) -> dict[str, tuple[str, ...]]:
    """Who moved stock at each place that moved while it was counted: what a trace of
    another line's variance finds them recurring on, once this count is posted."""
    found = {}
    for line, book in zip(lines, books, strict=True):
        if book.movements:
            place = (line.item_sku, line.location, line.lot)
            moved = await stock.movements(warehouse, place, line.opened_at, line.counted_at)
            # Stock lists from the window's start on; the book counts what came after it.
            actors = {m.actor for m in moved if m.actor and m.business_time > line.opened_at}
            found[line.line_id] = tuple(sorted(actors))
    return found


async def finish_round(uow: Recorder, repo: CountsRepository, closing: Closing) -> CountView:
    """Write the judged rounds, if nothing moved since they were read."""
    count = await load(repo, closing.count_id, Hold.ALONE)
    summary = await repo.line_summary(count.id)
    if Snapshot(summary, await repo.entries_received(count.id)) != closing.snapshot:
        raise EntriesArrivedError()
    count.check_round_closes(summary, 0)
    await repo.close_round(closing.closed)
    summary = await repo.line_summary(count.id)
    count.settle(summary, acting())
    await repo.save(count)
    return await count_view(repo, count, summary)
