"""SQL for the counting service, set-based so that a 100,000-line count moves in bulk."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, Table, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
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
    rounds,
    traced_actors,
    transitions,
)
from counting.domain.counts import DEFAULT_FINANCE_LIMIT, DEFAULT_REASON_CODES, DEFAULT_SUPERVISOR_LIMIT, LineState
from invariant_core.db import insert_rows
from invariant_kernel.units import ItemView

# asyncpg takes at most 32,767 parameters in one statement; executemany has no such limit
# but sending rows in slices keeps memory flat.
SLICE = 5000


class CountingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def _on_postgresql(self) -> bool:
        return bool(self.session.get_bind().dialect.name == "postgresql")

    def _insert(self, table: Any) -> Any:
        dialect = postgresql if self._on_postgresql else sqlite
        return dialect.insert(table)

    async def insert_many(self, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
        await insert_rows(self.session, table, rows)

    # items

    async def items(self, skus: Collection[str]) -> dict[str, tuple[ItemView, Decimal]]:
        found: dict[str, tuple[ItemView, Decimal]] = {}
        wanted = list(skus)
        for start in range(0, len(wanted), SLICE):
            rows = await self.session.execute(select(items).where(items.c.sku.in_(wanted[start : start + SLICE])))
            for r in rows:
                units = {unit: Decimal(factor) for unit, factor in json.loads(r.units).items()}
                found[r.sku] = (ItemView(r.sku, r.base_unit, units, r.lot_tracked), r.standard_cost)
        return found

    async def costs(self, skus: Collection[str]) -> dict[str, Decimal]:
        return {sku: cost for sku, (_, cost) in (await self.items(skus)).items()}

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
        found: str | None = await self.session.scalar(select(barcodes.c.item_sku).where(barcodes.c.barcode == code))
        return found

    # configuration

    async def reason_codes(self, include_inactive: bool = False) -> list[tuple[str, str, bool]]:
        rows = (await self.session.execute(select(reason_codes).order_by(reason_codes.c.code))).all()
        stored = {r.code: (r.code, r.name, r.active) for r in rows}
        # The defaults hold until someone changes them.
        merged = {code: (code, name, True) for code, name in DEFAULT_REASON_CODES} | stored
        return [merged[code] for code in sorted(merged) if include_inactive or merged[code][2]]

    async def save_reason_code(self, code: str, name: str, active: bool) -> None:
        statement = self._insert(reason_codes).values(code=code, name=name, active=active)
        await self.session.execute(
            statement.on_conflict_do_update(index_elements=["code"], set_={"name": name, "active": active})
        )

    async def approval_limits(self, warehouse: str) -> tuple[Decimal, Decimal]:
        row = (
            await self.session.execute(select(approval_policies).where(approval_policies.c.warehouse == warehouse))
        ).first()
        if row is None:
            return DEFAULT_SUPERVISOR_LIMIT, DEFAULT_FINANCE_LIMIT
        return row.supervisor_limit, row.finance_limit

    async def save_approval_limits(self, warehouse: str, supervisor: Decimal, finance: Decimal) -> None:
        values = {"supervisor_limit": supervisor, "finance_limit": finance}
        statement = self._insert(approval_policies).values(warehouse=warehouse, **values)
        await self.session.execute(statement.on_conflict_do_update(index_elements=["warehouse"], set_=values))

    # counts

    async def count(self, count_id: str, lock: bool = False, shared: bool = False) -> Row[Any] | None:
        """The count; locked for update, or `shared` with others that only keep it as it is."""
        query = select(counts).where(counts.c.id == count_id)
        if lock:
            query = query.with_for_update(read=shared)
        return (await self.session.execute(query)).first()

    async def next_number(self, count_id: str) -> int:
        """The number for a new line, once no other transaction can number one of this count
        until this one ends (SQLite's single writer already sees to that)."""
        if self._on_postgresql:
            key = int.from_bytes(hashlib.blake2b(count_id.encode(), digest_size=8).digest(), "big", signed=True)
            await self.session.execute(select(func.pg_advisory_xact_lock(key)))
        return await self.last_line_number(count_id) + 1

    async def list_counts(
        self, warehouse: str, states: Collection[str], counter: str, after: str, limit: int
    ) -> list[Row[Any]]:
        query = select(counts).where(counts.c.id > after).order_by(counts.c.id).limit(limit)
        if warehouse:
            query = query.where(counts.c.warehouse == warehouse)
        if states:
            query = query.where(counts.c.state.in_(list(states)))
        if counter:
            # Counters are few per count: the JSON text holds the quoted actor.
            query = query.where(counts.c.counters.contains(json.dumps(counter)))
        return list((await self.session.execute(query)).all())

    async def set_count(self, count_id: str, **values: Any) -> None:
        await self.session.execute(update(counts).where(counts.c.id == count_id).values(**values))

    async def record_transition(
        self, count_id: str, before: str, after: str, actor: str, at: datetime, comment: str = ""
    ) -> None:
        await self.session.execute(
            insert(transitions).values(
                count_id=count_id, from_state=before, to_state=after, actor=actor, at=at, comment=comment
            )
        )

    async def transitions(self, count_id: str) -> list[Row[Any]]:
        query = select(transitions).where(transitions.c.count_id == count_id).order_by(transitions.c.id)
        return list((await self.session.execute(query)).all())

    async def approvals(self, count_id: str, include_void: bool = False) -> list[Row[Any]]:
        query = select(approvals).where(approvals.c.count_id == count_id).order_by(approvals.c.id)
        if not include_void:
            query = query.where(approvals.c.void.is_(False))
        return list((await self.session.execute(query)).all())

    async def add_approval(self, count_id: str, level: str, actor: str, at: datetime, comment: str) -> None:
        await self.session.execute(
            insert(approvals).values(count_id=count_id, level=level, actor=actor, at=at, comment=comment, void=False)
        )

    async def void_approvals(self, count_id: str) -> None:
        await self.session.execute(update(approvals).where(approvals.c.count_id == count_id).values(void=True))

    # lines

    async def line_summary(self, count_id: str) -> dict[str, int]:
        rows = await self.session.execute(
            select(lines.c.state, func.count()).where(lines.c.count_id == count_id).group_by(lines.c.state)
        )
        return {state: number for state, number in rows}

    async def variance_totals(self, count_id: str) -> tuple[int, Decimal, Decimal]:
        """Differing lines, their net value and their absolute value."""
        differing = lines.c.variance != 0
        value = lines.c.variance_value
        row = (
            await self.session.execute(
                select(
                    func.count().filter(differing),
                    func.sum(value),
                    # abs is not a function SQLAlchemy types: name the type, or SQLite's scaled integer comes back.
                    func.sum(func.abs(value, type_=value.type)),
                ).where(lines.c.count_id == count_id)
            )
        ).one()
        return int(row[0]), row[1] or Decimal(0), row[2] or Decimal(0)

    async def line(self, count_id: str, line_id: str) -> Row[Any] | None:
        query = select(lines).where(lines.c.count_id == count_id, lines.c.id == line_id)
        return (await self.session.execute(query)).first()

    async def lines_by_id(self, count_id: str, ids: Collection[str]) -> dict[str, Row[Any]]:
        found: dict[str, Row[Any]] = {}
        wanted = list(ids)
        for start in range(0, len(wanted), SLICE):
            query = select(lines).where(lines.c.count_id == count_id, lines.c.id.in_(wanted[start : start + SLICE]))
            found |= {r.id: r for r in await self.session.execute(query)}
        return found

    async def lines_by_key(
        self, count_id: str, keys: Collection[tuple[str, str, str]]
    ) -> dict[tuple[str, str, str], Row[Any]]:
        """The lines at these keys: a read per location (and slice of its items), the way
        counters upload shelf by shelf, so that the rows read are the rows asked for."""
        by_location: dict[str, set[str]] = {}
        for sku, location, _ in keys:
            by_location.setdefault(location, set()).add(sku)
        found: dict[tuple[str, str, str], Row[Any]] = {}
        for location, skus in by_location.items():
            wanted = sorted(skus)
            for start in range(0, len(wanted), SLICE):
                query = select(lines).where(
                    lines.c.count_id == count_id,
                    lines.c.location == location,
                    lines.c.item_sku.in_(wanted[start : start + SLICE]),
                )
                found |= {(r.item_sku, r.location, r.lot): r for r in await self.session.execute(query)}
        return {key: found[key] for key in keys if key in found}

    async def list_lines(
        self, count_id: str, states: Collection[str], differing_only: bool, after: int, limit: int
    ) -> list[Row[Any]]:
        query = (
            select(lines)
            .where(lines.c.count_id == count_id, lines.c.number > after)
            .order_by(lines.c.number)
            .limit(limit)
        )
        if states:
            query = query.where(lines.c.state.in_(list(states)))
        if differing_only:
            query = query.where(lines.c.variance != 0)
        return list((await self.session.execute(query)).all())

    async def waiting_for(self, count_id: str, counter: str, states: Collection[str]) -> tuple[Row[Any] | None, int]:
        """The first line in one of `states` that `counter` may count, and how many there are:
        a recount is for someone who did not count the round before."""
        counted_before = (
            select(entries.c.entry_id)
            .where(entries.c.line_id == lines.c.id, entries.c.round == lines.c.round - 1, entries.c.counter == counter)
            .exists()
        )
        theirs = (lines.c.count_id == count_id, lines.c.state.in_(list(states)), ~counted_before)
        first = (await self.session.execute(select(lines).where(*theirs).order_by(lines.c.number).limit(1))).first()
        remaining = await self.session.scalar(select(func.count()).select_from(lines).where(*theirs))
        return first, int(remaining or 0)

    async def current_round(self, count_id: str) -> int:
        found = await self.session.scalar(select(func.max(lines.c.round)).where(lines.c.count_id == count_id))
        return int(found or 1)

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
            await self.session.execute(update(lines).where(lines.c.id.in_(part)).values(state=state))

    async def update_lines(self, changes: Sequence[Mapping[str, Any]]) -> None:
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

    # entries and rounds

    async def known_entries(self, ids: Collection[str]) -> dict[str, Row[Any]]:
        found: dict[str, Row[Any]] = {}
        wanted = list(ids)
        for start in range(0, len(wanted), SLICE):
            query = select(entries).where(entries.c.entry_id.in_(wanted[start : start + SLICE]))
            found |= {r.entry_id: r for r in await self.session.execute(query)}
        return found

    async def closing_lines(self, count_id: str, first: int, last: int, separator: str) -> list[Any]:
        """The counted lines numbered first to last, in order, each with what its current
        round's entries add up to, when the last was counted and who counted (names joined
        by `separator`, repeated as often as they entered)."""
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
                func.aggregate_strings(entries.c.counter, separator).label("counters"),
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
        return list((await self.session.execute(query)).all())

    async def last_line_number(self, count_id: str) -> int:
        return int(await self.session.scalar(select(func.max(lines.c.number)).where(lines.c.count_id == count_id)) or 0)

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

    async def counted_in(self, count_id: str, actor: str) -> bool:
        query = select(entries.c.entry_id).where(entries.c.count_id == count_id, entries.c.counter == actor).limit(1)
        return (await self.session.scalar(query)) is not None

    async def rounds(self, line_ids: Collection[str]) -> dict[str, list[Row[Any]]]:
        found: dict[str, list[Row[Any]]] = {}
        wanted = list(line_ids)
        for start in range(0, len(wanted), SLICE):
            query = select(rounds).where(rounds.c.line_id.in_(wanted[start : start + SLICE])).order_by(rounds.c.round)
            for r in await self.session.execute(query):
                found.setdefault(r.line_id, []).append(r)
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

    async def unexplained(self, count_id: str) -> int:
        explained = select(line_reasons.c.line_id).distinct().scalar_subquery()
        query = select(func.count()).where(
            lines.c.count_id == count_id, lines.c.variance != 0, lines.c.id.not_in(explained)
        )
        return int(await self.session.scalar(query) or 0)

    # the ledger trace

    async def last_posted_count_time(self, warehouse: str, key: tuple[str, str, str], before: str) -> datetime | None:
        """When the key was last counted in a posted count other than `before`."""
        sku, location, lot = key
        query = (
            select(func.max(lines.c.counted_at))
            .join(counts, counts.c.id == lines.c.count_id)
            .where(
                counts.c.warehouse == warehouse,
                counts.c.state == "POSTED",
                counts.c.id != before,
                lines.c.item_sku == sku,
                lines.c.location == location,
                lines.c.lot == lot,
            )
        )
        found: datetime | None = await self.session.scalar(query)
        return found

    async def remember_actors(self, line_id: str, actors: Collection[str]) -> None:
        for actor in actors:
            statement = self._insert(traced_actors).values(line_id=line_id, actor=actor).on_conflict_do_nothing()
            await self.session.execute(statement)

    async def other_variance_lines(self, line_id: str, actors: Collection[str]) -> dict[str, int]:
        """For each actor, the other differing lines their movements were traced on."""
        query = (
            select(traced_actors.c.actor, func.count(func.distinct(traced_actors.c.line_id)))
            .join(lines, lines.c.id == traced_actors.c.line_id)
            .where(traced_actors.c.actor.in_(list(actors)), traced_actors.c.line_id != line_id, lines.c.variance != 0)
            .group_by(traced_actors.c.actor)
        )
        return {actor: number for actor, number in (await self.session.execute(query))}

    # accuracy

    async def posted_lines(self, warehouse: str, start: datetime | None, end: datetime | None) -> list[Any]:
        """Lines of posted counts counted in [start, end), with what accuracy is made of."""
        query = (
            select(
                counts.c.warehouse,
                counts.c.abc_class,
                lines.c.id,
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
            .where(counts.c.state == "POSTED")
        )
        if warehouse:
            query = query.where(counts.c.warehouse == warehouse)
        if start is not None:
            query = query.where(lines.c.counted_at >= start)
        if end is not None:
            query = query.where(lines.c.counted_at < end)
        return list((await self.session.execute(query)).all())
