"""The counting service's commands on counts, each run in one transaction by the dispatcher
(`counting.service.commands`): the count is loaded, decides, and what changed is written in
bulk. What a command needs from stock is read before its transaction opens (`site`,
`book`), and items the replica lacks are read through from the catalog after a refusal
(`read_through`). Handlers never commit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from counting.domain import commands, entries
from counting.domain.counts import BookBalance, Count, Tolerance
from counting.domain.entries import Accepted, CountedEntry, Lookup
from counting.domain.lines import Key, Line, LineState, RoundRecord
from counting.domain.policies import ApprovalLimits, ReasonCode
from counting.service.ports import CountsRepository, Hold, Reading, StockBooks, Warehouse
from counting.service.queries import FIRST, CountView, LineView, acting, count_view, line_view, load
from invariant_core.db import Recorder, utcnow
from invariant_kernel.codes import normalise_warehouse
from invariant_kernel.errors import DomainError, ErrorCode, ItemsNotReplicatedError, quoted

MAX_EXPLAINED_LINES = 5000


@dataclass(frozen=True)
class Sited:
    """A count to create, with its warehouse as stock knows it."""

    command: commands.CreateCount
    warehouse: Warehouse


async def site(stock: StockBooks, command: commands.CreateCount) -> Sited:
    """CreateCount's warehouse, asked of stock before the transaction."""
    code = normalise_warehouse(command.warehouse)
    found = await stock.warehouse(code)
    if found is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"warehouse {quoted(code)} does not exist", "warehouse")
    return Sited(command, found)


async def create_count(uow: Recorder, repo: CountsRepository, sited: Sited) -> CountView:
    command = sited.command
    count = Count.plan(
        warehouse=sited.warehouse.code,
        kind=command.kind,
        blind=command.blind,
        locations=command.locations,
        item_skus=command.item_skus,
        abc_class=command.abc_class,
        tolerance=Tolerance.parse(*command.tolerance),
        counters=command.counters,
        note=command.note,
        in_transit_location=sited.warehouse.in_transit_location,
        acting=acting(),
    )
    await repo.add(count)
    return await count_view(repo, count)


@dataclass(frozen=True)
class Booked:
    """A count to open, with stock's book of its scope as it was at `opened_at`."""

    command: commands.OpenCount
    balances: Sequence[BookBalance]
    opened_at: datetime


async def book(reading: Reading, stock: StockBooks, command: commands.OpenCount) -> Booked:
    """OpenCount's book, read from stock before the transaction, so that no remote call holds locks."""
    async with reading() as repo:
        count = await load(repo, command.count_id)
    count.check_opens()
    opened_at = utcnow()
    return Booked(command, await stock.balances(count.warehouse, count.locations, count.item_skus), opened_at)


async def open_count(uow: Recorder, repo: CountsRepository, booked: Booked) -> CountView:
    count = await load(repo, booked.command.count_id, Hold.ALONE)
    await repo.add_lines(count.open(booked.balances, booked.opened_at, acting()))
    await repo.save(count)
    return await count_view(repo, count)


async def submit_entries(uow: Recorder, repo: CountsRepository, command: commands.SubmitEntries) -> list[Accepted]:
    """All entries are taken or none; an entry seen before is answered as it was."""
    given = entries.checked(command.entries)
    count = await load(repo, command.count_id, Hold.ENTRIES)
    count.check_takes_entries()
    lines = await repo.lines_by_id(count.id, {e.line_id for e in given if e.line_id})
    counted = await _counted(repo, lines, given)
    places = {(e.item_sku, e.location, e.lot) for e in counted if not e.line_id}
    at_places = await repo.lines_by_key(count.id, places)
    next_number = 0
    if places - at_places.keys():
        # Stock the book did not know needs new lines: once this transaction alone may make
        # them, the places are read again, for another upload may have made them meanwhile.
        next_number = await repo.next_number(count.id)
        at_places |= await repo.lines_by_key(count.id, places - at_places.keys())
    # Only recounts ask who counted before, so only their lines are read.
    recounted = [line.id for line in (*lines.values(), *at_places.values()) if line.round > 1]
    counted_before = await repo.counters_by_line_round(count.id, recounted) if recounted else {}
    known = await repo.known_entries([e.entry_id for e in counted])
    taken = count.take_entries(counted, Lookup(known, lines, at_places, counted_before, next_number), acting())
    await repo.add_lines(taken.lines)
    await repo.add_entries(taken.entries)
    await repo.set_state(taken.counted, LineState.COUNTED)
    await repo.save(count)
    return taken.answers


async def _counted(
    repo: CountsRepository, lines: Mapping[str, Line], given: Sequence[commands.GivenEntry]
) -> list[CountedEntry]:
    """Each entry at its place, its item read from the replica and its quantity in the base unit."""
    skus = await repo.skus_of_barcodes({e.barcode for e in given if not e.line_id and e.barcode})
    placed: list[tuple[commands.GivenEntry, str, Key]] = []
    barcodes: list[tuple[str, str]] = []
    for index, entry in enumerate(given):
        at = f"entries[{index}]"
        if entry.line_id:
            line = lines.get(entry.line_id)
            if line is None:
                raise DomainError(ErrorCode.NOT_FOUND, f"line {entry.line_id!r} is not on this count", f"{at}.line_id")
            placed.append((entry, at, (line.item_sku, line.location, line.lot)))
        elif entry.barcode and entry.barcode not in skus:
            barcodes.append((entry.barcode, f"{at}.barcode"))
        else:
            sku = skus[entry.barcode] if entry.barcode else entry.item_sku
            placed.append((entry, at, (sku, entry.location, entry.lot)))
    items = await repo.item_views({sku for _, _, (sku, _, _) in placed})
    # The first entry naming a missing item names it in the refusal.
    missing = {sku: f"{at}.item_sku" for _, at, (sku, _, _) in reversed(placed) if sku not in items}
    if barcodes or missing:
        raise ItemsNotReplicatedError(list(missing.items()), barcodes)
    now = utcnow()
    return [entries.counted(entry, place, items[place[0]], at, now) for entry, at, place in placed]


async def decide_line(uow: Recorder, repo: CountsRepository, command: commands.DecideLine) -> LineView:
    count = await load(repo, command.count_id, Hold.ALONE)
    line = await repo.line(count.id, command.line_id)
    rounds: list[RoundRecord] = []
    cost = Decimal(0)
    if line is not None:
        rounds = (await repo.rounds([line.id])).get(line.id, [])
        cost = (await repo.costs([line.item_sku])).get(line.item_sku, cost)
    standing = count.decide(line, command.line_id, rounds, command.round, cost, command.comment, acting())
    await repo.stand(command.line_id, standing)
    count.settle(await repo.line_summary(count.id), acting())
    await repo.save(count)
    return await line_view(repo, count, command.line_id)


async def explain_lines(uow: Recorder, repo: CountsRepository, command: commands.ExplainLines) -> int:
    """Every line is explained or none: a refusal names the first bad line, and nothing is written."""
    _, explained = await _explain(repo, command)
    return explained


async def explain_line(uow: Recorder, repo: CountsRepository, command: commands.ExplainLine) -> LineView:
    try:
        count, _ = await _explain(repo, commands.ExplainLines(command.count_id, [(command.line_id, command.reasons)]))
    except DomainError as error:
        # ExplainLine gives its one line flat: its fields have no `lines[0].` before them.
        error.field = error.field.removeprefix("lines[0].")
        raise
    return await line_view(repo, count, command.line_id)


async def _explain(repo: CountsRepository, command: commands.ExplainLines) -> tuple[Count, int]:
    entries.check_batch(command.lines, "lines", MAX_EXPLAINED_LINES)
    count = await load(repo, command.count_id, Hold.ALONE)
    found = await repo.lines_by_id(count.id, {line_id for line_id, _ in command.lines})
    active = frozenset(code.code for code in await repo.reason_codes())
    explained = count.explain(command.lines, found, active)
    await repo.replace_reasons(explained)
    return count, len(explained)


async def submit_for_approval(uow: Recorder, repo: CountsRepository, command: commands.SubmitForApproval) -> CountView:
    count = await load(repo, command.count_id, Hold.ALONE)
    uow.track(count)
    count.submit(
        await repo.unexplained(count.id),
        await repo.variance_totals(count.id),
        await repo.approval_limits(count.warehouse),
        acting(),
    )
    await repo.save(count)
    return await count_view(repo, count)


async def approve(uow: Recorder, repo: CountsRepository, command: commands.Approve) -> CountView:
    count = await load(repo, command.count_id, Hold.ALONE)
    uow.track(count)
    who = acting()
    if count.approve(command.level, await repo.counted_in(count.id, who.actor), command.comment, who):
        count.send(await repo.approved_lines(count.id))
    await repo.save(count)
    return await count_view(repo, count)


async def reject(uow: Recorder, repo: CountsRepository, command: commands.Reject) -> CountView:
    count = await load(repo, command.count_id, Hold.ALONE)
    count.reject(command.level, command.comment, acting())
    await repo.save(count)
    return await count_view(repo, count)


async def cancel(uow: Recorder, repo: CountsRepository, command: commands.CancelCount) -> CountView:
    count = await load(repo, command.count_id, Hold.ALONE)
    count.cancel(command.reason, acting())
    await repo.save(count)
    return await count_view(repo, count)


async def confirm_posted(uow: Recorder, repo: CountsRepository, count_id: str, posted: Mapping[str, str]) -> None:
    """Stock posted these lines (line id → movement id); the count is posted with its last."""
    count = await repo.get(count_id, Hold.ALONE)
    if count is None or not count.awaits_stock():
        return  # a redelivered confirmation of a count already posted
    uow.track(count)
    await repo.mark_posted(posted)
    if await repo.list_lines(count.id, [LineState.FINAL], True, FIRST):
        return  # lines still with stock
    count.posted(await repo.variance_totals(count.id), acting())
    await repo.save(count)


async def set_approval_policy(
    uow: Recorder, repo: CountsRepository, command: commands.SetApprovalPolicy
) -> tuple[str, ApprovalLimits]:
    warehouse = normalise_warehouse(command.warehouse, "policy.warehouse")
    limits = ApprovalLimits.parse(command.supervisor_limit, command.finance_limit)
    await repo.save_approval_limits(warehouse, limits)
    return warehouse, limits


async def set_reason_code(uow: Recorder, repo: CountsRepository, command: commands.SetReasonCode) -> ReasonCode:
    code = ReasonCode.parse(command.code, command.name, command.active)
    await repo.save_reason_code(code)
    return code
