"""SQL for the counting service's counts, set-based so that a 100,000-line count moves in bulk."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, Select, Table, bindparam, delete, func, insert, literal, select, union_all, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from counting.adapters.tables import (
    approval_policies,
    approvals,
    barcodes,
    counts,
    entries,
    items,
    line_reasons,
    lines,
    reason_codes,
    round_actors,
    rounds,
    transitions,
)
from counting.domain.accuracy import PostedLine
from counting.domain.counts import Approval, Count, CountKind, CountState, Level, Tolerance, Transition
from counting.domain.entries import EntryRecord, KnownEntry
from counting.domain.events import ApprovedLine
from counting.domain.lines import Key, Line, LineState, LineSummary, RoundRecord, Standing, VarianceTotals
from counting.domain.policies import DEFAULT_REASON_CODES, ApprovalLimits, ReasonCode
from counting.domain.rounds import ClosedLine, ClosingLine
from counting.service.ports import Hold
from invariant_core.db import dialect_insert, insert_rows
from invariant_core.paging import PageQuery, keyset
from invariant_kernel.units import ItemView, decimal_text

# asyncpg takes at most 32,767 parameters in one statement; executemany has no such limit
# but sending rows in slices keeps memory flat.
SLICE = 5000
# Between the names of a line's counters as the database joins them: no actor has it.
COUNTER_SEPARATOR = "\x1f"
_LINE = [lines.c[name] for name in Line._fields]
_FINAL = str(LineState.FINAL)


def _count(row: Row[Any], approved: list[Approval]) -> Count:
    return Count(
        id=row.id,
        warehouse=row.warehouse,
        kind=CountKind(row.kind),
        blind=row.blind,
        locations=tuple(json.loads(row.locations)),
        item_skus=tuple(json.loads(row.item_skus)),
        abc_class=row.abc_class,
        given_tolerance=Tolerance(row.tolerance_quantity, row.tolerance_percent, row.tolerance_value),
        counters=tuple(json.loads(row.counters)),
        note=row.note,
        state=CountState(row.state),
        levels_required=tuple(Level(level) for level in json.loads(row.levels_required)),
        created_by=row.created_by,
        created_at=row.created_at,
        opened_at=row.opened_at,
        approvals=approved,
    )


def _standing(stands: RoundRecord | Standing, value: Decimal, within: bool) -> dict[str, Any]:
    """The columns of a line whose round stands: what it found, its variance's value, and
    whether that is within tolerance."""
    return {
        "state": _FINAL,
        "counted": stands.counted,
        "counted_at": stands.counted_at,
        "book": stands.book,
        "variance": stands.variance,
        "variance_value": value,
        "within_tolerance": within,
    }


class SqlCountsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def _on_postgresql(self) -> bool:
        return bool(self.session.get_bind().dialect.name == "postgresql")

    def _insert(self, table: Any) -> Any:
        return dialect_insert(self.session, table)

    async def insert_many(self, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
        await insert_rows(self.session, table, rows)

    # items, kept from the catalog

    async def _items(self, skus: Collection[str]) -> dict[str, tuple[ItemView, Decimal]]:
        found: dict[str, tuple[ItemView, Decimal]] = {}
        wanted = list(skus)
        for start in range(0, len(wanted), SLICE):
            rows = await self.session.execute(select(items).where(items.c.sku.in_(wanted[start : start + SLICE])))
            for r in rows:
                units = {unit: Decimal(factor) for unit, factor in json.loads(r.units).items()}
                found[r.sku] = (ItemView(r.sku, r.base_unit, units, r.lot_tracked), r.standard_cost)
        return found

    async def item_views(self, skus: Collection[str]) -> dict[str, ItemView]:
        return {sku: view for sku, (view, _) in (await self._items(skus)).items()}

    async def costs(self, skus: Collection[str]) -> dict[str, Decimal]:
        return {sku: cost for sku, (_, cost) in (await self._items(skus)).items()}

    async def save_item(self, view: ItemView, cost: Decimal, codes: Iterable[str], version: int) -> None:
        """Keep the item as the catalog has it at `version`, unless a later version is kept already."""
        values = {
            "base_unit": view.base_unit,
            "units": json.dumps({unit: str(factor) for unit, factor in view.units.items()}),
            "standard_cost": cost,
            "lot_tracked": view.lot_tracked,
            "version": version,
        }
        statement = (
            self._insert(items)
            .values(sku=view.sku, **values)
            .on_conflict_do_update(index_elements=["sku"], set_=values, where=items.c.version <= version)
            .returning(items.c.sku)
        )
        if (await self.session.execute(statement)).first() is None:
            return
        await self.session.execute(delete(barcodes).where(barcodes.c.item_sku == view.sku))
        for code in codes:
            statement = self._insert(barcodes).values(barcode=code, item_sku=view.sku)
            await self.session.execute(
                statement.on_conflict_do_update(index_elements=["barcode"], set_={"item_sku": view.sku})
            )

    async def sku_of_barcode(self, code: str) -> str | None:
        return (await self.skus_of_barcodes([code])).get(code)

    async def skus_of_barcodes(self, codes: Collection[str]) -> dict[str, str]:
        if not codes:
            return {}
        query = select(barcodes.c.barcode, barcodes.c.item_sku).where(barcodes.c.barcode.in_(list(codes)))
        return {code: sku for code, sku in await self.session.execute(query)}

    # what a warehouse sets

    async def reason_codes(self, include_inactive: bool = False, page: PageQuery | None = None) -> list[ReasonCode]:
        kept = select(reason_codes.c.code, reason_codes.c.name, reason_codes.c.active)
        # The defaults hold until someone changes them.
        defaults = [
            select(
                literal(c.code).label("code"), literal(c.name).label("name"), literal(c.active).label("active")
            ).where(~select(reason_codes.c.code).where(reason_codes.c.code == c.code).exists())
            for c in DEFAULT_REASON_CODES
        ]
        merged = union_all(kept, *defaults).subquery("merged")
        query = select(merged)
        if not include_inactive:
            query = query.where(merged.c.active.is_(True))
        query = query.order_by(merged.c.code) if page is None else keyset(query, [merged.c.code], page)
        return [ReasonCode(r.code, r.name, bool(r.active)) for r in await self.session.execute(query)]

    async def save_reason_code(self, code: ReasonCode) -> None:
        statement = self._insert(reason_codes).values(code=code.code, name=code.name, active=code.active)
        await self.session.execute(
            statement.on_conflict_do_update(index_elements=["code"], set_={"name": code.name, "active": code.active})
        )

    async def approval_limits(self, warehouse: str) -> ApprovalLimits:
        row = (
            await self.session.execute(select(approval_policies).where(approval_policies.c.warehouse == warehouse))
        ).first()
        return ApprovalLimits() if row is None else ApprovalLimits(row.supervisor_limit, row.finance_limit)

    async def save_approval_limits(self, warehouse: str, limits: ApprovalLimits) -> None:
        values = {"supervisor_limit": limits.supervisor, "finance_limit": limits.finance}
        statement = self._insert(approval_policies).values(warehouse=warehouse, **values)
        await self.session.execute(statement.on_conflict_do_update(index_elements=["warehouse"], set_=values))

    # counts

    async def add(self, count: Count) -> None:
        await self.session.execute(
            insert(counts).values(
                id=count.id,
                warehouse=count.warehouse,
                kind=str(count.kind),
                blind=count.blind,
                locations=json.dumps(count.locations),
                item_skus=json.dumps(count.item_skus),
                abc_class=count.abc_class,
                tolerance_quantity=count.given_tolerance.quantity,
                tolerance_percent=count.given_tolerance.percent,
                tolerance_value=count.given_tolerance.value,
                counters=json.dumps(count.counters),
                note=count.note,
                state=str(count.state),
                levels_required=json.dumps(count.levels_required),
                created_by=count.created_by,
                created_at=count.created_at,
                opened_at=count.opened_at,
            )
        )
        await self._keep_changes(count)

    async def get(self, count_id: str, hold: Hold = Hold.NONE) -> Count | None:
        """The count, held as `hold` says until the transaction ends.

        For an upload of entries (ENTRIES) it is held shared with other uploads, or alone
        while it is OPEN, so that the first upload moves it to COUNTING alone; its state is
        read first to know which. SQLite's single writer holds it alone whatever it is.
        """
        query = select(counts).where(counts.c.id == count_id)
        if hold is Hold.ALONE:
            query = query.with_for_update()
        elif hold is Hold.ENTRIES and self._on_postgresql:
            state = await self.session.scalar(select(counts.c.state).where(counts.c.id == count_id))
            query = query.with_for_update(read=state != CountState.OPEN)
        row = (await self.session.execute(query)).first()
        if row is None:
            return None
        return _count(row, (await self._approvals([row.id])).get(row.id, []))

    async def _approvals(self, count_ids: Collection[str]) -> dict[str, list[Approval]]:
        """The approvals in force of these counts, in the order they were given."""
        query = (
            select(approvals)
            .where(approvals.c.count_id.in_(list(count_ids)), approvals.c.void.is_(False))
            .order_by(approvals.c.id)
        )
        found: dict[str, list[Approval]] = {}
        for r in await self.session.execute(query):
            found.setdefault(r.count_id, []).append(Approval(Level(r.level), r.actor, r.at, r.comment))
        return found

    async def save(self, count: Count) -> None:
        """What the count changed since it was loaded."""
        if count.new_transitions:
            await self.session.execute(
                update(counts)
                .where(counts.c.id == count.id)
                .values(
                    state=str(count.state),
                    levels_required=json.dumps(count.levels_required),
                    opened_at=count.opened_at,
                )
            )
        await self._keep_changes(count)

    async def _keep_changes(self, count: Count) -> None:
        if count.approvals_voided:
            await self.session.execute(update(approvals).where(approvals.c.count_id == count.id).values(void=True))
        for a in count.new_approvals:
            await self.session.execute(
                insert(approvals).values(
                    count_id=count.id, level=str(a.level), actor=a.actor, at=a.at, comment=a.comment, void=False
                )
            )
        for t in count.new_transitions:
            await self.session.execute(
                insert(transitions).values(
                    count_id=count.id,
                    from_state=t.from_state,
                    to_state=t.to_state,
                    actor=t.actor,
                    at=t.at,
                    comment=t.comment,
                )
            )
        count.saved()

    async def _counts(self, query: Select[Any]) -> list[Count]:
        rows = (await self.session.execute(query)).all()
        approved = await self._approvals([r.id for r in rows])
        return [_count(r, approved.get(r.id, [])) for r in rows]

    async def counts_by_id(self, ids: Collection[str]) -> list[Count]:
        return await self._counts(select(counts).where(counts.c.id.in_(list(ids))))

    async def list_counts(self, warehouse: str, states: Collection[str], counter: str, page: PageQuery) -> list[Count]:
        """In the order they were created: the id only tells counts created at the same moment apart."""
        query = select(counts)
        if warehouse:
            query = query.where(counts.c.warehouse == warehouse)
        if states:
            query = query.where(counts.c.state.in_(list(states)))
        if counter:
            # Counters are few per count: the JSON text holds the quoted actor.
            query = query.where(counts.c.counters.contains(json.dumps(counter)))
        return await self._counts(keyset(query, [counts.c.created_at, counts.c.id], page))

    async def transitions(self, count_id: str) -> list[Transition]:
        query = select(transitions).where(transitions.c.count_id == count_id).order_by(transitions.c.id)
        return [
            Transition(t.from_state, t.to_state, t.actor, t.at, t.comment) for t in await self.session.execute(query)
        ]

    async def current_round(self, count_id: str) -> int:
        found = await self.session.scalar(select(func.max(lines.c.round)).where(lines.c.count_id == count_id))
        return int(found or 1)

    async def counted_in(self, count_id: str, actor: str) -> bool:
        query = select(entries.c.entry_id).where(entries.c.count_id == count_id, entries.c.counter == actor).limit(1)
        return (await self.session.scalar(query)) is not None

    # lines

    async def add_lines(self, new: Sequence[Line]) -> None:
        await self.insert_many(
            lines,
            [
                {
                    "id": line.id,
                    "count_id": line.count_id,
                    "number": line.number,
                    "item_sku": line.item_sku,
                    "location": line.location,
                    "lot": line.lot,
                    "origin": str(line.origin),
                    "state": str(line.state),
                    "round": line.round,
                    "book_at_open": line.book_at_open,
                    "opened_at": line.opened_at,
                    "moved_during_count": line.moved_during_count,
                }
                for line in new
            ],
        )

    async def next_number(self, count_id: str) -> int:
        """The number for a new line, once no other transaction can number one of this count
        until this one ends (SQLite's single writer already sees to that)."""
        if self._on_postgresql:
            key = int.from_bytes(hashlib.blake2b(count_id.encode(), digest_size=8).digest(), "big", signed=True)
            await self.session.execute(select(func.pg_advisory_xact_lock(key)))
        return await self.last_line_number(count_id) + 1

    async def last_line_number(self, count_id: str) -> int:
        return int(await self.session.scalar(select(func.max(lines.c.number)).where(lines.c.count_id == count_id)) or 0)

    async def line_summary(self, count_id: str) -> LineSummary:
        rows = await self.session.execute(
            select(lines.c.state, func.count()).where(lines.c.count_id == count_id).group_by(lines.c.state)
        )
        return LineSummary({state: number for state, number in rows})

    async def variance_totals(self, count_id: str) -> VarianceTotals:
        differing = lines.c.variance != 0
        value = lines.c.variance_value
        row = (
            await self.session.execute(
                select(
                    func.count(),
                    func.count().filter(differing),
                    func.sum(value),
                    # abs is not a function SQLAlchemy types: name the type, or SQLite's scaled integer comes back.
                    func.sum(func.abs(value, type_=value.type)),
                ).where(lines.c.count_id == count_id)
            )
        ).one()
        return VarianceTotals(int(row[0]), int(row[1]), row[2] or Decimal(0), row[3] or Decimal(0))

    async def line(self, count_id: str, line_id: str) -> Line | None:
        query = select(*_LINE).where(lines.c.count_id == count_id, lines.c.id == line_id)
        row = (await self.session.execute(query)).first()
        return None if row is None else Line._make(row)

    async def lines_by_id(self, count_id: str, ids: Collection[str]) -> dict[str, Line]:
        found: dict[str, Line] = {}
        wanted = list(ids)
        for start in range(0, len(wanted), SLICE):
            query = select(*_LINE).where(lines.c.count_id == count_id, lines.c.id.in_(wanted[start : start + SLICE]))
            found |= {r.id: Line._make(r) for r in await self.session.execute(query)}
        return found

    async def lines_of_any_count(self, ids: Collection[str]) -> list[Line]:
        query = select(*_LINE).where(lines.c.id.in_(list(ids)))
        return [Line._make(r) for r in await self.session.execute(query)]

    async def lines_by_key(self, count_id: str, keys: Collection[Key]) -> dict[Key, Line]:
        """The lines at these places: a read per location (and slice of its items), the way
        counters upload shelf by shelf, so that the rows read are the rows asked for."""
        by_location: dict[str, set[str]] = {}
        for sku, location, _ in keys:
            by_location.setdefault(location, set()).add(sku)
        found: dict[Key, Line] = {}
        for location, skus in by_location.items():
            wanted = sorted(skus)
            for start in range(0, len(wanted), SLICE):
                query = select(*_LINE).where(
                    lines.c.count_id == count_id,
                    lines.c.location == location,
                    lines.c.item_sku.in_(wanted[start : start + SLICE]),
                )
                found |= {(r.item_sku, r.location, r.lot): Line._make(r) for r in await self.session.execute(query)}
        return {key: found[key] for key in keys if key in found}

    async def list_lines(
        self, count_id: str, states: Collection[str], differing_only: bool, page: PageQuery | None = None
    ) -> list[Line]:
        query = select(*_LINE).where(lines.c.count_id == count_id)
        if states:
            query = query.where(lines.c.state.in_([str(s) for s in states]))
        if differing_only:
            query = query.where(lines.c.variance != 0)
        query = query.order_by(lines.c.number) if page is None else keyset(query, [lines.c.number], page)
        return [Line._make(r) for r in await self.session.execute(query)]

    async def waiting_for(self, count_id: str, counter: str, states: Collection[str]) -> tuple[Line | None, int]:
        """The first line in one of `states` that `counter` may count, and how many there are:
        a recount is for someone who did not count the round before."""
        counted_before = (
            select(entries.c.entry_id)
            .where(entries.c.line_id == lines.c.id, entries.c.round == lines.c.round - 1, entries.c.counter == counter)
            .exists()
        )
        theirs = (lines.c.count_id == count_id, lines.c.state.in_([str(s) for s in states]), ~counted_before)
        first = (await self.session.execute(select(*_LINE).where(*theirs).order_by(lines.c.number).limit(1))).first()
        remaining = await self.session.scalar(select(func.count()).select_from(lines).where(*theirs))
        return (None if first is None else Line._make(first)), int(remaining or 0)

    async def set_state(self, line_ids: Sequence[str], state: str) -> None:
        """The same state on many lines: one statement a slice, not one a line.

        Uploads run side by side and may count the same lines: each locks its lines in id
        order first (an UPDATE locks in whatever order its plan reads), so that two never
        wait for each other."""
        ordered = sorted(line_ids)
        for start in range(0, len(ordered), SLICE):
            part = ordered[start : start + SLICE]
            await self.session.execute(
                select(lines.c.id).where(lines.c.id.in_(part)).order_by(lines.c.id).with_for_update()
            )
            await self.session.execute(update(lines).where(lines.c.id.in_(part)).values(state=str(state)))

    async def close_round(self, closed: Sequence[ClosedLine]) -> None:
        """The closed rounds, what they do to their lines, and who moved stock in their windows."""
        # Most lines were counted by the same one or two people, and most books are in one status.
        counters_json: dict[tuple[str, ...], str] = {}
        statuses_json: dict[tuple[tuple[str, Decimal], ...], str] = {}
        found: list[dict[str, Any]] = []
        changes: list[dict[str, Any]] = []
        actors: list[dict[str, Any]] = []
        for c in closed:
            found_round = c.found
            if found_round.counters not in counters_json:
                counters_json[found_round.counters] = json.dumps(found_round.counters)
            statuses = tuple(found_round.book_by_status.items())
            if statuses not in statuses_json:
                statuses_json[statuses] = json.dumps({status: decimal_text(q) for status, q in statuses})
            found.append(
                {
                    "line_id": c.line_id,
                    "round": found_round.round,
                    "counted": found_round.counted,
                    "counted_at": found_round.counted_at,
                    "book": found_round.book,
                    "variance": found_round.variance,
                    "moved": found_round.moved,
                    "counters": counters_json[found_round.counters],
                    "book_by_status": statuses_json[statuses],
                }
            )
            change: dict[str, Any] = {"line_id": c.line_id, "moved_during_count": c.moved_during_count}
            if c.first_round_within is not None:
                change["first_round_within"] = c.first_round_within
            if c.variance_value is not None:
                change |= _standing(found_round, c.variance_value, c.within_tolerance)
            else:
                change["state"] = str(c.state)
                if c.next_round != found_round.round:
                    change["round"] = c.next_round
            changes.append(change)
            actors.extend({"line_id": c.line_id, "round": found_round.round, "actor": actor} for actor in c.actors)
        await self.insert_many(rounds, found)
        await self._update_lines(changes)
        await self.insert_many(round_actors, actors)

    async def stand(self, line_id: str, standing: Standing) -> None:
        """A round stands on the line: it is FINAL."""
        await self._update_lines(
            [{"line_id": line_id, **_standing(standing, standing.variance_value, standing.within_tolerance)}]
        )

    async def mark_posted(self, movements: Mapping[str, str]) -> None:
        """Stock posted these lines (line id → movement id)."""
        await self._update_lines(
            [
                {"line_id": line_id, "state": str(LineState.POSTED), "movement_id": movement}
                for line_id, movement in movements.items()
            ]
        )

    async def _update_lines(self, changes: Sequence[Mapping[str, Any]]) -> None:
        """Each change names its line as `line_id` and the columns to set.

        On PostgreSQL the lines changing the same columns change in one statement, their
        values sent as arrays and joined back by id (a round of 100,000 lines is 20
        statements, not 100,000 executions); elsewhere one execution a line.
        """
        by_columns: dict[tuple[str, ...], list[Mapping[str, Any]]] = {}
        for change in changes:
            by_columns.setdefault(tuple(sorted(k for k in change if k != "line_id")), []).append(change)
        at_once = self._on_postgresql
        for columns, group in by_columns.items():
            if at_once:
                names = ("id", *columns)
                given = select(
                    *(
                        func.unnest(bindparam(f"new_{n}", type_=postgresql.ARRAY(lines.c[n].type))).label(n)
                        for n in names
                    )
                ).subquery("given")
                statement = update(lines).where(lines.c.id == given.c.id).values({c: given.c[c] for c in columns})
                for start in range(0, len(group), SLICE):
                    part = group[start : start + SLICE]
                    await self.session.execute(
                        statement,
                        {f"new_{n}": [c["line_id" if n == "id" else n] for c in part] for n in names},
                    )
                continue
            statement = (
                update(lines)
                .where(lines.c.id == bindparam("line_id"))
                .values({column: bindparam(f"new_{column}") for column in columns})
            )
            rows = [{"line_id": c["line_id"], **{f"new_{k}": c[k] for k in columns}} for c in group]
            for start in range(0, len(rows), SLICE):
                await self.session.execute(statement, rows[start : start + SLICE])

    async def approved_lines(self, count_id: str) -> list[ApprovedLine]:
        """The lines whose difference stock is to post: FINAL and differing, with their reasons."""
        differing = await self.list_lines(count_id, [LineState.FINAL], True)
        reasons = await self.reasons([line.id for line in differing])
        return [ApprovedLine.of(line, reasons.get(line.id, [])) for line in differing]

    async def unexplained(self, count_id: str) -> int:
        explained = select(line_reasons.c.line_id).distinct().scalar_subquery()
        query = select(func.count()).where(
            lines.c.count_id == count_id, lines.c.variance != 0, lines.c.id.not_in(explained)
        )
        return int(await self.session.scalar(query) or 0)

    # entries and rounds

    async def known_entries(self, ids: Collection[str]) -> dict[str, KnownEntry]:
        found: dict[str, KnownEntry] = {}
        wanted = list(ids)
        columns = (entries.c.entry_id, entries.c.count_id, entries.c.line_id, entries.c.round)
        for start in range(0, len(wanted), SLICE):
            query = select(*columns).where(entries.c.entry_id.in_(wanted[start : start + SLICE]))
            found |= {r.entry_id: KnownEntry(r.count_id, r.line_id, r.round) for r in await self.session.execute(query)}
        return found

    async def add_entries(self, new: Sequence[EntryRecord]) -> None:
        await self.insert_many(
            entries,
            [
                {
                    "entry_id": e.entry_id,
                    "count_id": e.count_id,
                    "line_id": e.line_id,
                    "round": e.round,
                    "counter": e.counter,
                    "quantity": e.quantity,
                    "entered": e.entered,
                    "unit": e.unit,
                    "counted_at": e.counted_at,
                    "received_at": e.received_at,
                }
                for e in new
            ],
        )

    async def entries_received(self, count_id: str) -> int:
        return int(await self.session.scalar(select(func.count()).where(entries.c.count_id == count_id)) or 0)

    async def counters_by_line_round(
        self, count_id: str, line_ids: Collection[str]
    ) -> dict[tuple[str, int], list[str]]:
        """Who counted each of these lines in each round."""
        found: dict[tuple[str, int], list[str]] = {}
        wanted = list(line_ids)
        for start in range(0, len(wanted), SLICE):
            query = (
                select(entries.c.line_id, entries.c.round, entries.c.counter)
                .where(entries.c.count_id == count_id, entries.c.line_id.in_(wanted[start : start + SLICE]))
                .distinct()
                .order_by(entries.c.line_id, entries.c.round, entries.c.counter)
            )
            for line_id, number, counter in await self.session.execute(query):
                found.setdefault((line_id, number), []).append(counter)
        return found

    async def closing_lines(self, count_id: str, first: int, last: int) -> list[ClosingLine]:
        """The counted lines numbered first to last, in order, each with what its current
        round's entries add up to, when the last was counted and who counted."""
        query = (
            select(
                lines.c.id,
                lines.c.item_sku,
                lines.c.location,
                lines.c.lot,
                lines.c.round,
                lines.c.moved_during_count,
                lines.c.opened_at,
                func.sum(entries.c.quantity).label("counted"),
                func.max(entries.c.counted_at).label("counted_at"),
                # Each name as often as it entered.
                func.aggregate_strings(entries.c.counter, COUNTER_SEPARATOR).label("counters"),
            )
            .join(entries, (entries.c.line_id == lines.c.id) & (entries.c.round == lines.c.round))
            .where(
                lines.c.count_id == count_id,
                lines.c.number.between(first, last),
                lines.c.state == str(LineState.COUNTED),
            )
            .group_by(lines.c.id)
            .order_by(lines.c.number)
        )
        return [
            ClosingLine(
                r.id,
                r.item_sku,
                r.location,
                r.lot,
                r.round,
                r.moved_during_count,
                r.opened_at,
                Decimal(r.counted),
                r.counted_at,
                tuple(sorted(set(r.counters.split(COUNTER_SEPARATOR)))),
            )
            for r in await self.session.execute(query)
        ]

    async def rounds(self, line_ids: Collection[str]) -> dict[str, list[RoundRecord]]:
        found: dict[str, list[RoundRecord]] = {}
        wanted = list(line_ids)
        for start in range(0, len(wanted), SLICE):
            query = select(rounds).where(rounds.c.line_id.in_(wanted[start : start + SLICE])).order_by(rounds.c.round)
            for r in await self.session.execute(query):
                found.setdefault(r.line_id, []).append(
                    RoundRecord(
                        r.round,
                        r.counted,
                        r.counted_at,
                        r.book,
                        r.variance,
                        r.moved,
                        tuple(json.loads(r.counters)),
                        {status: Decimal(q) for status, q in json.loads(r.book_by_status).items()},
                    )
                )
        return found

    async def reasons(self, line_ids: Collection[str]) -> dict[str, list[tuple[str, Decimal]]]:
        found: dict[str, list[tuple[str, Decimal]]] = {}
        wanted = list(line_ids)
        for start in range(0, len(wanted), SLICE):
            query = (
                select(line_reasons)
                .where(line_reasons.c.line_id.in_(wanted[start : start + SLICE]))
                .order_by(line_reasons.c.reason_code)
            )
            for r in await self.session.execute(query):
                found.setdefault(r.line_id, []).append((r.reason_code, r.quantity))
        return found

    async def replace_reasons(self, by_line: Mapping[str, Sequence[tuple[str, Decimal]]]) -> None:
        """Each line's reasons replace any it had: the only place reasons are written."""
        ids = list(by_line)
        for start in range(0, len(ids), SLICE):
            await self.session.execute(
                delete(line_reasons).where(line_reasons.c.line_id.in_(ids[start : start + SLICE]))
            )
        await self.insert_many(
            line_reasons,
            [
                {"line_id": line_id, "reason_code": code, "quantity": quantity}
                for line_id, reasons in by_line.items()
                for code, quantity in reasons
            ],
        )

    # history

    async def last_posted_count_time(self, warehouse: str, key: Key, before: str) -> datetime | None:
        """When the place was last counted in a posted count other than `before`."""
        sku, location, lot = key
        query = (
            select(func.max(lines.c.counted_at))
            .join(counts, counts.c.id == lines.c.count_id)
            .where(
                counts.c.warehouse == warehouse,
                counts.c.state == str(CountState.POSTED),
                counts.c.id != before,
                lines.c.item_sku == sku,
                lines.c.location == location,
                lines.c.lot == lot,
            )
        )
        found: datetime | None = await self.session.scalar(query)
        return found

    async def recurring_actors(self, warehouse: str, count_id: str, actors: Collection[str]) -> dict[str, int]:
        """For each actor, the variance lines of the warehouse's other posted counts whose
        rounds saw them move stock at the line's place."""
        if not actors:
            return {}
        query = (
            select(round_actors.c.actor, func.count(func.distinct(round_actors.c.line_id)))
            .join(lines, lines.c.id == round_actors.c.line_id)
            .join(counts, counts.c.id == lines.c.count_id)
            .where(
                round_actors.c.actor.in_(list(actors)),
                counts.c.warehouse == warehouse,
                counts.c.state == str(CountState.POSTED),
                counts.c.id != count_id,
                lines.c.variance != 0,
            )
            .group_by(round_actors.c.actor)
        )
        return {actor: number for actor, number in await self.session.execute(query)}

    async def posted_lines(self, warehouse: str, start: datetime | None, end: datetime | None) -> list[PostedLine]:
        """Lines of posted counts counted in [start, end), with what accuracy is made of."""
        query = (
            select(
                lines.c.id,
                counts.c.warehouse,
                counts.c.abc_class,
                lines.c.counted_at,
                lines.c.book,
                lines.c.variance_value,
                lines.c.first_round_within,
                items.c.standard_cost,
                rounds.c.counters,
            )
            .join(lines, lines.c.count_id == counts.c.id)
            .join(rounds, (rounds.c.line_id == lines.c.id) & (rounds.c.round == 1))
            .outerjoin(items, items.c.sku == lines.c.item_sku)
            .where(counts.c.state == str(CountState.POSTED))
        )
        if warehouse:
            query = query.where(counts.c.warehouse == warehouse)
        if start is not None:
            query = query.where(lines.c.counted_at >= start)
        if end is not None:
            query = query.where(lines.c.counted_at < end)
        return [
            PostedLine(*r[:6], bool(r.first_round_within), r.standard_cost, tuple(json.loads(r.counters)))
            for r in await self.session.execute(query)
        ]
