"""Stock commands: one short transaction each, with no remote call inside it.

Items come from the replica, read in the transaction; one it lacks refuses the command
(ItemsNotReplicatedError) until the dispatcher's remedy has read it through from the
catalog. Availability changes through single conditional statements and balances on rows
locked before they are checked, always in key order, so that no two writers can oversell
and none deadlock. Handlers do not commit: the dispatcher (`command_table`) runs each in
a transaction that stores the reply with the effect and commits once.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from invariant_core import identity
from invariant_core.coalesce import Call
from invariant_core.commands import Route
from invariant_core.db import Recorder, utcnow
from invariant_kernel.decimals import parse_decimal
from invariant_kernel.errors import DomainError, ErrorCode, ItemsNotReplicatedError, not_found
from invariant_kernel.limits import CODE, ID, NAME, bounded
from stock.domain import (
    IN_TRANSIT_LOCATION,
    AvailabilityDelta,
    ItemView,
    LocationKind,
    LocationView,
    MovementPlan,
    MovementType,
    Place,
    Reservation,
    StockKey,
    StockStatus,
    WarehouseView,
    availability_deltas,
    commands,
    decimal_text,
    grant,
    normalise_location,
    normalise_warehouse,
    parse_place,
    plan_movement,
    shortage,
    threshold_crossing,
    validate_lot,
)
from stock.domain.counts import difference_by_status, reasons_by_part
from stock.domain.events import (
    CountAdjustmentsPosted,
    MovementPosted,
    NegativeBalanceAttempted,
    ReservationChanged,
    ShortageFound,
    ThresholdCrossed,
)
from stock.domain.reservations import DocumentRef, check_expiry
from stock.service.ports import MovementRecord, StockRepository

# Taking AVAILABLE stock for these must leave what reservations hold; counts and scrap
# are never refused for reservations (they report a shortage instead).
_RESPECTS_RESERVATIONS = frozenset({MovementType.ISSUE, MovementType.TRANSFER})
# The document of a count's adjustments; the ledger holds at most one per count line.
COUNT_DOCUMENT = "COUNT"
# The document of the movements of quality's decisions: the inspection lot, the decision as its line.
INSPECTION_DOCUMENT = "INSPECTION"
# The roles of identity that status changes ask for (an admin may do what a manager may).
ADMIN = "admin"
USE_AS_IS_ROLES = frozenset({"manager", ADMIN})


@dataclass(frozen=True)
class Consumed:
    """What an issue against a reservation took from it; already no longer reserved."""

    reservation_id: str
    key: StockKey
    quantity: Decimal


async def create_warehouse(uow: Recorder, repo: StockRepository, cmd: commands.CreateWarehouse) -> WarehouseView:
    warehouse = normalise_warehouse(cmd.code, "code")
    name = cmd.name.strip()
    if not name:
        raise DomainError(ErrorCode.REQUIRED, "name is required", "name")
    bounded(name, "name", NAME)
    if await repo.warehouses([warehouse]):
        raise DomainError(ErrorCode.ALREADY_EXISTS, f"warehouse {warehouse} already exists", "code")
    view = WarehouseView(warehouse, cmd.allow_negative_stock, IN_TRANSIT_LOCATION)
    await repo.add_warehouse(view, name)
    await repo.add_location(LocationView(warehouse, IN_TRANSIT_LOCATION, LocationKind.IN_TRANSIT))
    return view


async def create_location(uow: Recorder, repo: StockRepository, cmd: commands.CreateLocation) -> LocationView:
    wh = normalise_warehouse(cmd.warehouse)
    if not await repo.warehouses([wh]):
        raise not_found("warehouse", wh, "warehouse")
    if cmd.kind is LocationKind.IN_TRANSIT:
        raise DomainError(ErrorCode.INVALID_STATE, "each warehouse has one in-transit location, made with it", "kind")
    view = LocationView(wh, normalise_location(cmd.code, "code"), cmd.kind)
    if await repo.locations([(view.warehouse, view.code)]):
        raise DomainError(ErrorCode.ALREADY_EXISTS, f"location {wh}/{view.code} already exists", "code")
    await repo.add_location(view)
    return view


async def create_lot(uow: Recorder, repo: StockRepository, cmd: commands.CreateLot) -> tuple[ItemView, str]:
    """The item and the lot's code, as stored."""
    item = (await replicated(repo, {cmd.item_sku: "item_sku"}))[cmd.item_sku.strip().upper()]
    if not item.lot_tracked:
        raise DomainError(ErrorCode.INVALID_STATE, f"item {item.sku} is not lot-tracked", "item_sku")
    code = validate_lot(cmd.lot)
    if not await repo.add_lot(item.sku, code, cmd.expiry):
        raise DomainError(ErrorCode.ALREADY_EXISTS, f"lot {code} of {item.sku} already exists", "lot")
    return item, code


async def replicated(repo: StockRepository, fields: Mapping[str, str]) -> dict[str, ItemView]:
    """The items named (SKU → the request field naming it) from the replica, by normalised
    SKU; those it lacks refuse the command until they are read through (no remote call runs
    in a transaction)."""
    wanted: dict[str, str] = {}
    for sku, field in fields.items():
        code = sku.strip().upper()
        if not code:
            raise DomainError(ErrorCode.REQUIRED, f"{field} is required", field)
        wanted.setdefault(code, field)
    known = await repo.items(wanted)
    missing = [(sku, field) for sku, field in wanted.items() if sku not in known]
    if missing:
        raise ItemsNotReplicatedError(missing)
    return known


async def post_requested(
    uow: Recorder, repo: StockRepository, calls: Sequence[Call[commands.PostMovement]]
) -> list[MovementRecord | Exception]:
    """Several callers' movements in one transaction (the dispatcher's coalescing), each as
    its caller. One for an item the replica lacks is sent back to read it through; when
    any other is refused the transaction writes nothing, and the dispatcher posts each
    alone, so that one refusal never refuses another's movement."""
    known = await repo.items({call.argument.item_sku for call in calls})
    ready = [call for call in calls if call.argument.item_sku in known]
    posted = iter(
        await post_movements(uow, repo, [c.argument for c in ready], known, callers=[c.caller for c in ready])
        if ready
        else ()
    )
    return [
        next(posted)
        if call.argument.item_sku in known
        else ItemsNotReplicatedError([(call.argument.item_sku, call.argument.item_field)])
        for call in calls
    ]


async def post_movements(
    uow: Recorder,
    repo: StockRepository,
    cmds: Sequence[commands.PostMovement],
    items: Mapping[str, ItemView],
    *,
    consumed: Consumed | None = None,
    callers: Sequence[identity.Identity] | None = None,
) -> list[MovementRecord]:
    """Movements posted together: a handful of statements however many there are.

    `items` holds each movement's item; `callers`, who asked for each, when not whoever
    is acting now. Each bucket and each balance changes once, by what all the movements
    do to it, in key order. Balances that would go negative are found on rows locked
    first, so no other writer comes between the check and the write.
    """
    who = callers or [identity.current.get()] * len(cmds)
    places = [p for cmd in cmds for p in (cmd.source, cmd.target) if p is not None]
    warehouses = await repo.warehouses({p.warehouse for p in places})
    locations = await repo.locations({(p.warehouse, p.location) for p in places})
    now = utcnow()
    plans = await _plans(repo, cmds, items, warehouses, locations, now, who)
    for sku, lot in sorted({(plan.item_sku, lot) for plan in plans for lot in plan.new_lots}):
        await repo.add_lot(sku, lot, None)

    records = [
        MovementRecord(
            id=str(uuid.uuid4()),
            sequence=0,
            plan=plan,
            document=cmd.document,
            actor=caller.actor,
            business_time=cmd.business_time or now,
            posted_at=now,
            idempotency_key=cmd.idempotency_key,
            corrects_movement_id=cmd.corrects_movement_id,
            reservation_id=consumed.reservation_id if consumed else "",
            supplier=cmd.supplier,
            supplier_lot=cmd.supplier_lot,
        )
        for cmd, plan, caller in zip(cmds, plans, who, strict=True)
    ]
    balances = _balance_changes(cmds, records)
    changes = await _change_availability(repo, cmds, records, warehouses, locations, balances, guard=consumed is None)
    await _change_balances(repo, balances, warehouses)
    sequences = await repo.insert_movements(records)
    records = [replace(record, sequence=sequence) for record, sequence in zip(records, sequences, strict=True)]
    for record, caller in zip(records, who, strict=True):
        with identity.acting(caller):
            uow.record(*(_posted(fact, record) for fact in _FACTS[record.plan.movement_type]))
    # An issue against a reservation already gave back what it consumed.
    unreserved = {consumed.key: consumed.quantity} if consumed is not None else {}
    await _report_thresholds_and_shortage(
        uow,
        repo,
        {key: (change.available, -unreserved.get(key, Decimal(0)), last) for key, (change, last) in changes.items()},
    )
    return records


async def _plans(
    repo: StockRepository,
    cmds: Sequence[commands.PostMovement],
    items: Mapping[str, ItemView],
    warehouses: Mapping[str, WarehouseView],
    locations: Mapping[tuple[str, str], LocationView],
    now: datetime,
    callers: Sequence[identity.Identity],
) -> list[MovementPlan]:
    """Each movement checked and planned, and allowed to its caller; a lot one of them makes
    is known to those after it."""
    tracked = sorted({c.item_sku for c in cmds if items[c.item_sku].lot_tracked})
    known_lots = {sku: await repo.lots(sku) for sku in tracked}
    plans: list[MovementPlan] = []
    for cmd, caller in zip(cmds, callers, strict=True):
        plan = plan_movement(
            cmd.type,
            items[cmd.item_sku],
            cmd.quantity,
            cmd.unit,
            cmd.source,
            cmd.target,
            locations=locations,
            warehouses=warehouses,
            known_lots=known_lots.get(cmd.item_sku, frozenset()),
            reasons=cmd.reasons,
            reason_code=cmd.reason_code,
            adjustment_reasons=cmd.adjustment_reasons,
            document=cmd.document,
            from_field=cmd.from_field,
            to_field=cmd.to_field,
        )
        _check_authority(cmd, plan, caller)
        _check_supplier(cmd)
        if cmd.corrects_movement_id and not await repo.movement_exists(cmd.corrects_movement_id):
            raise not_found("movement", cmd.corrects_movement_id, "corrects_movement_id")
        if (cmd.business_time or now) > now:
            raise DomainError(ErrorCode.OUT_OF_RANGE, "business_time cannot be in the future", "business_time")
        if plan.new_lots:
            known_lots[cmd.item_sku] = known_lots.get(cmd.item_sku, set()) | plan.new_lots
        plans.append(plan)
    return plans


def _check_authority(cmd: commands.PostMovement, plan: MovementPlan, caller: identity.Identity) -> None:
    """Status changes that depend on who asks. QC_HOLD is released by quality's decisions,
    which stock consumes (`by_inspection`); through the API only by an admin correcting the
    book, with a reason the movement keeps. Use as is needs a manager's approval."""
    if plan.movement_type is not MovementType.STATUS_CHANGE or plan.from_place is None or plan.to_place is None:
        return
    before, after = plan.from_place.status, plan.to_place.status
    if before is StockStatus.QC_HOLD and not cmd.by_inspection:
        if ADMIN not in caller.roles:
            raise DomainError(
                ErrorCode.PERMISSION_DENIED,
                "QC_HOLD stock is released by an inspection decision; by hand only an admin correcting the book may",
                _field(cmd.from_field, "status"),
            )
        if not plan.reason_code:
            raise DomainError(
                ErrorCode.REQUIRED, "an admin releasing QC_HOLD stock by hand gives the reason_code", "reason_code"
            )
    if (before, after) == (StockStatus.REJECTED, StockStatus.AVAILABLE) and not caller.roles & USE_AS_IS_ROLES:
        raise DomainError(
            ErrorCode.PERMISSION_DENIED,
            "rejected stock is used as is only with a manager's approval",
            _field(cmd.to_field, "status"),
        )


def _check_supplier(cmd: commands.PostMovement) -> None:
    """Only goods bought come from a supplier: a receipt's, whose lot a trace may start from."""
    for value, field in ((cmd.supplier, "supplier"), (cmd.supplier_lot, "supplier_lot")):
        if value and cmd.type is not MovementType.RECEIPT:
            raise DomainError(ErrorCode.INVALID_FORMAT, f"{field} is kept on a receipt only, not on {cmd.type}", field)
        bounded(value, field, CODE)
    if cmd.supplier_lot and not cmd.supplier:
        raise DomainError(ErrorCode.REQUIRED, "a supplier's lot number names its supplier", "supplier")


def _field(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


# What a posting tells besides "movement"; issues have their own subject, so that a
# consumer of issues alone (counting's ABC) reads no others.
_FACTS = {
    **{kind: ("movement",) for kind in MovementType},
    MovementType.RECEIPT: ("movement", "receipt"),
    MovementType.RETURN: ("movement", "receipt"),
    MovementType.ADJUSTMENT: ("movement", "adjustment"),
    MovementType.ISSUE: ("movement", "issue"),
}


async def _change_availability(
    repo: StockRepository,
    cmds: Sequence[commands.PostMovement],
    records: Sequence[MovementRecord],
    warehouses: Mapping[str, WarehouseView],
    locations: Mapping[tuple[str, str], LocationView],
    balances: _BalanceChanges,
    *,
    guard: bool,
) -> dict[StockKey, tuple[AvailabilityDelta, str]]:
    """Each (item, warehouse) bucket changed by the sum of the movements; each key's change and last movement.

    Keys that take AVAILABLE stock for an issue or a transfer keep what reservations hold.
    When there are such keys, every key the movements change is locked first, in key order,
    and what each can still promise is read under the lock; then all change in one
    statement. A key that cannot give what is asked has its balances checked first: less on
    hand than asked is a balance going below zero, not stock that reservations hold.
    """
    changes: dict[StockKey, tuple[AvailabilityDelta, str]] = {}
    guarded: set[StockKey] = set()
    for cmd, record in zip(cmds, records, strict=True):
        for key, change in availability_deltas(record.plan, locations).items():
            changes[key] = (changes.get(key, (AvailabilityDelta(), ""))[0] + change, record.id)
            if (
                guard
                and change.available < 0
                and cmd.type in _RESPECTS_RESERVATIONS
                and not warehouses[key.warehouse].allow_negative_stock
            ):
                guarded.add(key)
    changes = {key: found for key, found in changes.items() if not found[0].is_zero()}
    taking = sorted(key for key in guarded if key in changes and changes[key][0].available < 0)
    if taking:
        held = await repo.lock_to_promise(sorted(changes))
        for key in taking:
            asked = -changes[key][0].available
            free = held[key].to_promise if key in held else Decimal(0)
            if free < asked:
                await _check_balances(repo, balances, warehouses, within=key)
                raise DomainError(
                    ErrorCode.INSUFFICIENT_STOCK,
                    f"item {key.item_sku} in warehouse {key.warehouse}: {decimal_text(free)} available to promise, "
                    f"{decimal_text(asked)} asked",
                    "quantity",
                )
    await repo.add_availability({key: change for key, (change, _) in changes.items()})
    return changes


class NegativeBalanceError(DomainError):
    """A movement would take a balance below zero where the warehouse allows no negative stock.

    Refused like any shortfall; the API also reports the attempt, since the book is then
    probably wrong there (`report_negative_balance_attempt`).
    """

    def __init__(
        self,
        item_sku: str,
        place: Place,
        asked: Decimal,
        on_hand: Decimal,
        movement_type: MovementType,
        document: DocumentRef,
        field: str,
    ) -> None:
        super().__init__(
            ErrorCode.INSUFFICIENT_STOCK, f"item {item_sku} has less than {decimal_text(asked)} at {place}", field
        )
        self.item_sku = item_sku
        self.place = place
        # What the movements would have taken from the balance, and what it held.
        self.asked = asked
        self.on_hand = on_hand
        self.movement_type = movement_type
        self.document = document


@dataclass(frozen=True)
class _BalanceChanges:
    """What movements posted together do to each balance, and to its business day's net change."""

    net: dict[tuple[str, Place], Decimal]
    days: dict[tuple[str, Place, date], Decimal]
    # The movement a refusal names: the last one taking from the balance, the one that
    # asked for more than was left.
    takers: dict[tuple[str, Place], commands.PostMovement]


def _balance_changes(cmds: Sequence[commands.PostMovement], records: Sequence[MovementRecord]) -> _BalanceChanges:
    found = _BalanceChanges({}, {}, {})
    for cmd, record in zip(cmds, records, strict=True):
        for place, delta in record.plan.deltas:
            key = (record.plan.item_sku, place)
            found.net[key] = found.net.get(key, Decimal(0)) + delta
            if delta < 0:
                found.takers[key] = cmd
            day = (record.plan.item_sku, place, record.business_time.date())
            found.days[day] = found.days.get(day, Decimal(0)) + delta
    return found


async def _change_balances(
    repo: StockRepository, balances: _BalanceChanges, warehouses: Mapping[str, WarehouseView]
) -> None:
    """Each balance changed by the sum of the movements, and its business day's net change with it."""
    await _check_balances(repo, balances, warehouses)
    await repo.add_balances(balances.net, _negative_allowed(warehouses), balances.days)


async def _check_balances(
    repo: StockRepository,
    balances: _BalanceChanges,
    warehouses: Mapping[str, WarehouseView],
    *,
    within: StockKey | None = None,
) -> None:
    """Lock the balances the movements change (only those of `within`, when given) and refuse
    the movements if one would go below zero where that is not allowed."""
    changes = {
        key: delta
        for key, delta in balances.net.items()
        if within is None or StockKey(key[0], key[1].warehouse) == within
    }
    negative_allowed = _negative_allowed(warehouses)
    # Every row is locked up front, in key order: a transaction that takes from one balance
    # and adds to another must not hold the first while it waits for the second. Balances
    # are locked after availability, on a refusal as on a posting, so the order holds too.
    held = await repo.lock_balances(changes)
    taking = [key for key, delta in changes.items() if delta < 0 and key[1].warehouse not in negative_allowed]
    for sku, place in sorted(taking, key=lambda key: _place_key(key[1])):
        on_hand = held.get((sku, place), Decimal(0))
        if on_hand + changes[(sku, place)] < 0:
            taker = balances.takers[(sku, place)]
            raise NegativeBalanceError(
                sku, place, -changes[(sku, place)], on_hand, taker.type, taker.document, taker.quantity_field
            )


def _negative_allowed(warehouses: Mapping[str, WarehouseView]) -> set[str]:
    return {code for code, warehouse in warehouses.items() if warehouse.allow_negative_stock}


def report_negative_balance_attempt(uow: Recorder, refused: Exception) -> bool:
    """A movement someone asked for, refused because it would take a balance below zero: the
    attempt is a fact, recorded in a transaction of its own (the refused command wrote
    nothing), since the book there is probably wrong and the item worth counting. Count
    adjustments do not come this way: a count's own loss is no attempt."""
    if not isinstance(refused, NegativeBalanceError):
        return False
    uow.record(
        NegativeBalanceAttempted(
            refused.item_sku, refused.place, refused.asked, refused.on_hand, refused.movement_type, refused.document
        )
    )
    return True


async def post_count_adjustments(
    uow: Recorder,
    repo: StockRepository,
    cmd: commands.PostCountAdjustments,
    items: Mapping[str, ItemView] | None = None,
) -> list[MovementRecord]:
    """A count's gains and losses, all together, each line posted at most once in each status
    (keyed by its document and the status): a line's difference may fall in several.
    `items`: the lines' items, where the caller has them already."""
    count = cmd.count_id.strip()
    lines = cmd.lines
    if not count:
        raise DomainError(ErrorCode.REQUIRED, "count_id is required", "count_id")
    if not lines:
        raise DomainError(ErrorCode.REQUIRED, "lines must hold at least one adjustment", "lines")
    seen: set[tuple[str, StockStatus]] = set()
    for index, line in enumerate(lines):
        field = f"lines[{index}].line"
        if not line.line.strip():
            raise DomainError(ErrorCode.REQUIRED, f"{field} is required", field)
        if (line.line.strip(), line.place.status) in seen:
            raise DomainError(
                ErrorCode.ALREADY_EXISTS,
                f"{field}: line {line.line.strip()} is given twice in {line.place.status}",
                field,
            )
        seen.add((line.line.strip(), line.place.status))
    if items is None:
        items = await replicated(repo, {line.item_sku: f"lines[{i}].item_sku" for i, line in enumerate(lines)})
    earlier = await repo.document_movements(COUNT_DOCUMENT, count, {line for line, _ in seen})
    posted: dict[int, MovementRecord] = {}
    adjustments: dict[int, commands.PostMovement] = {}
    for index, line in enumerate(lines):
        field = f"lines[{index}]"
        text = line.variance.strip()
        loss = text.startswith("-")
        size = text.removeprefix("-").removeprefix("+")
        item = items[line.item_sku]
        base = item.to_base(size, line.unit, f"{field}.variance", f"{field}.unit")
        document = DocumentRef(COUNT_DOCUMENT, count, line.line.strip())
        source, target = (line.place, None) if loss else (None, line.place)
        found = earlier.get((document.line, line.place.status))
        if found is None:
            adjustments[index] = commands.PostMovement(
                type=MovementType.ADJUSTMENT,
                item_sku=item.sku,
                quantity=size,
                unit=line.unit,
                source=source,
                target=target,
                document=document,
                idempotency_key=f"{COUNT_DOCUMENT}:{count}:{document.line}:{line.place.status}",
                reasons=line.reasons,
                business_time=line.business_time,
                adjustment_reasons=[code.strip().upper() for code, _ in line.reasons],
                item_field=f"{field}.item_sku",
                from_field=f"{field}.place",
                to_field=f"{field}.place",
                quantity_field=f"{field}.variance",
            )
            continue
        plan = found.plan
        if (plan.item_sku, plan.quantity_base, plan.from_place, plan.to_place) != (item.sku, base, source, target):
            raise DomainError(
                ErrorCode.IDEMPOTENCY_KEY_REUSED,
                f"count {count} line {document.line} was already posted in {line.place.status} with another adjustment",
                field,
            )
        posted[index] = found
    if adjustments:
        posted |= zip(adjustments, await post_movements(uow, repo, list(adjustments.values()), items), strict=True)
    return [posted[index] for index in range(len(lines))]


async def post_inspection_decision(
    uow: Recorder, repo: StockRepository, cmd: commands.PostInspectionDecision
) -> list[MovementRecord]:
    """Quality's decision moves what it names out of QC_HOLD: the accepted part becomes
    AVAILABLE where it is held, the rejected part REJECTED in the warehouse's first
    QUARANTINE location by code. A warehouse with none keeps the rejected where they were
    held: REJECTED is never available there either, and stock may not invent a location.

    Each movement's document is INSPECTION, the inspection lot, with the decision as its
    line: the ledger holds a decision's movements once, however often it is delivered (what
    it posts now is returned: nothing when it was posted before). A decision naming more
    than is on hold at the place is refused and moves nothing.
    """
    decision = bounded(cmd.decision_id.strip(), "decision_id", CODE)
    inspection_lot = bounded(cmd.inspection_lot_id.strip(), "inspection_lot_id", ID)
    for value, field in ((decision, "decision_id"), (inspection_lot, "inspection_lot_id")):
        if not value:
            raise DomainError(ErrorCode.REQUIRED, f"{field} is required", field)
    held = cmd.held
    if held.status is not StockStatus.QC_HOLD:
        raise DomainError(
            ErrorCode.INVALID_STATE, f"a decision releases QC_HOLD stock, not {held.status}", "place.status"
        )
    document = DocumentRef(INSPECTION_DOCUMENT, inspection_lot, decision)
    earlier = await repo.document_movements(INSPECTION_DOCUMENT, inspection_lot, {decision})
    if earlier:
        return []
    items = await replicated(repo, {cmd.item_sku: "item_sku"})
    item = items[cmd.item_sku.strip().upper()]
    accepted = item.to_base(cmd.accepted, "", "accepted", zero_allowed=True)
    rejected = item.to_base(cmd.rejected, "", "rejected", zero_allowed=True)
    if not accepted + rejected:
        raise DomainError(ErrorCode.REQUIRED, "a decision accepts or rejects something", "accepted")
    # Read unlocked: the posting checks the balance again under its lock (balances are
    # locked after availability, never before).
    book = await repo.statuses_at(held.warehouse, {(item.sku, held.location, held.lot)})
    on_hold = book.get((item.sku, held.location, held.lot), {}).get(StockStatus.QC_HOLD, Decimal(0))
    if accepted + rejected > on_hold:
        raise DomainError(
            ErrorCode.INSUFFICIENT_STOCK,
            f"decision {decision} names {decimal_text(accepted + rejected)} {item.base_unit} of {item.sku}, but "
            f"{decimal_text(on_hold)} is on hold at {held}",
            "accepted",
        )
    quarantine = await repo.first_location_of_kind(held.warehouse, LocationKind.QUARANTINE)
    targets = (
        (replace(held, status=StockStatus.AVAILABLE), accepted, "accepted"),
        (replace(held, location=quarantine or held.location, status=StockStatus.REJECTED), rejected, "rejected"),
    )
    moves = [
        commands.PostMovement(
            type=MovementType.STATUS_CHANGE,
            item_sku=item.sku,
            quantity=decimal_text(quantity),
            unit="",
            source=held,
            target=target,
            document=document,
            idempotency_key=f"{INSPECTION_DOCUMENT}:{decision}:{target.status}",
            by_inspection=True,
            item_field="item_sku",
            from_field="place",
            to_field="place",
            quantity_field=field,
        )
        for target, quantity, field in targets
        if quantity
    ]
    return await post_movements(uow, repo, moves, items)


@dataclass(frozen=True)
class ApprovedCountLine:
    line_id: str
    item_sku: str
    location: str
    lot: str
    # counted - book, signed, in the item's base unit.
    variance: str
    reasons: Sequence[tuple[str, str]]
    counted_at: datetime | None


async def post_approved_count(
    uow: Recorder,
    repo: StockRepository,
    *,
    count_id: str,
    warehouse: str,
    part: int,
    lines: Sequence[ApprovedCountLine],
) -> None:
    """One part of an approved count; what was posted is confirmed line by line.

    A line is a place in every status (stock.domain.counts): its difference is split over the
    statuses by their balances, read without a lock (balances are locked after availability,
    which the posting does). Held stock that moved between that read and the posting makes
    the part wait and be split again. Items come from the replica only: no remote call
    inside the transaction. A missing one refuses the part, and the event is delivered
    again later.
    """
    known = await replicated(repo, {line.item_sku: f"lines[{i}].item_sku" for i, line in enumerate(lines)})
    # A line posted before (this part delivered again) stands as it was split then: the
    # balances it was split by have moved since.
    earlier: dict[str, list[MovementRecord]] = {}
    for (line_id, _), record in (
        await repo.document_movements(COUNT_DOCUMENT, count_id.strip(), {line.line_id for line in lines})
    ).items():
        earlier.setdefault(line_id, []).append(record)
    fresh = [(index, line) for index, line in enumerate(lines) if line.line_id not in earlier]
    places = {
        index: (
            line.item_sku.strip().upper(),
            parse_place(warehouse, line.location, line.lot, "AVAILABLE", f"lines[{index}]"),
        )
        for index, line in fresh
    }
    book = await repo.statuses_at(warehouse, {(sku, place.location, place.lot) for sku, place in places.values()})
    adjustments = []
    for index, line in fresh:
        sku, place = places[index]
        variance = parse_decimal(line.variance, f"lines[{index}].variance", places=None)
        parts = difference_by_status(variance, book.get((sku, place.location, place.lot), {}))
        reasons = [
            (code, parse_decimal(quantity, f"lines[{index}].reasons[{n}].quantity", places=None))
            for n, (code, quantity) in enumerate(line.reasons)
        ]
        for (status, share), shared in zip(parts, reasons_by_part(reasons, [p for _, p in parts]), strict=True):
            adjustments.append(
                commands.CountAdjustment(
                    line=line.line_id,
                    item_sku=sku,
                    place=replace(place, status=status),
                    variance=decimal_text(share),
                    unit="",
                    reasons=[(code, decimal_text(given)) for code, given in shared],
                    business_time=line.counted_at,
                )
            )
    try:
        new = (
            await post_count_adjustments(uow, repo, commands.PostCountAdjustments(count_id, adjustments), known)
            if adjustments
            else []
        )
    except NegativeBalanceError as refused:
        if refused.place.status is StockStatus.AVAILABLE:
            raise
        raise DomainError(
            ErrorCode.UNAVAILABLE,
            f"{refused.place.status} stock of {refused.item_sku} moved while count {count_id.strip()} was posted; "
            "it is split again",
            refused.field,
        ) from refused
    for record in new:
        earlier.setdefault(record.document.line, []).append(record)
    # A line without difference posts nothing.
    posted = [record for line in lines for record in sorted(earlier.get(line.line_id, []), key=lambda r: r.sequence)]
    uow.record(CountAdjustmentsPosted(count_id.strip(), part, tuple((m.document.line, m.id) for m in posted)))


async def _report_thresholds_and_shortage(
    uow: Recorder, repo: StockRepository, changes: Mapping[StockKey, tuple[Decimal, Decimal, str]]
) -> None:
    """Threshold crossings and new or deeper shortages, from how AVAILABLE and reserved just changed
    on each key (and the movement that changed it last, if one did)."""
    # Read after the updates, which hold the rows: "before" is derived from them, so a
    # concurrent writer cannot make the two disagree.
    found = await repo.availability_of(changes)
    limits = await repo.thresholds_of(changes)
    for key, (available_change, reserved_change, movement_id) in sorted(changes.items()):
        after = found.get(key)
        if after is None:
            continue
        safety, maximum = limits.get(key, (None, None))
        before = after.to_promise - (available_change - reserved_change)
        _record_crossings(uow, key, before, after.to_promise, safety, maximum)
        short_by = shortage(after.available, after.reserved)
        if short_by > shortage(after.available - available_change, after.reserved - reserved_change):
            held = await repo.open_reservations(key)
            uow.record(
                ShortageFound(
                    key.item_sku,
                    key.warehouse,
                    after.available,
                    after.reserved,
                    short_by,
                    tuple(r.id for r in held),
                    movement_id,
                )
            )


def _record_crossings(
    uow: Recorder, key: StockKey, before: Decimal, after: Decimal, safety: Decimal | None, maximum: Decimal | None
) -> None:
    for crossing in threshold_crossing(before, after, safety, maximum):
        uow.record(ThresholdCrossed(key.item_sku, key.warehouse, str(crossing.kind), crossing.level, after))


def _posted(fact: str, record: MovementRecord) -> MovementPosted:
    plan = record.plan
    return MovementPosted(
        fact=fact,
        movement_id=record.id,
        sequence=record.sequence,
        type=plan.movement_type,
        item_sku=plan.item_sku,
        quantity=plan.quantity_base,
        from_place=plan.from_place,
        to_place=plan.to_place,
        document=record.document,
        reason_code=plan.reason_code,
        reasons=tuple(plan.reasons),
        business_time=record.business_time,
        reservation_id=record.reservation_id,
        supplier=record.supplier,
        supplier_lot=record.supplier_lot,
    )


def _place_key(place: Place) -> tuple[str, str, str, str]:
    return (place.warehouse, place.location, place.lot, str(place.status))


async def reserve_together(
    uow: Recorder, repo: StockRepository, calls: Sequence[Call[commands.Reserve]]
) -> list[list[Reservation] | DomainError]:
    """Reservations for several callers in one transaction, granted in arrival order.

    Each request is checked and refused on its own, and nothing is written for a refused
    one. The (item, warehouse) rows of the whole batch are locked in key order before
    they are read for granting (DESIGN §3.2), so a grant is never based on a stale read
    and no two writers deadlock.
    """
    known = await repo.items({line.item_sku.strip().upper() for call in calls for line in call.argument.lines})
    now = utcnow()
    asked: list[list[tuple[StockKey, Decimal]] | DomainError] = []
    for call in calls:
        try:
            check_expiry(call.argument.expires_at, now)
            asked.append(_requested(call.argument, known))
        except DomainError as refused:
            asked.append(refused)
    found = await repo.lock_to_promise(sorted({key for lines in _valid(asked) for key, _ in lines}))
    # Stock is only ever booked in a warehouse there is, which is never removed: only the
    # warehouses of keys that hold no stock yet are looked up.
    unbooked = {key.warehouse for lines in _valid(asked) for key, _ in lines if key not in found}
    warehouses = await repo.warehouses(unbooked) if unbooked else {}
    for index, lines in enumerate(asked):
        if isinstance(lines, DomainError):
            continue
        unknown = [
            (i, key.warehouse)
            for i, (key, _) in enumerate(lines)
            if key not in found and key.warehouse not in warehouses
        ]
        if unknown:
            line, code = unknown[0]
            asked[index] = not_found("warehouse", code, f"lines[{line}].warehouse")
    free = {key: row.to_promise for key, row in found.items()}
    totals: dict[StockKey, Decimal] = {}
    outcomes: list[list[Reservation] | DomainError] = []
    made: list[Reservation] = []
    for call, lines in zip(calls, asked, strict=True):
        if isinstance(lines, DomainError):
            outcomes.append(lines)
            continue
        request = call.argument
        try:
            granted = grant(request.policy, lines, {key: free.get(key, Decimal(0)) for key, _ in lines})
        except DomainError as refused:
            outcomes.append(refused)
            continue
        theirs = []
        with identity.acting(call.caller):
            for (key, quantity), given in zip(lines, granted, strict=True):
                before = free.get(key, Decimal(0))
                free[key] = before - given
                limits = found.get(key)
                if limits is not None:
                    _record_crossings(uow, key, before, free[key], limits.safety, limits.maximum)
                totals[key] = totals.get(key, Decimal(0)) + given
                reservation = Reservation.create(
                    str(uuid.uuid4()),
                    key.item_sku,
                    key.warehouse,
                    quantity,
                    given,
                    request.owner,
                    request.expires_at,
                    now,
                )
                theirs.append(reservation)
                if given > 0:
                    uow.record(_changed("created", reservation, given))
        outcomes.append(theirs)
        made.extend(theirs)
    await repo.add_reserved({key: total for key, total in totals.items() if total > 0})
    await repo.add_reservations(made)
    return outcomes


def _requested(request: commands.Reserve, known: Mapping[str, ItemView]) -> list[tuple[StockKey, Decimal]]:
    if not request.lines:
        raise DomainError(ErrorCode.REQUIRED, "lines must name at least one item", "lines")
    missing = [
        (line.item_sku.strip().upper(), f"lines[{i}].item_sku")
        for i, line in enumerate(request.lines)
        if line.item_sku.strip().upper() not in known
    ]
    for sku, field in missing:
        if not sku:
            raise DomainError(ErrorCode.REQUIRED, f"{field} is required", field)
    if missing:
        raise ItemsNotReplicatedError(missing)
    lines = []
    for index, line in enumerate(request.lines):
        item = known[line.item_sku.strip().upper()]
        warehouse = normalise_warehouse(line.warehouse, f"lines[{index}].warehouse")
        quantity = item.to_base(line.quantity, line.unit, f"lines[{index}].quantity", f"lines[{index}].unit")
        lines.append((StockKey(item.sku, warehouse), quantity))
    return lines


def _valid(asked: Sequence[list[tuple[StockKey, Decimal]] | DomainError]) -> list[list[tuple[StockKey, Decimal]]]:
    return [lines for lines in asked if not isinstance(lines, DomainError)]


async def release(uow: Recorder, repo: StockRepository, cmd: commands.Release) -> Reservation:
    reservation = await _reservation(repo, cmd.reservation_id)
    quantity = None
    if cmd.quantity is not None:
        item = (await replicated(repo, {reservation.item_sku: "reservation_id"}))[reservation.item_sku]
        quantity = item.to_base(cmd.quantity, "")
    await _give_back(uow, repo, reservation, "released", reservation.release(quantity))
    return reservation


async def issue_reservation(uow: Recorder, repo: StockRepository, cmd: commands.IssueReservation) -> MovementRecord:
    reservation = await _reservation(repo, cmd.reservation_id)
    items = await replicated(repo, {reservation.item_sku: "reservation_id"})
    item = items[reservation.item_sku]
    taken = reservation.consume(item.to_base(cmd.quantity, cmd.unit))
    key = StockKey(reservation.item_sku, reservation.warehouse)
    await repo.unreserve(key, taken)
    await repo.save_reservation(reservation)
    source = Place(reservation.warehouse, normalise_location(cmd.location), cmd.lot.strip(), StockStatus.AVAILABLE)
    movement = commands.PostMovement(
        type=MovementType.ISSUE,
        item_sku=item.sku,
        quantity=str(taken),
        unit="",
        source=source,
        target=None,
        document=cmd.document if cmd.document.id else reservation.owner,
        idempotency_key=cmd.idempotency_key,
        business_time=cmd.business_time,
        from_field="",
    )
    (posted,) = await post_movements(uow, repo, [movement], items, consumed=Consumed(reservation.id, key, taken))
    return posted


async def expire_reservations(uow: Recorder, repo: StockRepository, *, now: datetime, limit: int = 500) -> int:
    expired = await repo.expired_reservations(now, limit)
    for reservation in expired:
        await _give_back(uow, repo, reservation, "expired", reservation.expire(now))
    return len(expired)


async def _give_back(
    uow: Recorder, repo: StockRepository, reservation: Reservation, fact: str, quantity: Decimal
) -> None:
    """What a reservation no longer holds becomes promisable again."""
    key = StockKey(reservation.item_sku, reservation.warehouse)
    await repo.unreserve(key, quantity)
    await repo.save_reservation(reservation)
    uow.record(_changed(fact, reservation, quantity))
    await _report_thresholds_and_shortage(uow, repo, {key: (Decimal(0), -quantity, "")})


async def _reservation(repo: StockRepository, reservation_id: str) -> Reservation:
    found = await repo.reservation(reservation_id, lock=True)
    if found is None:
        raise not_found("reservation", reservation_id, "reservation_id")
    return found


def _changed(fact: str, reservation: Reservation, quantity: Decimal) -> ReservationChanged:
    return ReservationChanged(
        fact, reservation.id, reservation.item_sku, reservation.warehouse, quantity, reservation.open, reservation.owner
    )


def command_table(read_through: Callable[[Exception], Awaitable[bool]]) -> dict[type, Route[StockRepository]]:
    """Stock's commands, each run by the dispatcher in a transaction of its own (reservations
    and movements coalesced); `read_through` fetches items the replica lacks from the catalog."""
    return {
        commands.CreateWarehouse: Route(create_warehouse),
        commands.CreateLocation: Route(create_location),
        commands.CreateLot: Route(create_lot, remedy=read_through),
        commands.PostMovement: Route(
            post_requested, together=True, remedy=read_through, refused=report_negative_balance_attempt
        ),
        commands.PostCountAdjustments: Route(post_count_adjustments, keyed=False, remedy=read_through),
        commands.Reserve: Route(reserve_together, together=True, remedy=read_through),
        commands.Release: Route(release, remedy=read_through),
        commands.IssueReservation: Route(
            issue_reservation, remedy=read_through, refused=report_negative_balance_attempt
        ),
    }
