"""What the counting service shows of its counts and lines: each as its caller may see it
(a blind count shows a counter no book), read through the repository port."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from counting.domain.counts import Acting, Count, Transition, parse_enum
from counting.domain.lines import PENDING_LINE_STATES, Line, LineState, LineSummary, RoundRecord, VarianceTotals
from counting.domain.policies import ApprovalLimits, ReasonCode
from counting.service.ports import CountingRepository, CountsRepository, Hold
from invariant_core import identity
from invariant_core.db import utcnow
from invariant_core.paging import PageQuery, at_most_a_page
from invariant_kernel.codes import normalise_warehouse
from invariant_kernel.errors import DomainError, ErrorCode, not_found

# A list's first entry: whether there is one, and which.
FIRST = PageQuery(size=1, position=None, reverse=False)


def acting() -> Acting:
    """Whoever is acting now."""
    who = identity.current.get()
    return Acting(who.actor, who.roles, utcnow())


async def load(repo: CountsRepository, count_id: str, hold: Hold = Hold.NONE) -> Count:
    if not count_id.strip():
        raise DomainError(ErrorCode.REQUIRED, "count_id is required", "count_id")
    count = await repo.get(count_id.strip(), hold)
    if count is None:
        raise not_found("count", count_id, "count_id")
    return count


@dataclass(frozen=True)
class CountView:
    count: Count
    round: int
    summary: LineSummary
    # None to whom the count is blind.
    totals: VarianceTotals | None
    transitions: Sequence[Transition]


async def count_view(repo: CountsRepository, count: Count, summary: LineSummary | None = None) -> CountView:
    """The count as its caller sees it; `summary`: its lines by state, where the caller has just read them."""
    blind = count.blind_to(identity.current.get().roles)
    return CountView(
        count,
        await repo.current_round(count.id),
        summary if summary is not None else await repo.line_summary(count.id),
        None if blind else await repo.variance_totals(count.id),
        await repo.transitions(count.id),
    )


@dataclass(frozen=True)
class RoundView:
    round: int
    counted: Decimal
    counters: tuple[str, ...]
    counted_at: datetime
    # None, and no statuses, to whom the count is blind.
    book: Decimal | None
    variance: Decimal | None
    book_by_status: Mapping[str, Decimal]


@dataclass(frozen=True)
class LineView:
    """A line as its caller sees it: to whom its count is blind, without its book or what
    was found against it."""

    line: Line
    unit: str
    rounds: Sequence[RoundView]
    reasons: Sequence[tuple[str, Decimal]]
    blind: bool

    @property
    def book_at_open(self) -> Decimal | None:
        return None if self.blind else self.line.book_at_open

    @property
    def counted(self) -> Decimal | None:
        return None if self.blind else self.line.counted

    @property
    def variance(self) -> Decimal | None:
        return None if self.blind else self.line.variance

    @property
    def variance_value(self) -> Decimal | None:
        return None if self.blind else self.line.variance_value


def _round_view(found: RoundRecord, blind: bool) -> RoundView:
    if blind:
        return RoundView(found.round, found.counted, found.counters, found.counted_at, None, None, {})
    return RoundView(
        found.round, found.counted, found.counters, found.counted_at, found.book, found.variance, found.book_by_status
    )


async def line_views(repo: CountsRepository, count: Count, lines: Sequence[Line]) -> list[LineView]:
    blind = count.blind_to(identity.current.get().roles)
    ids = [line.id for line in lines]
    rounds = await repo.rounds(ids)
    reasons = await repo.reasons(ids)
    units = {sku: view.base_unit for sku, view in (await repo.item_views({line.item_sku for line in lines})).items()}
    return [
        LineView(
            line,
            units.get(line.item_sku, ""),
            [_round_view(found, blind) for found in rounds.get(line.id, [])],
            reasons.get(line.id, []),
            blind,
        )
        for line in lines
    ]


async def line_view(repo: CountsRepository, count: Count, line_id: str) -> LineView:
    line = await repo.line(count.id, line_id)
    if line is None:
        raise not_found("line", line_id, "line_id")
    (view,) = await line_views(repo, count, [line])
    return view


async def get_count(repo: CountsRepository, count_id: str) -> CountView:
    return await count_view(repo, await load(repo, count_id))


async def get_counts(repo: CountsRepository, count_ids: Sequence[str]) -> list[CountView]:
    """The counts with these ids that exist."""
    found = await repo.counts_by_id(set(at_most_a_page(count_ids, "count_ids")))
    return [await count_view(repo, count) for count in found]


async def get_lines(repo: CountsRepository, line_ids: Sequence[str]) -> list[LineView]:
    """The lines with these ids that exist, of whichever counts, each as its count shows it to the caller."""
    found = await repo.lines_of_any_count(set(at_most_a_page(line_ids, "line_ids")))
    views: list[LineView] = []
    for count in await repo.counts_by_id({line.count_id for line in found}):
        views.extend(await line_views(repo, count, [line for line in found if line.count_id == count.id]))
    return views


async def list_counts(
    repo: CountsRepository, warehouse: str, states: Collection[str], counter: str, page: PageQuery
) -> list[CountView]:
    found = await repo.list_counts(
        warehouse.strip().upper(), [s.strip().upper() for s in states], counter.strip(), page
    )
    return [await count_view(repo, count) for count in found]


async def list_lines(
    repo: CountsRepository, count_id: str, states: Sequence[str], differing_only: bool, page: PageQuery
) -> list[LineView]:
    """A page of the count's lines in number order; only those that differ is a question
    about the book, which a blind count does not answer while it is counted."""
    wanted = [str(parse_enum(LineState, s, f"states[{i}]")) for i, s in enumerate(states)]
    count = await load(repo, count_id)
    if differing_only:
        count.require_shown(identity.current.get().roles, "variances of a blind count are", "differing_only")
    return await line_views(repo, count, await repo.list_lines(count.id, wanted, differing_only, page))


async def next_line(repo: CountsRepository, count_id: str) -> tuple[LineView | None, int]:
    """The caller's next line to count in the current round, and how many are left to them."""
    count = await load(repo, count_id)
    first, remaining = await repo.waiting_for(count.id, identity.current.get().actor, PENDING_LINE_STATES)
    if first is None:
        return None, 0
    (view,) = await line_views(repo, count, [first])
    return view, remaining


async def approval_policy(repo: CountingRepository, warehouse: str) -> tuple[str, ApprovalLimits]:
    code = normalise_warehouse(warehouse)
    return code, await repo.approval_limits(code)


async def reason_codes(repo: CountingRepository, include_inactive: bool, page: PageQuery) -> list[ReasonCode]:
    return await repo.reason_codes(include_inactive, page)
