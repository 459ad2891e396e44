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
from invariant_kernel.codes import normalise_warehouse
from invariant_kernel.errors import DomainError, ErrorCode, not_found


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


async def count_view(repo: CountsRepository, count: Count) -> CountView:
    blind = count.blind_to(identity.current.get().roles)
    return CountView(
        count,
        await repo.current_round(count.id),
        await repo.line_summary(count.id),
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
    id: str
    count_id: str
    number: int
    item_sku: str
    location: str
    lot: str
    unit: str
    origin: str
    state: str
    round: int
    opened_at: datetime
    moved_during_count: bool
    within_tolerance: bool
    movement_id: str
    reasons: Sequence[tuple[str, Decimal]]
    rounds: Sequence[RoundView]
    # None to whom the count is blind, and where no round stands yet.
    book_at_open: Decimal | None
    counted: Decimal | None
    variance: Decimal | None
    variance_value: Decimal | None


def _round_view(found: RoundRecord, blind: bool) -> RoundView:
    if blind:
        return RoundView(found.round, found.counted, found.counters, found.counted_at, None, None, {})
    return RoundView(
        found.round, found.counted, found.counters, found.counted_at, found.book, found.variance, found.book_by_status
    )


def _line_view(
    line: Line, unit: str, rounds: Sequence[RoundRecord], reasons: Sequence[tuple[str, Decimal]], blind: bool
) -> LineView:
    return LineView(
        id=line.id,
        count_id=line.count_id,
        number=line.number,
        item_sku=line.item_sku,
        location=line.location,
        lot=line.lot,
        unit=unit,
        origin=line.origin,
        state=line.state,
        round=line.round,
        opened_at=line.opened_at,
        moved_during_count=line.moved_during_count,
        within_tolerance=bool(line.within_tolerance),
        movement_id=line.movement_id or "",
        reasons=reasons,
        rounds=[_round_view(found, blind) for found in rounds],
        book_at_open=None if blind else line.book_at_open,
        counted=None if blind else line.counted,
        variance=None if blind else line.variance,
        variance_value=None if blind else line.variance_value,
    )


async def line_views(repo: CountsRepository, count: Count, lines: Sequence[Line]) -> list[LineView]:
    blind = count.blind_to(identity.current.get().roles)
    ids = [line.id for line in lines]
    rounds = await repo.rounds(ids)
    reasons = await repo.reasons(ids)
    units = {sku: view.base_unit for sku, view in (await repo.item_views({line.item_sku for line in lines})).items()}
    return [
        _line_view(line, units.get(line.item_sku, ""), rounds.get(line.id, []), reasons.get(line.id, []), blind)
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


async def list_counts(
    repo: CountsRepository, warehouse: str, states: Collection[str], counter: str, after: str, limit: int
) -> list[CountView]:
    found = await repo.list_counts(
        warehouse.strip().upper(), [s.strip().upper() for s in states], counter.strip(), after, limit
    )
    return [await count_view(repo, count) for count in found]


async def list_lines(
    repo: CountsRepository, count_id: str, states: Sequence[str], differing_only: bool, after: int, limit: int
) -> list[LineView]:
    """The count's lines in number order after `after`; only those that differ is a question
    about the book, which a blind count does not answer while it is counted."""
    wanted = [str(parse_enum(LineState, s, f"states[{i}]")) for i, s in enumerate(states)]
    count = await load(repo, count_id)
    if differing_only:
        count.require_shown(identity.current.get().roles, "variances of a blind count are", "differing_only")
    return await line_views(repo, count, await repo.list_lines(count.id, wanted, differing_only, after, limit))


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


async def reason_codes(repo: CountingRepository, include_inactive: bool) -> list[ReasonCode]:
    return await repo.reason_codes(include_inactive)
