"""Cycle-count planning: ABC classes from the issue value kept from stock's facts, the
warehouse's cycle policy, and DRAFT counts of the items due on a day."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from counting.domain import commands
from counting.domain.counts import Count, CountKind, Tolerance, value_of
from counting.domain.planning import (
    Classified,
    CyclePolicy,
    DueItem,
    abc_percents,
    classify,
    cycle_policy,
    due_items,
    issue_days,
    split_into_counts,
    spot_counts,
)
from counting.service.ports import CountingRepository, PlanningRepository
from counting.service.queries import CountView, acting, count_view
from invariant_core.db import Recorder, utcnow
from invariant_core.paging import PageQuery
from invariant_kernel.codes import normalise_warehouse
from invariant_kernel.errors import DomainError, ErrorCode


@dataclass(frozen=True)
class AbcClasses:
    warehouse: str
    # None while they were never computed.
    computed_at: datetime | None
    classes: Sequence[Classified]


async def compute_abc_classes(
    uow: Recorder, repo: PlanningRepository, command: commands.ComputeAbcClasses
) -> AbcClasses:
    warehouse = normalise_warehouse(command.warehouse)
    a_percent, b_percent = abc_percents(command.a_percent, command.b_percent)
    first, end = issue_days(command.from_time, command.to_time, utcnow())
    classified = classify(await repo.issue_values(warehouse, first, end), a_percent, b_percent)
    computed_at = utcnow()
    await repo.replace_classes(warehouse, classified, computed_at)
    return AbcClasses(warehouse, computed_at, classified)


async def abc_classes(repo: PlanningRepository, warehouse: str, page: PageQuery) -> AbcClasses:
    """A page of the warehouse's classes, in class order, each class by item SKU."""
    code = normalise_warehouse(warehouse)
    return AbcClasses(code, *await repo.abc_classes(code, page))


async def set_cycle_policy(
    uow: Recorder, repo: PlanningRepository, command: commands.SetCyclePolicy
) -> tuple[str, CyclePolicy]:
    warehouse = normalise_warehouse(command.warehouse, "policy.warehouse")
    policy = cycle_policy(
        command.a_days, command.b_days, command.c_days, command.capacity, command.large_adjustment_value
    )
    await repo.save_cycle_policy(warehouse, policy)
    return warehouse, policy


async def get_cycle_policy(repo: PlanningRepository, warehouse: str) -> tuple[str, CyclePolicy]:
    code = normalise_warehouse(warehouse)
    return code, await repo.cycle_policy(code)


@dataclass(frozen=True)
class Plan:
    due: Sequence[DueItem]
    counts: Sequence[CountView]


async def plan_counts(uow: Recorder, repo: CountingRepository, command: commands.PlanCounts) -> Plan:
    """DRAFT counts, blind, of the items due on the day and not planned already: a spot count
    of the places picks came up short at for the items due for that alone, cycle counts of
    the rest. `due` lists those items, so that a plan run twice answers the second time with
    nothing."""
    warehouse = normalise_warehouse(command.warehouse)
    day = (command.date or utcnow()).date()
    policy = await repo.cycle_policy(warehouse)
    taken = await repo.planned_or_under_way(warehouse, day)
    due = [i for i in due_items(await repo.item_histories(warehouse), policy, day) if i.item_sku not in taken]
    # (kind, locations, items, class, note) of each count to plan.
    planned = [
        (CountKind.SPOT, spot.locations, spot.item_skus, "", f"spot count after failed picks at {spot.places}")
        for spot in spot_counts(due)
    ]
    planned += [
        (CountKind.CYCLE, (), tuple(i.item_sku for i in cycle.items), cycle.abc_class, f"cycle count planned for {day}")
        for cycle in split_into_counts([i for i in due if i.cycle_counted], policy.capacity)
    ]
    views = []
    for kind, locations, skus, abc_class, note in planned:
        count = Count.plan(
            warehouse=warehouse,
            kind=kind,
            # Counting measures record accuracy: counters do not see the book.
            blind=True,
            locations=locations,
            item_skus=skus,
            abc_class=abc_class,
            tolerance=Tolerance(),
            counters=command.counters,
            note=note,
            in_transit_location="",
            acting=acting(),
        )
        await repo.add(count)
        await repo.record_planned(warehouse, day, count.id, skus)
        views.append(await count_view(repo, count))
    return Plan(due, views)


async def add_issue(repo: CountingRepository, warehouse: str, item_sku: str, day: date, quantity: Decimal) -> None:
    """An issue from stock, kept as the value it adds to the item's day at its standard cost."""
    cost = (await repo.costs([item_sku])).get(item_sku)
    if cost is None:
        # Read through before this transaction; valuing it at zero would misrank the item for good.
        raise DomainError(ErrorCode.UNAVAILABLE, f"item {item_sku} is not known here yet", "item_sku")
    await repo.add_issue(warehouse, item_sku, day, value_of(quantity, cost))
