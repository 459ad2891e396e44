"""Counting's storage, stock and catalog in memory, for the handlers' unit tests.

FakeCountingRepository answers as SqlCountingRepository (counting.adapters) does and
refuses what the tables' keys refuse (counting.adapters.tables), so that a handler behaves
over it as it does over the database. Counts and lines are copied in and out: a handler's
change is stored only when it writes it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TypeVar

from counting.domain.accuracy import PostedLine
from counting.domain.counts import Approval, BookBalance, Count, CountState, Transition
from counting.domain.entries import EntryRecord, KnownEntry
from counting.domain.events import ApprovedLine
from counting.domain.lines import Key, Line, LineState, LineSummary, RoundRecord, Standing, VarianceTotals
from counting.domain.planning import Classified, CyclePolicy, ItemHistory, LastCount, Trigger
from counting.domain.policies import DEFAULT_REASON_CODES, ApprovalLimits, ReasonCode
from counting.domain.rounds import Book, ClosedLine, ClosingLine
from counting.domain.trace import TracedMovement
from counting.service.ports import BookQuery, CountingRepository, Hold, Reading, Warehouse
from invariant_core.paging import PageQuery
from invariant_core.testing import ConstraintViolation, FakeService, paged
from invariant_kernel.errors import ItemsNotReplicatedError, not_found
from invariant_kernel.units import ItemView

ZERO = Decimal(0)
WAREHOUSE = "WH1"
IN_TRANSIT = "ROAD"
NOON = datetime(2025, 6, 30, 12, tzinfo=UTC)
K = TypeVar("K")
V = TypeVar("V")


def _insert(table: dict[K, V], key: K, row: V) -> None:
    if key in table:
        raise ConstraintViolation(f"duplicate key {key!r}")
    table[key] = row


def _differs(line: Line) -> bool:
    # As SQL compares: a line without a variance is no differing line.
    return line.variance is not None and line.variance != 0


class FakeCountingRepository(CountingRepository):
    def __init__(self) -> None:
        self.count_rows: dict[str, Count] = {}
        self.transition_rows: list[tuple[str, Transition]] = []
        # (count id, approval, void)
        self.approval_rows: list[tuple[str, Approval, bool]] = []
        self.line_rows: dict[str, Line] = {}
        self.entry_rows: dict[str, EntryRecord] = {}
        self.round_rows: dict[tuple[str, int], RoundRecord] = {}
        self.round_actor_rows: set[tuple[str, int, str]] = set()
        self.reason_rows: dict[str, list[tuple[str, Decimal]]] = {}
        self.item_rows: dict[str, tuple[ItemView, Decimal]] = {}
        self.barcode_rows: dict[str, str] = {}
        self.reason_code_rows: dict[str, ReasonCode] = {}
        self.limit_rows: dict[str, ApprovalLimits] = {}
        self.issue_rows: dict[tuple[str, str, date], Decimal] = {}
        self.trigger_rows: dict[tuple[str, str, Trigger], datetime] = {}
        self.failed_pick_rows: dict[tuple[str, str, str], datetime] = {}
        self.class_rows: dict[str, tuple[datetime, list[Classified]]] = {}
        self.policy_rows: dict[str, CyclePolicy] = {}
        self.planned_rows: dict[tuple[str, date, str], str] = {}

    # counts

    async def add(self, count: Count) -> None:
        _insert(self.count_rows, count.id, count)
        await self.save(count)

    async def get(self, count_id: str, hold: Hold = Hold.NONE) -> Count | None:
        stored = self.count_rows.get(count_id)
        if stored is None:
            return None
        approved = [a for c, a, void in self.approval_rows if c == count_id and not void]
        return dataclasses.replace(stored, approvals=approved, events=[], new_transitions=[], new_approvals=[])

    async def save(self, count: Count) -> None:
        if count.approvals_voided:
            self.approval_rows = [(c, a, void or c == count.id) for c, a, void in self.approval_rows]
        self.approval_rows.extend((count.id, a, False) for a in count.new_approvals)
        self.transition_rows.extend((count.id, t) for t in count.new_transitions)
        self.count_rows[count.id] = dataclasses.replace(
            count, approvals=[], events=[], new_transitions=[], new_approvals=[], approvals_voided=False
        )
        count.saved()

    async def counts_by_id(self, ids: Collection[str]) -> list[Count]:
        return [count for count_id in ids if (count := await self.get(count_id)) is not None]

    async def list_counts(self, warehouse: str, states: Collection[str], counter: str, page: PageQuery) -> list[Count]:
        found = [
            count
            for count in await self.counts_by_id(self.count_rows)
            if (not warehouse or count.warehouse == warehouse)
            and (not states or count.state in states)
            and (not counter or counter in count.counters)
        ]
        return paged(found, lambda count: (count.created_at, count.id), page)

    async def transitions(self, count_id: str) -> list[Transition]:
        return [t for c, t in self.transition_rows if c == count_id]

    async def current_round(self, count_id: str) -> int:
        return max((line.round for line in self._lines(count_id)), default=1)

    async def counted_in(self, count_id: str, actor: str) -> bool:
        return any(e.count_id == count_id and e.counter == actor for e in self.entry_rows.values())

    # lines

    def _lines(self, count_id: str) -> list[Line]:
        return sorted((line for line in self.line_rows.values() if line.count_id == count_id), key=lambda x: x.number)

    async def add_lines(self, lines: Sequence[Line]) -> None:
        for line in lines:
            taken = {(x.count_id, x.item_sku, x.location, x.lot) for x in self.line_rows.values()}
            if (line.count_id, line.item_sku, line.location, line.lot) in taken:
                raise ConstraintViolation(f"ux_lines_key: {line.item_sku} at {line.location}")
            _insert(self.line_rows, line.id, line)

    async def line(self, count_id: str, line_id: str) -> Line | None:
        line = self.line_rows.get(line_id)
        return line if line is not None and line.count_id == count_id else None

    async def lines_by_id(self, count_id: str, ids: Collection[str]) -> dict[str, Line]:
        return {i: line for i in ids if (line := await self.line(count_id, i)) is not None}

    async def lines_of_any_count(self, ids: Collection[str]) -> list[Line]:
        return [self.line_rows[i] for i in ids if i in self.line_rows]

    async def lines_by_key(self, count_id: str, keys: Collection[Key]) -> dict[Key, Line]:
        at = {(x.item_sku, x.location, x.lot): x for x in self._lines(count_id)}
        return {key: at[key] for key in keys if key in at}

    async def list_lines(
        self, count_id: str, states: Collection[str], differing_only: bool, page: PageQuery | None = None
    ) -> list[Line]:
        found = [
            line
            for line in self._lines(count_id)
            if (not states or line.state in states) and (not differing_only or _differs(line))
        ]
        return found if page is None else paged(found, lambda line: (line.number,), page)

    async def next_number(self, count_id: str) -> int:
        return await self.last_line_number(count_id) + 1

    async def last_line_number(self, count_id: str) -> int:
        return max((line.number for line in self._lines(count_id)), default=0)

    async def line_summary(self, count_id: str) -> LineSummary:
        summary: dict[str, int] = {}
        for line in self._lines(count_id):
            summary[line.state] = summary.get(line.state, 0) + 1
        return LineSummary(summary)

    async def variance_totals(self, count_id: str) -> VarianceTotals:
        values = [line.variance_value for line in self._lines(count_id) if line.variance_value is not None]
        differing = sum(1 for line in self._lines(count_id) if _differs(line))
        lines = len(self._lines(count_id))
        return VarianceTotals(lines, differing, sum(values, ZERO), sum((abs(v) for v in values), ZERO))

    async def set_state(self, line_ids: Sequence[str], state: str) -> None:
        for line_id in line_ids:
            self.line_rows[line_id] = self.line_rows[line_id]._replace(state=str(state))

    async def waiting_for(self, count_id: str, counter: str, states: Collection[str]) -> tuple[Line | None, int]:
        theirs = [
            line
            for line in self._lines(count_id)
            if line.state in states
            and not any(
                e.line_id == line.id and e.round == line.round - 1 and e.counter == counter
                for e in self.entry_rows.values()
            )
        ]
        return (theirs[0] if theirs else None), len(theirs)

    async def close_round(self, closed: Sequence[ClosedLine]) -> None:
        for c in closed:
            _insert(self.round_rows, (c.line_id, c.found.round), c.found)
            line = self.line_rows[c.line_id]._replace(moved_during_count=c.moved_during_count, state=str(c.state))
            if c.first_round_within is not None:
                line = line._replace(first_round_within=c.first_round_within)
            self.line_rows[c.line_id] = line._replace(round=c.next_round)
            if c.standing is not None:
                await self.stand(c.line_id, c.standing)
            self.round_actor_rows |= {(c.line_id, c.found.round, actor) for actor in c.actors}

    async def stand(self, line_id: str, standing: Standing) -> None:
        self.line_rows[line_id] = self.line_rows[line_id]._replace(state=str(LineState.FINAL), **standing._asdict())

    async def approved_lines(self, count_id: str) -> list[ApprovedLine]:
        return [
            ApprovedLine.of(line, self.reason_rows.get(line.id, []))
            for line in await self.list_lines(count_id, [LineState.FINAL], True)
        ]

    async def mark_posted(self, movements: Mapping[str, str]) -> None:
        for line_id, movement in movements.items():
            self.line_rows[line_id] = self.line_rows[line_id]._replace(
                state=str(LineState.POSTED), movement_id=movement
            )

    async def unexplained(self, count_id: str) -> int:
        return sum(1 for line in self._lines(count_id) if _differs(line) and not self.reason_rows.get(line.id))

    # entries and rounds

    async def known_entries(self, ids: Collection[str]) -> dict[str, KnownEntry]:
        return {i: KnownEntry(e.count_id, e.line_id, e.round) for i in ids if (e := self.entry_rows.get(i)) is not None}

    async def add_entries(self, entries: Sequence[EntryRecord]) -> None:
        for entry in entries:
            _insert(self.entry_rows, entry.entry_id, entry)

    async def entries_received(self, count_id: str) -> int:
        return sum(1 for e in self.entry_rows.values() if e.count_id == count_id)

    async def counters_by_line_round(
        self, count_id: str, line_ids: Collection[str]
    ) -> dict[tuple[str, int], list[str]]:
        found: dict[tuple[str, int], set[str]] = {}
        for e in self.entry_rows.values():
            if e.count_id == count_id and e.line_id in line_ids:
                found.setdefault((e.line_id, e.round), set()).add(e.counter)
        return {key: sorted(counters) for key, counters in found.items()}

    async def closing_lines(self, count_id: str, first: int, last: int) -> list[ClosingLine]:
        closing = []
        for line in self._lines(count_id):
            entered = [e for e in self.entry_rows.values() if e.line_id == line.id and e.round == line.round]
            if first <= line.number <= last and line.state == LineState.COUNTED and entered:
                closing.append(
                    ClosingLine(
                        line.id,
                        line.item_sku,
                        line.location,
                        line.lot,
                        line.round,
                        line.moved_during_count,
                        line.opened_at,
                        sum((e.quantity for e in entered), ZERO),
                        max(e.counted_at for e in entered),
                        tuple(sorted({e.counter for e in entered})),
                    )
                )
        return closing

    async def rounds(self, line_ids: Collection[str]) -> dict[str, list[RoundRecord]]:
        found: dict[str, list[RoundRecord]] = {}
        for (line_id, _), found_round in sorted(self.round_rows.items()):
            if line_id in line_ids:
                found.setdefault(line_id, []).append(found_round)
        return found

    async def reasons(self, line_ids: Collection[str]) -> dict[str, list[tuple[str, Decimal]]]:
        return {i: sorted(self.reason_rows[i]) for i in line_ids if self.reason_rows.get(i)}

    async def replace_reasons(self, by_line: Mapping[str, Sequence[tuple[str, Decimal]]]) -> None:
        self.reason_rows |= {line_id: list(reasons) for line_id, reasons in by_line.items()}

    # items, kept from the catalog

    async def item_views(self, skus: Collection[str]) -> dict[str, ItemView]:
        return {sku: self.item_rows[sku][0] for sku in skus if sku in self.item_rows}

    async def costs(self, skus: Collection[str]) -> dict[str, Decimal]:
        return {sku: self.item_rows[sku][1] for sku in skus if sku in self.item_rows}

    async def skus_of_barcodes(self, codes: Collection[str]) -> dict[str, str]:
        return {code: self.barcode_rows[code] for code in codes if code in self.barcode_rows}

    # what a warehouse sets

    async def reason_codes(self, include_inactive: bool = False, page: PageQuery | None = None) -> list[ReasonCode]:
        merged = {c.code: c for c in DEFAULT_REASON_CODES} | self.reason_code_rows
        found = [merged[code] for code in sorted(merged) if include_inactive or merged[code].active]
        return found if page is None else paged(found, lambda code: (code.code,), page)

    async def save_reason_code(self, code: ReasonCode) -> None:
        self.reason_code_rows[code.code] = code

    async def approval_limits(self, warehouse: str) -> ApprovalLimits:
        return self.limit_rows.get(warehouse, ApprovalLimits())

    async def save_approval_limits(self, warehouse: str, limits: ApprovalLimits) -> None:
        self.limit_rows[warehouse] = limits

    # history

    def _posted_lines_of(self, warehouse: str, other_than: str = "") -> list[Line]:
        return [
            line
            for count in self.count_rows.values()
            if count.warehouse == warehouse and count.state is CountState.POSTED and count.id != other_than
            for line in self._lines(count.id)
        ]

    async def last_posted_count_time(self, warehouse: str, key: Key, before: str) -> datetime | None:
        times = [
            line.counted_at
            for line in self._posted_lines_of(warehouse, before)
            if (line.item_sku, line.location, line.lot) == key and line.counted_at is not None
        ]
        return max(times, default=None)

    async def recurring_actors(self, warehouse: str, count_id: str, actors: Collection[str]) -> dict[str, int]:
        lines = {line.id for line in self._posted_lines_of(warehouse, count_id) if _differs(line)}
        found: dict[str, set[str]] = {}
        for line_id, _, actor in self.round_actor_rows:
            if actor in actors and line_id in lines:
                found.setdefault(actor, set()).add(line_id)
        return {actor: len(found_lines) for actor, found_lines in found.items()}

    async def posted_lines(self, warehouse: str, start: datetime | None, end: datetime | None) -> list[PostedLine]:
        posted = []
        for count in self.count_rows.values():
            if count.state is not CountState.POSTED or (warehouse and count.warehouse != warehouse):
                continue
            for line in self._lines(count.id):
                first = self.round_rows.get((line.id, 1))
                at = line.counted_at
                if first is None or at is None or (start and at < start) or (end and at >= end):
                    continue
                cost = self.item_rows[line.item_sku][1] if line.item_sku in self.item_rows else None
                posted.append(
                    PostedLine(
                        line.id,
                        count.warehouse,
                        count.abc_class,
                        at,
                        line.book or ZERO,
                        line.variance_value,
                        bool(line.first_round_within),
                        cost,
                        first.counters,
                    )
                )
        return posted

    # planning

    async def add_issue(self, warehouse: str, item_sku: str, day: date, value: Decimal) -> None:
        key = (warehouse, item_sku, day)
        self.issue_rows[key] = self.issue_rows.get(key, ZERO) + value

    async def record_trigger(self, warehouse: str, item_sku: str, kind: Trigger, at: datetime) -> None:
        key = (warehouse, item_sku, kind)
        self.trigger_rows[key] = max(at, self.trigger_rows.get(key, at))

    async def record_failed_pick(self, warehouse: str, item_sku: str, location: str, at: datetime) -> None:
        await self.record_trigger(warehouse, item_sku, Trigger.FAILED_PICK, at)
        key = (warehouse, item_sku, location)
        self.failed_pick_rows[key] = max(at, self.failed_pick_rows.get(key, at))

    def _known_items(self, warehouse: str) -> set[str]:
        counted = {
            line.item_sku for c in self.count_rows.values() if c.warehouse == warehouse for line in self._lines(c.id)
        }
        issued = {sku for wh, sku, _ in self.issue_rows if wh == warehouse}
        return counted | issued | {sku for wh, sku, _ in self.trigger_rows if wh == warehouse}

    async def issue_values(self, warehouse: str, first: date, end: date) -> dict[str, Decimal]:
        values = dict.fromkeys(self._known_items(warehouse), ZERO)
        for (wh, sku, day), value in self.issue_rows.items():
            if wh == warehouse and first <= day < end:
                values[sku] += value
        return values

    async def replace_classes(self, warehouse: str, classified: Sequence[Classified], computed_at: datetime) -> None:
        self.class_rows[warehouse] = (computed_at, list(classified))

    async def abc_classes(self, warehouse: str, page: PageQuery) -> tuple[datetime | None, list[Classified]]:
        if warehouse not in self.class_rows:
            return None, []
        computed_at, classes = self.class_rows[warehouse]
        return computed_at, paged(classes, lambda c: (str(c.abc_class), c.item_sku), page)

    async def cycle_policy(self, warehouse: str) -> CyclePolicy:
        return self.policy_rows.get(warehouse, CyclePolicy())

    async def save_cycle_policy(self, warehouse: str, policy: CyclePolicy) -> None:
        self.policy_rows[warehouse] = policy

    async def item_histories(self, warehouse: str) -> list[ItemHistory]:
        classes = {c.item_sku: str(c.abc_class) for c in self.class_rows.get(warehouse, (NOON, []))[1]}
        histories = []
        for sku in sorted(self._known_items(warehouse)):
            lines = [line for line in self._posted_lines_of(warehouse) if line.item_sku == sku and line.counted_at]
            last = None
            if lines:
                latest = max(lines, key=lambda line: (line.counted_at, line.count_id))
                on_it = [line for line in lines if line.count_id == latest.count_id]
                adjusted = sum((abs(line.variance_value or ZERO) for line in on_it), ZERO)
                last = LastCount(latest.counted_at or NOON, len(on_it), adjusted)
            reported = {
                kind: at for (wh, item, kind), at in self.trigger_rows.items() if (wh, item) == (warehouse, sku)
            }
            failed = {
                location: at
                for (wh, item, location), at in self.failed_pick_rows.items()
                if (wh, item) == (warehouse, sku)
            }
            histories.append(ItemHistory(sku, classes.get(sku, ""), last, reported, failed))
        return histories

    async def planned_or_under_way(self, warehouse: str, day: date) -> set[str]:
        finished = {CountState.POSTED, CountState.CANCELLED}
        return {
            sku
            for (wh, planned_day, sku), count_id in self.planned_rows.items()
            if wh == warehouse and (planned_day == day or self.count_rows[count_id].state not in finished)
        }

    async def record_planned(self, warehouse: str, day: date, count_id: str, item_skus: Collection[str]) -> None:
        for sku in item_skus:
            _insert(self.planned_rows, (warehouse, day, sku), count_id)


@dataclasses.dataclass
class Shelf:
    """What stock holds at a place now, and the movements that brought it there."""

    quantity: Decimal = ZERO
    movements: list[TracedMovement] = dataclasses.field(default_factory=list)


class FakeStock:
    """The stock service as counting asks it: one warehouse, its shelves and their ledger."""

    def __init__(self) -> None:
        self.warehouses = {WAREHOUSE: Warehouse(WAREHOUSE, IN_TRANSIT)}
        self.shelves: dict[Key, Shelf] = {}
        self.in_transit_by_item: dict[str, Decimal] = {}
        self.on_hold_at: dict[Key, Decimal] = {}
        self.calls: list[str] = []

    def move(self, key: Key, quantity: str, actor: str, at: datetime, movement_id: str = "") -> TracedMovement:
        """A movement of `quantity` (signed) at the place, by `actor`, at business time `at`."""
        shelf = self.shelves.setdefault(key, Shelf())
        moved = TracedMovement(
            movement_id or f"M-{len(shelf.movements) + 1}", "RECEIPT", Decimal(quantity), "", "", actor, at, at
        )
        shelf.movements.append(moved)
        shelf.quantity += moved.quantity
        return moved

    async def warehouse(self, code: str) -> Warehouse | None:
        self.calls.append("warehouse")
        return self.warehouses.get(code)

    async def balances(self, warehouse: str, locations: Sequence[str], item_skus: Sequence[str]) -> list[BookBalance]:
        self.calls.append("balances")
        return [
            BookBalance(sku, location, lot, shelf.quantity)
            for (sku, location, lot), shelf in sorted(self.shelves.items())
            if shelf.quantity and (not locations or location in locations) and (not item_skus or sku in item_skus)
        ]

    async def books(self, warehouse: str, queries: Sequence[BookQuery]) -> list[Book]:
        self.calls.append("books")
        books = []
        for q in queries:
            shelf = self.shelves.get((q.item_sku, q.location, q.lot), Shelf())
            later = sum((m.quantity for m in shelf.movements if m.business_time > q.as_of), ZERO)
            window = [m for m in shelf.movements if q.since < m.business_time <= q.as_of]
            quantity = shelf.quantity - later
            books.append(Book(quantity, len(window), {"AVAILABLE": quantity} if quantity else {}))
        return books

    async def movements(
        self, warehouse: str, key: Key, since: datetime | None, until: datetime
    ) -> list[TracedMovement]:
        self.calls.append("movements")
        shelf = self.shelves.get(key, Shelf())
        return [m for m in shelf.movements if (since is None or m.business_time >= since) and m.business_time <= until]

    async def in_transit(self, item_sku: str, warehouse: str) -> Decimal:
        return self.in_transit_by_item.get(item_sku, ZERO)

    async def on_hold(self, warehouse: str, key: Key, as_of: datetime) -> Decimal:
        return self.on_hold_at.get(key, ZERO)


class FakeCatalog:
    """The catalog's items, read through into the counting replica as `ReplicatedItems` does."""

    def __init__(self, repo_of: FakeService[FakeCountingRepository]) -> None:
        self._counting = repo_of
        # sku → the item, its standard cost and its barcodes.
        self.items: dict[str, tuple[ItemView, Decimal, tuple[str, ...]]] = {}

    def create(self, sku: str, cost: str = "2", *barcodes: str, lot_tracked: bool = False) -> ItemView:
        view = ItemView(sku, "EA", {"BOX": Decimal(12)}, lot_tracked)
        self.items[sku] = (view, Decimal(cost), barcodes)
        return view

    def keep(self, sku: str) -> None:
        """The catalog's event about the item, applied by counting's consumer."""
        view, cost, barcodes = self.items[sku]
        self._counting.repo.item_rows[sku] = (view, cost)
        self._counting.repo.barcode_rows |= dict.fromkeys(barcodes, sku)

    async def views(self, fields: Mapping[str, str]) -> dict[str, ItemView]:
        for sku, field in fields.items():
            if sku not in self.items:
                raise not_found("item", sku, field)
            self.keep(sku)
        return {sku: self.items[sku][0] for sku in fields}

    async def sku_of_barcode(self, barcode: str, field: str) -> str:
        for sku, (_, _, barcodes) in self.items.items():
            if barcode in barcodes:
                self.keep(sku)
                return sku
        raise not_found("barcode", barcode, field)

    async def read_through(self, refused: Exception) -> bool:
        if not isinstance(refused, ItemsNotReplicatedError):
            return False
        for code, field in refused.barcodes:
            await self.sku_of_barcode(code, field)
        await self.views(dict(refused.missing))
        return True


CountingService = FakeService[FakeCountingRepository]


def new_counting() -> CountingService:
    return FakeService(FakeCountingRepository())


def reading(counting: CountingService) -> Reading:
    """The repository as the routes' preparations and the queries read it."""

    @asynccontextmanager
    async def read() -> AsyncIterator[CountingRepository]:
        yield counting.repo

    return read


def later(minutes: int) -> datetime:
    return NOON + timedelta(minutes=minutes)
