"""The counting service's use cases. Remote reads (stock's book, the catalog) are done by
the caller before the transaction opens; what they return is passed in.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row

from counting.adapters.repository import CountingRepository
from counting.adapters.tables import counts, entries, lines, rounds
from counting.domain.counts import (
    CANCELLABLE,
    LEVEL_ROLES,
    OPEN_LINE_STATES,
    CountKind,
    CountState,
    Level,
    LineState,
    Origin,
    Outcome,
    RoundFound,
    Tolerance,
    check_reasons,
    judge,
    levels_needed,
    parse_enum,
    require_state,
    tolerance_for,
    value_of,
)
from counting.domain.events import AdjustmentApproved, ApprovedLine, CountPosted
from invariant_core import identity
from invariant_core.db import UnitOfWork, utcnow
from invariant_kernel.codes import normalise_warehouse
from invariant_kernel.errors import DomainError, ErrorCode, not_found
from invariant_kernel.limits import ID, bounded
from invariant_kernel.units import decimal_text

# Lines per approved-adjustment message: each stays well under the bus's 1 MB message size
# (about 150 bytes a line, more with many reasons), and stock posts each in one transaction.
PART_LINES = 1000
# Between the names of a line's counters as the database joins them: no actor has it.
COUNTER_SEPARATOR = "\x1f"


def actor() -> str:
    return identity.current.get().actor


async def load_count(repo: CountingRepository, count_id: str, lock: bool = False, shared: bool = False) -> Row[Any]:
    if not count_id.strip():
        raise DomainError(ErrorCode.REQUIRED, "count_id is required", "count_id")
    row = await repo.count(count_id.strip(), lock=lock, shared=shared)
    if row is None:
        raise not_found("count", count_id, "count_id")
    return row


async def move(repo: CountingRepository, count: Row[Any], to: CountState, comment: str = "", **values: Any) -> None:
    now = utcnow()
    await repo.set_count(count.id, state=str(to), **values)
    await repo.record_transition(count.id, count.state, str(to), actor(), now, comment)


def tolerance_of(count: Row[Any]) -> Tolerance:
    given = Tolerance(count.tolerance_quantity, count.tolerance_percent, count.tolerance_value)
    return tolerance_for(count.abc_class, given)


@dataclass(frozen=True)
class NewCount:
    warehouse: str
    kind: str
    blind: bool
    locations: Sequence[str]
    item_skus: Sequence[str]
    abc_class: str
    tolerance: Tolerance
    counters: Sequence[str]
    note: str


async def create_count(uow: UnitOfWork, repo: CountingRepository, new: NewCount) -> str:
    warehouse = normalise_warehouse(new.warehouse)
    kind = parse_enum(CountKind, new.kind, "kind", CountKind.SPOT)
    abc = new.abc_class.strip().upper()
    if abc not in ("", "A", "B", "C"):
        raise DomainError(ErrorCode.INVALID_FORMAT, "abc_class must be A, B or C", "abc_class")
    for name, limit in (
        ("quantity", new.tolerance.quantity),
        ("percent", new.tolerance.percent),
        ("value", new.tolerance.value),
    ):
        if limit is not None and limit < 0:
            raise DomainError(ErrorCode.OUT_OF_RANGE, f"tolerance.{name} cannot be negative", f"tolerance.{name}")
    counters = sorted({c.strip() for c in new.counters if c.strip()})
    for index, counter in enumerate(new.counters):
        bounded(counter.strip(), f"counters[{index}]", ID)
    count_id = str(uuid.uuid4())
    now = utcnow()
    await repo.insert_many(
        counts,
        [
            {
                "id": count_id,
                "warehouse": warehouse,
                "kind": str(kind),
                "blind": new.blind,
                "locations": json.dumps(sorted({loc.strip().upper() for loc in new.locations if loc.strip()})),
                "item_skus": json.dumps(sorted({s.strip().upper() for s in new.item_skus if s.strip()})),
                "abc_class": abc,
                "tolerance_quantity": new.tolerance.quantity,
                "tolerance_percent": new.tolerance.percent,
                "tolerance_value": new.tolerance.value,
                "counters": json.dumps(counters),
                "note": new.note.strip(),
                "state": str(CountState.DRAFT),
                "levels_required": "[]",
                "created_by": actor(),
                "created_at": now,
                "opened_at": None,
            }
        ],
    )
    await repo.record_transition(count_id, "", str(CountState.DRAFT), actor(), now)
    return count_id


@dataclass(frozen=True)
class BookBalance:
    item_sku: str
    location: str
    lot: str
    quantity: Decimal


async def open_count(
    uow: UnitOfWork, repo: CountingRepository, count_id: str, balances: Sequence[BookBalance], opened_at: datetime
) -> None:
    """One line per balance in scope, numbered in (location, item, lot) order."""
    count = await load_count(repo, count_id, lock=True)
    require_state(CountState(count.state), frozenset({CountState.DRAFT}), "open")
    rows = [
        {
            "id": str(uuid.uuid4()),
            "count_id": count.id,
            "number": number,
            "item_sku": b.item_sku,
            "location": b.location,
            "lot": b.lot,
            "origin": str(Origin.BOOK),
            "state": str(LineState.TO_COUNT),
            "round": 1,
            "book_at_open": b.quantity,
            "opened_at": opened_at,
            "moved_during_count": False,
        }
        for number, b in enumerate(sorted(balances, key=lambda b: (b.location, b.item_sku, b.lot)), start=1)
    ]
    await repo.insert_many(lines, rows)
    await move(repo, count, CountState.OPEN, opened_at=opened_at)


@dataclass(frozen=True)
class ResolvedEntry:
    """An entry with its item and base quantity resolved; line_id or (sku, location, lot)."""

    entry_id: str
    line_id: str
    item_sku: str
    location: str
    lot: str
    quantity: Decimal
    entered: str
    unit: str
    counted_at: datetime


@dataclass(frozen=True)
class Accepted:
    entry_id: str
    line_id: str
    round: int
    duplicate: bool


async def submit_entries(
    uow: UnitOfWork, repo: CountingRepository, count_id: str, given: Sequence[ResolvedEntry]
) -> list[Accepted]:
    """All entries are taken or none; an entry seen before is answered as it was."""
    # The first upload moves the count from OPEN to COUNTING and holds it alone; later ones
    # only keep it from being finished or cancelled under them, so that counters' uploads
    # go in side by side. New lines are numbered one transaction at a time (next_number).
    peek = await load_count(repo, count_id)
    count = await load_count(repo, count_id, lock=True, shared=peek.state != CountState.OPEN)
    require_state(CountState(count.state), frozenset({CountState.OPEN, CountState.COUNTING}), "count on")
    who = actor()
    now = utcnow()
    known = await repo.known_entries([e.entry_id for e in given])
    by_id = await repo.lines_by_id(count.id, {e.line_id for e in given if e.line_id})
    keys = {(e.item_sku, e.location, e.lot) for e in given if not e.line_id}
    by_key = await repo.lines_by_key(count.id, keys)
    next_number = 0
    if keys - by_key.keys():
        # Stock the book did not know needs new lines: once this transaction alone may make
        # them, the keys are read again, for another upload may have made them meanwhile.
        next_number = await repo.next_number(count.id)
        by_key |= await repo.lines_by_key(count.id, keys - by_key.keys())
    # Only recounts ask who counted before, so only their lines are read.
    recounted = [r.id for r in (*by_id.values(), *by_key.values()) if r.round > 1]
    previous_counters = await repo.counters_by_line_round(count.id, recounted) if recounted else {}
    found_rows: list[dict[str, Any]] = []
    found_lines: dict[tuple[str, str, str], dict[str, Any]] = {}
    new_entries: list[dict[str, Any]] = []
    # The state each counted line was in, so that the round's first entry marks it COUNTED.
    states: dict[str, str] = {}
    answers: list[Accepted] = []
    seen: set[str] = set()
    for index, entry in enumerate(given):
        field = f"entries[{index}]"
        prior = known.get(entry.entry_id)
        if prior is not None:
            if prior.count_id != count.id:
                raise DomainError(
                    ErrorCode.IDEMPOTENCY_KEY_REUSED, "entry_id was used on another count", f"{field}.entry_id"
                )
            answers.append(Accepted(entry.entry_id, prior.line_id, prior.round, True))
            continue
        if entry.entry_id in seen:
            raise DomainError(ErrorCode.ALREADY_EXISTS, "entry_id is given twice in one upload", f"{field}.entry_id")
        seen.add(entry.entry_id)
        if entry.line_id:
            line: Any = by_id.get(entry.line_id)
            if line is None:
                raise not_found("line", entry.line_id, f"{field}.line_id")
        else:
            key = (entry.item_sku, entry.location, entry.lot)
            line = by_key.get(key) or found_lines.get(key)
            if line is None:
                # Stock the book did not know: it gets a line of its own.
                line = found_lines[key] = _found_line(count.id, entry, next_number, now)
                next_number += 1
                found_rows.append(line)
        line_id, state, number = _get(line, "id"), _get(line, "state"), _get(line, "round")
        _require_open_to(who, line, previous_counters.get((line_id, number - 1), []), field)
        new_entries.append(_entry_row(entry, count.id, line_id, number, who, now))
        states[line_id] = state
        answers.append(Accepted(entry.entry_id, line_id, number, False))
    for row in found_rows:
        row["state"] = str(LineState.COUNTED)
        states.pop(row["id"])
    await repo.insert_many(lines, found_rows)
    await repo.insert_many(entries, new_entries)
    await repo.set_state([lid for lid, st in states.items() if st != LineState.COUNTED], str(LineState.COUNTED))
    if new_entries and count.state == CountState.OPEN:
        await move(repo, count, CountState.COUNTING)
    return answers


def _found_line(count_id: str, entry: ResolvedEntry, number: int, now: datetime) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "count_id": count_id,
        "number": number,
        "item_sku": entry.item_sku,
        "location": entry.location,
        "lot": entry.lot,
        "origin": str(Origin.FOUND),
        "state": str(LineState.TO_COUNT),
        "round": 1,
        "book_at_open": Decimal(0),
        "opened_at": now,
        "moved_during_count": False,
    }


def _require_open_to(who: str, line: Any, counted_before: Sequence[str], field: str) -> None:
    """A line takes entries while it is being counted, and a recount only from someone who did
    not count its previous round (`counted_before`)."""
    state, number = _get(line, "state"), _get(line, "round")
    if state not in OPEN_LINE_STATES:
        raise DomainError(
            ErrorCode.INVALID_STATE, f"line {_get(line, 'number')} is {state} and takes no more entries", field
        )
    if number > 1 and who in counted_before:
        raise DomainError(
            ErrorCode.PERMISSION_DENIED,
            f"{who} counted line {_get(line, 'number')} in round {number - 1}; a recount needs another counter",
            field,
        )


def _entry_row(
    entry: ResolvedEntry, count_id: str, line_id: str, number: int, who: str, now: datetime
) -> dict[str, Any]:
    return {
        "entry_id": entry.entry_id,
        "count_id": count_id,
        "line_id": line_id,
        "round": number,
        "counter": who,
        "quantity": entry.quantity,
        "entered": entry.entered,
        "unit": entry.unit,
        "counted_at": entry.counted_at,
        "received_at": now,
    }


def _get(line: Any, name: str, default: Any = None) -> Any:
    if isinstance(line, dict):
        return line.get(name, default)
    return getattr(line, name, default)


@dataclass(frozen=True)
class RoundToClose:
    """What FinishRound closes, read before its transaction, and checks in it: nothing it
    judged changed unless the count's lines by state or its number of entries did."""

    count_id: str
    warehouse: str
    tolerance: Tolerance
    line_states: dict[str, int]
    entries: int
    # Lines are judged in parts of consecutive numbers, up to the last.
    last_number: int


class RoundMovedError(Exception):
    """Entries arrived, or the round was closed, after the lines to close were read."""


async def round_to_close(repo: CountingRepository, count_id: str) -> RoundToClose:
    count = await load_count(repo, count_id)
    require_state(CountState(count.state), frozenset({CountState.OPEN, CountState.COUNTING}), "finish a round of")
    summary = await repo.line_summary(count.id)
    pending = summary.get(LineState.TO_COUNT, 0) + summary.get(LineState.RECOUNT, 0)
    if pending:
        (first,) = await repo.list_lines(count.id, [str(LineState.TO_COUNT), str(LineState.RECOUNT)], False, 0, 1)
        raise DomainError(
            ErrorCode.INVALID_STATE,
            f"{pending} lines are not counted yet (first: line {first.number}); count them, zero if empty",
            "count_id",
        )
    return RoundToClose(
        count.id,
        count.warehouse,
        tolerance_of(count),
        summary,
        await repo.entries_received(count.id),
        await repo.last_line_number(count.id),
    )


@dataclass(frozen=True)
class CountedLine:
    """A line of the closing round: where it is and what its entries add up to."""

    line_id: str
    item_sku: str
    location: str
    lot: str
    round: int
    moved_during_count: bool
    opened_at: datetime
    counted: Decimal
    counted_at: datetime
    counters: Sequence[str]


@dataclass(frozen=True)
class ClosingPart:
    lines: Sequence[CountedLine]
    # The rounds before this one, of the lines being recounted.
    earlier: Mapping[str, list[Row[Any]]]
    costs: Mapping[str, Decimal]


async def closing_part(repo: CountingRepository, closing: RoundToClose, first: int, last: int) -> ClosingPart:
    """The counted lines numbered first to last, with what judging them needs."""
    lines = [
        CountedLine(
            r.id,
            r.item_sku,
            r.location,
            r.lot,
            r.round,
            r.moved_during_count,
            r.opened_at,
            Decimal(r.counted),
            r.counted_at,
            sorted(set(r.counters.split(COUNTER_SEPARATOR))),
        )
        for r in await repo.closing_lines(closing.count_id, first, last, COUNTER_SEPARATOR)
    ]
    return ClosingPart(
        lines,
        await repo.rounds([line.line_id for line in lines if line.round > 1]),
        await repo.costs({line.item_sku for line in lines}),
    )


@dataclass(frozen=True)
class Book:
    """A line's book as of its count: every status at its place, summed (DESIGN §3.3)."""

    quantity: Decimal
    movements: int
    # The quantity's non-zero parts by stock status, shown to reviewers.
    statuses: Mapping[str, Decimal]


@dataclass(frozen=True)
class JudgedPart:
    """A part's new rounds and the changes to its lines, ready to be written."""

    rounds: list[dict[str, Any]]
    changes: list[dict[str, Any]]


def judge_part(closing: RoundToClose, part: ClosingPart, books: Sequence[Book]) -> JudgedPart:
    tolerance = closing.tolerance
    judged = JudgedPart([], [])
    # Most lines were counted by the same one or two people.
    counters_json: dict[tuple[str, ...], str] = {}
    # Most books are in one status.
    statuses_json: dict[tuple[tuple[str, Decimal], ...], str] = {}
    for line, book in zip(part.lines, books, strict=True):
        cost = part.costs.get(line.item_sku, Decimal(0))
        found = RoundFound(line.round, line.counted, book.quantity)
        before = part.earlier.get(line.line_id, [])
        prior = RoundFound(before[-1].round, before[-1].counted, before[-1].book) if before else None
        outcome = judge(found, prior, tolerance, cost)
        variance = found.variance
        within = tolerance.allows(variance, found.book, cost)
        moved = book.movements > 0
        counters = tuple(line.counters)
        if counters not in counters_json:
            counters_json[counters] = json.dumps(counters)
        statuses = tuple(book.statuses.items())
        if statuses not in statuses_json:
            statuses_json[statuses] = json.dumps({status: decimal_text(quantity) for status, quantity in statuses})
        judged.rounds.append(
            {
                "line_id": line.line_id,
                "round": line.round,
                "counted": found.counted,
                "counted_at": line.counted_at,
                "book": found.book,
                "variance": variance,
                "moved": moved,
                "counters": counters_json[counters],
                "book_by_status": statuses_json[statuses],
            }
        )
        change: dict[str, Any] = {"line_id": line.line_id, "moved_during_count": line.moved_during_count or moved}
        if line.round == 1:
            change["first_round_within"] = within
        if outcome is Outcome.STANDS:
            change |= _standing(found, line.counted_at, cost, within, LineState.FINAL)
        elif outcome is Outcome.RECOUNT:
            change |= {"state": str(LineState.RECOUNT), "round": line.round + 1}
        else:
            change |= {"state": str(LineState.INVESTIGATION)}
        judged.changes.append(change)
    return judged


async def finish_round(
    uow: UnitOfWork, repo: CountingRepository, *, closing: RoundToClose, judged: Sequence[JudgedPart]
) -> str:
    """Write the judged rounds, if nothing moved since they were read; the count's id."""
    count = await load_count(repo, closing.count_id, lock=True)
    require_state(CountState(count.state), frozenset({CountState.OPEN, CountState.COUNTING}), "finish a round of")
    if (await repo.line_summary(count.id), await repo.entries_received(count.id)) != (
        closing.line_states,
        closing.entries,
    ):
        raise RoundMovedError(count.id)
    await repo.insert_many(rounds, [r for part in judged for r in part.rounds])
    await repo.update_lines([c for part in judged for c in part.changes])
    await _to_review_when_settled(repo, count)
    return str(count.id)


def _standing(found: RoundFound, counted_at: datetime, cost: Decimal, within: bool, state: LineState) -> dict[str, Any]:
    """The columns of a line whose round stands; `within`: whether its variance is within tolerance."""
    return {
        "state": str(state),
        "counted": found.counted,
        "counted_at": counted_at,
        "book": found.book,
        "variance": found.variance,
        "variance_value": value_of(found.variance, cost),
        "within_tolerance": within,
    }


async def _to_review_when_settled(repo: CountingRepository, count: Row[Any]) -> None:
    summary = await repo.line_summary(count.id)
    unsettled = sum(n for state, n in summary.items() if state not in (LineState.FINAL, LineState.POSTED))
    if not unsettled and count.state != CountState.REVIEW:
        await move(repo, count, CountState.REVIEW)
    elif unsettled and count.state == CountState.OPEN:
        await move(repo, count, CountState.COUNTING)


async def decide_line(
    uow: UnitOfWork, repo: CountingRepository, count_id: str, line_id: str, chosen: int, comment: str
) -> None:
    count = await load_count(repo, count_id, lock=True)
    require_state(CountState(count.state), frozenset({CountState.COUNTING}), "decide a line of")
    line = await repo.line(count.id, line_id)
    if line is None:
        raise not_found("line", line_id, "line_id")
    if line.state != LineState.INVESTIGATION:
        raise DomainError(
            ErrorCode.INVALID_STATE, f"line {line.number} is {line.state}, not under investigation", "line_id"
        )
    found = {r.round: r for r in (await repo.rounds([line.id])).get(line.id, [])}
    if chosen not in found:
        raise DomainError(ErrorCode.NOT_FOUND, f"line {line.number} has no round {chosen}", "round")
    stands = found[chosen]
    cost = (await repo.costs([line.item_sku])).get(line.item_sku, Decimal(0))
    chosen_round = RoundFound(stands.round, stands.counted, stands.book)
    within = tolerance_of(count).allows(chosen_round.variance, chosen_round.book, cost)
    standing = _standing(chosen_round, stands.counted_at, cost, within, LineState.FINAL)
    await repo.update_lines([{"line_id": line.id, **standing}])
    await repo.record_transition(
        count.id,
        count.state,
        count.state,
        actor(),
        utcnow(),
        f"line {line.number}: round {chosen} stands. {comment}".strip(),
    )
    await _to_review_when_settled(repo, count)


@dataclass(frozen=True)
class LineReasons:
    line_id: str
    reasons: Sequence[tuple[str, Decimal]]


async def explain_lines(uow: UnitOfWork, repo: CountingRepository, count_id: str, given: Sequence[LineReasons]) -> int:
    """Every line is explained or none: a refusal names the first bad line, and nothing is written."""
    count = await load_count(repo, count_id, lock=True)
    require_state(CountState(count.state), frozenset({CountState.REVIEW}), "explain lines of")
    found = await repo.lines_by_id(count.id, {one.line_id for one in given})
    active = frozenset(code for code, _, _ in await repo.reason_codes())
    explained: dict[str, Sequence[tuple[str, Decimal]]] = {}
    for index, one in enumerate(given):
        field = f"lines[{index}]"
        if one.line_id in explained:
            raise DomainError(ErrorCode.ALREADY_EXISTS, "line_id is given twice in one call", f"{field}.line_id")
        line = found.get(one.line_id)
        if line is None:
            raise not_found("line", one.line_id, f"{field}.line_id")
        try:
            check_reasons(line.variance or Decimal(0), one.reasons, active)
        except DomainError as error:
            raise DomainError(error.code, f"line {line.number}: {error.message}", f"{field}.{error.field}") from None
        explained[line.id] = one.reasons
    await repo.replace_reasons(explained)
    return len(explained)


async def explain_line(
    uow: UnitOfWork, repo: CountingRepository, count_id: str, line_id: str, reasons: Sequence[tuple[str, Decimal]]
) -> None:
    try:
        await explain_lines(uow, repo, count_id, [LineReasons(line_id, reasons)])
    except DomainError as error:
        # ExplainLine gives its one line flat: its fields have no `lines[0].` before them.
        error.field = error.field.removeprefix("lines[0].")
        raise


async def submit_for_approval(uow: UnitOfWork, repo: CountingRepository, count_id: str) -> None:
    count = await load_count(repo, count_id, lock=True)
    require_state(CountState(count.state), frozenset({CountState.REVIEW}), "submit")
    missing = await repo.unexplained(count.id)
    if missing:
        raise DomainError(ErrorCode.REQUIRED, f"{missing} differing lines have no reasons yet", "reasons")
    differing, _, absolute = await repo.variance_totals(count.id)
    if not differing:
        await move(repo, count, CountState.APPROVED, "nothing differs")
        await _posted(uow, repo, await load_count(repo, count.id))
        return
    supervisor, finance = await repo.approval_limits(count.warehouse)
    levels = levels_needed(absolute, supervisor, finance)
    await move(repo, count, CountState.AWAITING_APPROVAL, levels_required=json.dumps([str(x) for x in levels]))


async def approve(uow: UnitOfWork, repo: CountingRepository, count_id: str, level: Level, comment: str) -> None:
    count = await load_count(repo, count_id, lock=True)
    require_state(CountState(count.state), frozenset({CountState.AWAITING_APPROVAL}), "approve")
    who = identity.current.get()
    required = [Level(x) for x in json.loads(count.levels_required)]
    given = await repo.approvals(count.id)
    done = [Level(a.level) for a in given]
    expected = next((x for x in required if x not in done), None)
    if level != expected:
        raise DomainError(ErrorCode.INVALID_STATE, f"the count waits for {expected} approval, not {level}", "level")
    if not who.roles & LEVEL_ROLES[level]:
        raise DomainError(ErrorCode.PERMISSION_DENIED, f"approving at {level} level needs the role for it", "level")
    if await repo.counted_in(count.id, who.actor):
        raise DomainError(
            ErrorCode.PERMISSION_DENIED, f"{who.actor} counted in this count and cannot approve it", "count_id"
        )
    if any(a.actor == who.actor for a in given):
        raise DomainError(
            ErrorCode.PERMISSION_DENIED, f"{who.actor} already approved this count at another level", "level"
        )
    await repo.add_approval(count.id, str(level), who.actor, utcnow(), comment.strip())
    if level == required[-1]:
        await move(repo, count, CountState.APPROVED, comment.strip())
        await _send_to_stock(uow, repo, count)


async def reject(uow: UnitOfWork, repo: CountingRepository, count_id: str, level: Level, comment: str) -> None:
    count = await load_count(repo, count_id, lock=True)
    require_state(CountState(count.state), frozenset({CountState.AWAITING_APPROVAL}), "reject")
    if not comment.strip():
        raise DomainError(ErrorCode.REQUIRED, "a rejection needs a comment", "comment")
    if not identity.current.get().roles & LEVEL_ROLES[level]:
        raise DomainError(ErrorCode.PERMISSION_DENIED, f"rejecting at {level} level needs the role for it", "level")
    await repo.void_approvals(count.id)
    await move(repo, count, CountState.REVIEW, f"rejected at {level}: {comment.strip()}", levels_required="[]")


async def cancel(uow: UnitOfWork, repo: CountingRepository, count_id: str, reason: str) -> None:
    count = await load_count(repo, count_id, lock=True)
    require_state(CountState(count.state), CANCELLABLE, "cancel")
    await move(repo, count, CountState.CANCELLED, reason.strip())


async def _send_to_stock(uow: UnitOfWork, repo: CountingRepository, count: Row[Any]) -> None:
    differing = await repo.list_lines(count.id, [str(LineState.FINAL)], True, 0, 10**9)
    if not differing:
        await _posted(uow, repo, count)
        return
    reasons = await repo.reasons([line.id for line in differing])
    parts = (len(differing) + PART_LINES - 1) // PART_LINES
    for part in range(parts):
        chunk = differing[part * PART_LINES : (part + 1) * PART_LINES]
        uow.record(
            AdjustmentApproved(
                count.id,
                count.warehouse,
                part + 1,
                parts,
                tuple(
                    ApprovedLine(
                        line.id,
                        line.item_sku,
                        line.location,
                        line.lot,
                        line.variance,
                        tuple(reasons.get(line.id, [])),
                        line.counted_at,
                    )
                    for line in chunk
                ),
            )
        )


async def confirm_posted(uow: UnitOfWork, repo: CountingRepository, count_id: str, posted: Mapping[str, str]) -> None:
    """Stock posted these lines (line id → movement id); the count is posted with its last."""
    count = await repo.count(count_id, lock=True)
    if count is None or count.state != CountState.APPROVED:
        return  # a redelivered confirmation of a count already posted
    await repo.update_lines(
        [
            {"line_id": line_id, "state": str(LineState.POSTED), "movement_id": movement}
            for line_id, movement in posted.items()
        ]
    )
    waiting = await repo.list_lines(count.id, [str(LineState.FINAL)], True, 0, 1)
    if not waiting:
        await _posted(uow, repo, count)


async def _posted(uow: UnitOfWork, repo: CountingRepository, count: Row[Any]) -> None:
    summary = await repo.line_summary(count.id)
    differing, net, _ = await repo.variance_totals(count.id)
    await move(repo, count, CountState.POSTED)
    uow.record(CountPosted(count.id, count.warehouse, sum(summary.values()), differing, net))
