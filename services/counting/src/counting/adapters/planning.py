"""SQL for cycle-count planning: issue values and triggers kept from stock and orders, ABC classes,
cycle policies and what has been planned. It extends the counts' SQL into the repository of
all counting keeps, so that a plan and its counts share one transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import delete, func, or_, select, union

from counting.adapters.repository import SqlCountsRepository
from counting.adapters.tables import (
    abc_classes,
    abc_computations,
    count_triggers,
    counts,
    cycle_policies,
    failed_picks,
    issue_values,
    lines,
    planned_items,
)
from counting.domain.counts import CountState
from counting.domain.planning import AbcClass, Classified, CyclePolicy, ItemHistory, LastCount, Trigger
from invariant_core.paging import PageQuery, keyset


class SqlCountingRepository(SqlCountsRepository):
    """Everything the counting service keeps: its counts, and what planning keeps."""

    # kept from stock's events

    async def add_issue(self, warehouse: str, item_sku: str, day: date, value: Decimal) -> None:
        statement = self._insert(issue_values).values(warehouse=warehouse, item_sku=item_sku, day=day, value=value)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["warehouse", "item_sku", "day"],
                set_={"value": issue_values.c.value + statement.excluded.value},
            )
        )

    async def record_trigger(self, warehouse: str, item_sku: str, kind: Trigger, at: datetime) -> None:
        statement = self._insert(count_triggers).values(
            warehouse=warehouse, item_sku=item_sku, kind=str(kind), last_at=at
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["warehouse", "item_sku", "kind"],
                set_={"last_at": statement.excluded.last_at},
                # Events of one item may arrive out of order after a redelivery: keep the latest.
                where=count_triggers.c.last_at < statement.excluded.last_at,
            )
        )

    async def record_failed_pick(self, warehouse: str, item_sku: str, location: str, at: datetime) -> None:
        """A pick of the item came up short at the location: a FAILED_PICK trigger, and the place."""
        await self.record_trigger(warehouse, item_sku, Trigger.FAILED_PICK, at)
        statement = self._insert(failed_picks).values(
            warehouse=warehouse, item_sku=item_sku, location=location, last_at=at
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["warehouse", "item_sku", "location"],
                set_={"last_at": statement.excluded.last_at},
                where=failed_picks.c.last_at < statement.excluded.last_at,
            )
        )

    # ABC classes

    async def known_items(self, warehouse: str) -> set[str]:
        """Items known to be kept in the warehouse: issued from it, on a count there, or
        reported there by stock (short, or an attempted negative balance)."""
        query = union(
            select(issue_values.c.item_sku).where(issue_values.c.warehouse == warehouse),
            select(lines.c.item_sku)
            .join(counts, counts.c.id == lines.c.count_id)
            .where(counts.c.warehouse == warehouse),
            select(count_triggers.c.item_sku).where(count_triggers.c.warehouse == warehouse),
        )
        return set((await self.session.scalars(query)).all())

    async def issue_values(self, warehouse: str, first: date, end: date) -> dict[str, Decimal]:
        """Each known item's issue value over the days [first, end), zero when it had none."""
        query = (
            select(issue_values.c.item_sku, func.sum(issue_values.c.value))
            .where(issue_values.c.warehouse == warehouse, issue_values.c.day >= first, issue_values.c.day < end)
            .group_by(issue_values.c.item_sku)
        )
        issued = {sku: value for sku, value in await self.session.execute(query)}
        return {sku: issued.get(sku, Decimal(0)) for sku in await self.known_items(warehouse)}

    async def replace_classes(self, warehouse: str, classified: Sequence[Classified], computed_at: datetime) -> None:
        await self.session.execute(delete(abc_classes).where(abc_classes.c.warehouse == warehouse))
        await self.insert_many(
            abc_classes,
            [
                {
                    "warehouse": warehouse,
                    "item_sku": c.item_sku,
                    "abc_class": str(c.abc_class),
                    "issue_value": c.issue_value,
                }
                for c in classified
            ],
        )
        statement = self._insert(abc_computations).values(warehouse=warehouse, computed_at=computed_at)
        await self.session.execute(
            statement.on_conflict_do_update(index_elements=["warehouse"], set_={"computed_at": computed_at})
        )

    async def abc_classes(self, warehouse: str, page: PageQuery) -> tuple[datetime | None, list[Classified]]:
        """When the warehouse's classes were computed, and a page of its items by class, then SKU."""
        computed_at: datetime | None = await self.session.scalar(
            select(abc_computations.c.computed_at).where(abc_computations.c.warehouse == warehouse)
        )
        query = keyset(
            select(abc_classes).where(abc_classes.c.warehouse == warehouse),
            [abc_classes.c.abc_class, abc_classes.c.item_sku],
            page,
        )
        return computed_at, [
            Classified(r.item_sku, AbcClass(r.abc_class), r.issue_value) for r in await self.session.execute(query)
        ]

    # cycle policies

    async def cycle_policy(self, warehouse: str) -> CyclePolicy:
        row = (
            await self.session.execute(select(cycle_policies).where(cycle_policies.c.warehouse == warehouse))
        ).first()
        if row is None:
            return CyclePolicy()
        return CyclePolicy(row.a_days, row.b_days, row.c_days, row.capacity, row.large_adjustment_value)

    async def save_cycle_policy(self, warehouse: str, policy: CyclePolicy) -> None:
        values = {
            "a_days": policy.a_days,
            "b_days": policy.b_days,
            "c_days": policy.c_days,
            "capacity": policy.capacity,
            "large_adjustment_value": policy.large_adjustment_value,
        }
        statement = self._insert(cycle_policies).values(warehouse=warehouse, **values)
        await self.session.execute(statement.on_conflict_do_update(index_elements=["warehouse"], set_=values))

    # planning

    async def item_histories(self, warehouse: str) -> list[ItemHistory]:
        """Every known item of the warehouse with its class, last posted count and the last time
        stock reported each fact about it."""
        classes = dict(
            (
                await self.session.execute(
                    select(abc_classes.c.item_sku, abc_classes.c.abc_class).where(abc_classes.c.warehouse == warehouse)
                )
            ).all()
        )
        reported: dict[str, dict[Trigger, datetime]] = {}
        triggers = select(count_triggers.c.item_sku, count_triggers.c.kind, count_triggers.c.last_at).where(
            count_triggers.c.warehouse == warehouse
        )
        for sku, kind, at in await self.session.execute(triggers):
            reported.setdefault(sku, {})[Trigger(kind)] = at
        failed: dict[str, dict[str, datetime]] = {}
        places = select(failed_picks.c.item_sku, failed_picks.c.location, failed_picks.c.last_at).where(
            failed_picks.c.warehouse == warehouse
        )
        for sku, location, at in await self.session.execute(places):
            failed.setdefault(sku, {})[location] = at
        last = await self._last_counts(warehouse)
        return [
            ItemHistory(sku, classes.get(sku, ""), last.get(sku), reported.get(sku, {}), failed.get(sku, {}))
            for sku in sorted(await self.known_items(warehouse))
        ]

    async def _last_counts(self, warehouse: str) -> dict[str, LastCount]:
        """Per item, its lines on the posted count with its latest count time in the warehouse."""
        posted = (counts.c.warehouse == warehouse) & (counts.c.state == str(CountState.POSTED))
        last = (
            select(lines.c.item_sku, func.max(lines.c.counted_at).label("last_at"))
            .join(counts, counts.c.id == lines.c.count_id)
            .where(posted)
            .group_by(lines.c.item_sku)
            .subquery()
        )
        # Two posted counts with the very same latest time for an item: the greater id stands.
        latest = (
            select(last.c.item_sku, last.c.last_at, func.max(lines.c.count_id).label("count_id"))
            .select_from(last)
            .join(lines, (lines.c.item_sku == last.c.item_sku) & (lines.c.counted_at == last.c.last_at))
            .join(counts, counts.c.id == lines.c.count_id)
            .where(posted)
            .group_by(last.c.item_sku, last.c.last_at)
            .subquery()
        )
        # abs is not a function SQLAlchemy types: name the type, or SQLite's scaled integer comes back.
        adjusted = func.abs(lines.c.variance_value, type_=lines.c.variance_value.type)
        query = (
            select(latest.c.item_sku, latest.c.last_at, func.count(), func.sum(adjusted))
            .select_from(latest)
            .join(lines, (lines.c.count_id == latest.c.count_id) & (lines.c.item_sku == latest.c.item_sku))
            .group_by(latest.c.item_sku, latest.c.last_at)
        )
        return {
            sku: LastCount(at, int(number), value or Decimal(0))
            for sku, at, number, value in await self.session.execute(query)
        }

    async def planned_or_under_way(self, warehouse: str, day: date) -> set[str]:
        """Items planned for `day`, or on a planned count that is neither posted nor cancelled."""
        finished = [str(CountState.POSTED), str(CountState.CANCELLED)]
        query = (
            select(planned_items.c.item_sku)
            .join(counts, counts.c.id == planned_items.c.count_id)
            .where(
                planned_items.c.warehouse == warehouse,
                or_(planned_items.c.day == day, counts.c.state.not_in(finished)),
            )
        )
        return set((await self.session.scalars(query)).all())

    async def record_planned(self, warehouse: str, day: date, count_id: str, item_skus: Collection[str]) -> None:
        await self.insert_many(
            planned_items,
            [{"warehouse": warehouse, "day": day, "item_sku": sku, "count_id": count_id} for sku in item_skus],
        )
