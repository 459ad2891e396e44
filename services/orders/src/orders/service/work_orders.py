"""Work-order commands and queries. What a command needs of the catalog and stock (the BOM's
explosion, reservations, movements) is asked in its `prepare_*`, outside the transaction,
under stock keys derived from the order (and the request, for repeatable steps), so that a
retried command moves stock once; the handler then records it in one transaction."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from invariant_core import identity
from invariant_core.db import Recorder, utcnow
from invariant_core.paging import at_most_a_page
from invariant_kernel.codes import normalise_warehouse
from invariant_kernel.errors import DomainError, ErrorCode, not_found
from invariant_kernel.limits import ID, bounded
from invariant_kernel.units import ItemView, decimal_text
from orders.domain import work_commands as commands
from orders.domain.work_orders import (
    DOCUMENT_TYPE,
    OVER_ISSUE_KIND,
    Posting,
    PostingKind,
    Requirement,
    ReworkSource,
    WorkOrder,
    WorkOrderKind,
    WorkOrderState,
    over_issue_number,
    tolerance_percent,
    whole_places,
    work_order_number,
)
from orders.service.ports import (
    Boms,
    ExplodedComponent,
    Items,
    StockPosting,
    WorkOrdersRepository,
    WorkReading,
    WorkReleases,
    WorkStock,
    WorkWriting,
)

# One line per component and request; stock's key for each movement is derived from its position.
MAX_LINES = 100

Line = tuple[str, Decimal, str]
ZERO = Decimal(0)
# A claim whose issue was neither recorded nor refused (its caller gone before a retry) stops
# holding the allowance after this long; a retry of the issue still finds it by its key.
CLAIM_LAPSES = timedelta(minutes=15)


@dataclass(frozen=True)
class PlacedWorkOrder:
    item: ItemView
    quantity: Decimal
    unit: str
    base_quantity: Decimal
    warehouse: str
    due_date: date | None
    rework: ReworkSource | None = None


@dataclass(frozen=True)
class Released:
    """What the catalog and stock answered for a release, before the transaction records it."""

    number: str
    bom_id: str
    bom_version: int
    on: date
    requirements: tuple[Requirement, ...]
    grants: dict[str, tuple[str, Decimal]]
    # A rework order's goods, issued from REJECTED.
    issued: Posting | None = None


@dataclass(frozen=True)
class Posted:
    """Movements stock posted for an order's lines, to be recorded."""

    number: str
    kind: PostingKind
    lines: tuple[Line, ...]
    postings: tuple[Posting, ...]
    # Issued against each component's reservation.
    consumed: dict[str, Decimal]
    # The issue's claim on the allowance, and its movements' keys' stem.
    key: str = ""


@dataclass(frozen=True)
class RequestedOverIssue:
    number: str
    component_sku: str
    quantity: Decimal
    reason: str


def _digest(request_key: str) -> str:
    """A request's key, short enough to go into stock's keys."""
    return hashlib.sha256(request_key.encode()).hexdigest()[:32]


def release_key(order: WorkOrder) -> str:
    """Stock's key for the order's component reservations: one per order, so that a retried or
    concurrent release reserves once."""
    return f"orders/wo-release/{order.id}"


def _step_key(order: WorkOrder, step: str, request_key: str) -> str:
    return f"orders/wo/{order.id}/{step}/{_digest(request_key)}"


async def _order(repo: WorkOrdersRepository, number: str, lock: bool = False) -> WorkOrder:
    code = number.strip().upper()
    if not code:
        raise DomainError(ErrorCode.REQUIRED, "number is required", "number")
    order = await repo.work_order(code, lock=lock)
    if order is None:
        raise not_found("work order", code, "number")
    return order


async def _read(reading: WorkReading, number: str) -> WorkOrder:
    async with reading() as repo:
        return await _order(repo, number)


def _actor() -> str:
    return identity.current.get().actor


# tolerances


async def set_issue_tolerance(
    uow: Recorder, repo: WorkOrdersRepository, cmd: tuple[str, Decimal]
) -> tuple[str, Decimal]:
    await repo.set_issue_tolerance(*cmd)
    return cmd


async def prepare_tolerance(items: Items, cmd: commands.SetIssueTolerance) -> tuple[str, Decimal]:
    view = (await items.views({cmd.item_sku: "item_sku"}))[cmd.item_sku.strip().upper()]
    return view.sku, tolerance_percent(cmd.percent, "percent")


# create and release


async def prepare_work_order(items: Items, stock: WorkStock, cmd: commands.CreateWorkOrder) -> PlacedWorkOrder:
    view = (await items.views({cmd.item_sku: "item_sku"}))[cmd.item_sku.strip().upper()]
    base = view.to_base(cmd.quantity, cmd.unit)
    unit = view.unit_code(cmd.unit)
    warehouse = normalise_warehouse(cmd.warehouse, "warehouse")
    if warehouse not in await stock.warehouses({warehouse}):
        raise not_found("warehouse", warehouse, "warehouse")
    rework = await _rework(stock, view, warehouse, cmd)
    return PlacedWorkOrder(view, Decimal(cmd.quantity.strip()), unit, base, warehouse, cmd.due_date, rework)


async def _rework(
    stock: WorkStock, item: ItemView, warehouse: str, cmd: commands.CreateWorkOrder
) -> ReworkSource | None:
    """A rework order's rejected goods: the record that rejected them and a place of the
    order's warehouse, with a lot where the item is lot-tracked."""
    try:
        kind = WorkOrderKind(cmd.kind or WorkOrderKind.PRODUCTION)
    except ValueError:
        raise DomainError(ErrorCode.INVALID_FORMAT, "kind is PRODUCTION or REWORK", "kind") from None
    given = cmd.rework
    if kind is WorkOrderKind.PRODUCTION:
        if given is not None:
            raise DomainError(ErrorCode.INVALID_FORMAT, "only a REWORK order names rejected goods", "rework")
        return None
    if given is None:
        raise DomainError(ErrorCode.REQUIRED, "a REWORK order names the rejected goods it reworks", "rework")
    document_type = bounded(given.document_type.strip().upper(), "rework.document_type", 20)
    document_id = bounded(given.document_id.strip(), "rework.document_id", ID)
    for value, field in ((document_type, "rework.document_type"), (document_id, "rework.document_id")):
        if not value:
            raise DomainError(ErrorCode.REQUIRED, f"{field} is required: the record that rejected the goods", field)
    location = _location(given.location, "rework.location")
    lot = bounded(given.lot.strip(), "rework.lot", ID)
    if item.lot_tracked and not lot:
        raise DomainError(ErrorCode.REQUIRED, f"{item.sku} is lot-tracked: rework.lot is required", "rework.lot")
    known = await stock.locations(warehouse, {location})
    if location not in known:
        raise not_found("location", f"{warehouse}/{location}", "rework.location")
    line = bounded(given.document_line.strip(), "rework.document_line", ID)
    return ReworkSource(document_type, document_id, line, location, lot)


async def create_work_order(uow: Recorder, repo: WorkOrdersRepository, cmd: PlacedWorkOrder) -> WorkOrder:
    order = WorkOrder.create(
        id=str(uuid.uuid4()),
        number=work_order_number(await repo.next_number(DOCUMENT_TYPE)),
        item_sku=cmd.item.sku,
        quantity=cmd.quantity,
        unit=cmd.unit,
        base_quantity=cmd.base_quantity,
        base_unit=cmd.item.base_unit,
        warehouse=cmd.warehouse,
        due_date=cmd.due_date,
        actor=_actor(),
        now=utcnow(),
        rework=cmd.rework,
    )
    await repo.add_work_order(order)
    return order


async def prepare_release(
    reading: WorkReading, items: Items, boms: Boms, stock: WorkStock, cmd: commands.ReleaseWorkOrder
) -> Released:
    """Explode the BOM in effect today for the order's quantity and reserve its direct
    components; for a rework order, issue its rejected goods."""
    order = await _read(reading, cmd.number)
    order.require("released", WorkOrderState.DRAFT)
    on = utcnow().date()
    if order.rework is not None:
        return await _issue_rework(stock, order, on)
    explosion = await boms.explode(order.item_sku, order.base_quantity, on)
    # The components' items kept in the replica: their costs are read from it at close.
    await items.views({c.item_sku: "number" for c in explosion.components})
    async with reading() as repo:
        tolerances = await repo.issue_tolerances([c.item_sku for c in explosion.components])
    requirements = tuple(
        Requirement(
            c.item_sku, c.base_unit, whole_places(c.quantity), c.has_bom, tolerances.get(c.item_sku, Decimal(0))
        )
        for c in explosion.components
    )
    wanted = [ExplodedComponent(r.item_sku, r.base_unit, r.required, r.has_bom) for r in requirements]
    grants = await stock.reserve_components(release_key(order), order, wanted)
    return Released(order.number, explosion.bom_id, explosion.bom_version, on, requirements, grants)


async def _issue_rework(stock: WorkStock, order: WorkOrder, on: date) -> Released:
    """The whole quantity from REJECTED where the rework names it, keyed by the order like its
    release, so that a retried or concurrent release issues once."""
    assert order.rework is not None
    source = order.rework
    posting = StockPosting(
        PostingKind.ISSUE,
        order.item_sku,
        order.base_quantity,
        order.warehouse,
        source.location,
        source.lot,
        order.number,
        rework=True,
    )
    moved = await stock.post(release_key(order), posting, "number")
    issued = Posting(
        PostingKind.ISSUE,
        order.item_sku,
        order.base_quantity,
        source.location,
        source.lot,
        (moved,),
        _actor(),
        utcnow(),
    )
    return Released(order.number, "", 0, on, (), {}, issued)


async def release_work_order(uow: Recorder, repo: WorkOrdersRepository, cmd: Released) -> WorkOrder:
    """Record the pinned BOM and what stock granted. An order released meanwhile by the same
    reservations (a concurrent release, answered by stock once) is answered as it stands."""
    order = await _order(repo, cmd.number, lock=True)
    if cmd.issued is not None:
        if order.state is WorkOrderState.DRAFT:
            order.release_rework(on=cmd.on, issued=cmd.issued, actor=_actor(), now=utcnow())
            await repo.save_work_order(order)
        return order
    held = {c.item_sku: c.reservation_id for c in order.components}
    if order.state is not WorkOrderState.DRAFT and held == {s: g[0] for s, g in cmd.grants.items()}:
        return order
    order.release(
        bom_id=cmd.bom_id,
        bom_version=cmd.bom_version,
        on=cmd.on,
        requirements=cmd.requirements,
        grants=cmd.grants,
        actor=_actor(),
        now=utcnow(),
    )
    await repo.save_work_order(order)
    return order


# issues and returns


async def _lines(items: Items, order: WorkOrder, lines: Sequence[commands.ComponentQuantity]) -> tuple[Line, ...]:
    """Each line's component (by SKU, or by a scanned barcode) and its quantity in the
    component's base unit."""
    if not lines:
        raise DomainError(ErrorCode.REQUIRED, "at least one line is required", "lines")
    if len(lines) > MAX_LINES:
        raise DomainError(ErrorCode.OUT_OF_RANGE, f"at most {MAX_LINES} lines", "lines")
    skus = [await _component_sku(items, order, line, f"lines[{n}]") for n, line in enumerate(lines)]
    views = await items.views({sku: f"lines[{n}].component_sku" for n, sku in reversed(list(enumerate(skus)))})
    return tuple(
        (sku, views[sku].to_base(line.quantity, line.unit, f"{where}.quantity", f"{where}.unit"), where)
        for n, (sku, line) in enumerate(zip(skus, lines, strict=True))
        for where in (f"lines[{n}]",)
    )


async def _component_sku(items: Items, order: WorkOrder, line: commands.ComponentQuantity, where: str) -> str:
    sku, barcode = line.component_sku.strip().upper(), line.barcode.strip()
    if sku and barcode:
        raise DomainError(
            ErrorCode.MUTUALLY_EXCLUSIVE, f"{where} names its component by SKU or barcode, not both", where
        )
    if barcode:
        sku = await items.sku_of_barcode(barcode, f"{where}.barcode")
    if not sku:
        raise DomainError(ErrorCode.REQUIRED, f"{where} needs component_sku or barcode", f"{where}.component_sku")
    order.component(sku, f"{where}.barcode" if barcode else f"{where}.component_sku")
    return sku


def _location(raw: str, field: str) -> str:
    """Upper-cased as stock keeps it; stock checks the rest of its form and that it exists."""
    code = raw.strip().upper()
    if not code:
        raise DomainError(ErrorCode.REQUIRED, f"{field} is required", field)
    return code


def _place(line: commands.ComponentQuantity, where: str) -> tuple[str, str]:
    return _location(line.location, f"{where}.location"), line.lot.strip()


async def prepare_issue(
    reading: WorkReading, writing: WorkWriting, items: Items, stock: WorkStock, cmd: commands.IssueComponents
) -> Posted:
    """Check the lines against what each component may take and claim it, check what the
    shelves hold, then post them: against the component's reservation as far as it still
    holds, the rest as a plain ISSUE. A refusal by stock gives the claim back."""
    order = await _read(reading, cmd.number)
    order.require_open("issued to")
    order.require_production("issued to")
    lines = await _lines(items, order, cmd.lines)
    places = [(sku, *_place(given, where)) for (sku, _, where), given in zip(lines, cmd.lines, strict=True)]
    base = _step_key(order, "issue", cmd.request_key)
    await _claim(writing, order.number, base, lines)
    try:
        await _on_shelf(stock, order, lines, places)
        return await _post_issue(stock, order, base, lines, places)
    except DomainError:
        async with writing() as repo:
            await repo.drop_claim(base)
        raise


async def _claim(writing: WorkWriting, number: str, key: str, lines: Sequence[Line]) -> None:
    """Hold the lines' quantities against the allowance, checked with every other issue under
    way counted (a retry of this one finds its claim taken already)."""
    async with writing() as repo:
        if await repo.has_claim(key):
            return
        order = await _order(repo, number, lock=True)
        now = utcnow()
        order.plan_issue(lines, claimed=await repo.claimed(order.id, now - CLAIM_LAPSES))
        quantities: dict[str, Decimal] = {}
        for sku, quantity, _ in lines:
            quantities[sku] = quantities.get(sku, ZERO) + quantity
        await repo.add_claim(order.id, key, quantities, now)


async def _post_issue(
    stock: WorkStock, order: WorkOrder, base: str, lines: Sequence[Line], places: Sequence[tuple[str, str, str]]
) -> Posted:
    holding = {c.item_sku: c.still_reserved for c in order.components}
    postings: list[Posting] = []
    consumed: dict[str, Decimal] = {}
    for n, ((sku, quantity, where), (_, location, lot)) in enumerate(zip(lines, places, strict=True)):
        component = order.component(sku, where)
        reserved = min(quantity, holding[sku]) if component.reservation_id else ZERO
        holding[sku] -= reserved
        moved: list[str] = []
        parts = ((reserved, component.reservation_id, "r"), (quantity - reserved, "", "m"))
        for part, reservation, suffix in parts:
            if part > 0:
                posting = StockPosting(
                    PostingKind.ISSUE, sku, part, order.warehouse, location, lot, order.number, reservation
                )
                moved.append(await stock.post(f"{base}/{n}/{suffix}", posting, where))
        consumed[sku] = consumed.get(sku, ZERO) + reserved
        postings.append(Posting(PostingKind.ISSUE, sku, quantity, location, lot, tuple(moved), _actor(), utcnow()))
    return Posted(order.number, PostingKind.ISSUE, tuple(lines), tuple(postings), consumed, base)


async def _on_shelf(
    stock: WorkStock, order: WorkOrder, lines: Sequence[Line], places: Sequence[tuple[str, str, str]]
) -> None:
    """Refuse, before anything is posted, a line whose place holds less than the lines ask of
    it: a request is posted line by line, and a line refused half-way would leave the ones
    before it in stock's ledger only. Stock still refuses what another issue took meanwhile."""
    fields = [where for _, _, where in lines]
    shelves = await stock.on_shelf([(sku, order.warehouse, location, lot) for sku, location, lot in places], fields)
    asked: dict[tuple[str, str, str], Decimal] = {}
    for (sku, quantity, where), place, shelf in zip(lines, places, shelves, strict=True):
        asked[place] = asked.get(place, ZERO) + quantity
        if asked[place] > shelf:
            raise DomainError(
                ErrorCode.INSUFFICIENT_STOCK,
                f"{where}: {place[1]}{'/' + place[2] if place[2] else ''} holds {decimal_text(shelf)} of {sku} "
                f"available, {decimal_text(asked[place])} asked",
                f"{where}.quantity",
            )


async def _known_locations(stock: WorkStock, order: WorkOrder, located: Sequence[tuple[str, str]]) -> None:
    """Each (location, field) a location of the order's warehouse."""
    known = await stock.locations(order.warehouse, {location for location, _ in located})
    for location, field in located:
        if location not in known:
            raise not_found("location", f"{order.warehouse}/{location}", field)


async def prepare_return(
    reading: WorkReading, items: Items, stock: WorkStock, cmd: commands.ReturnComponents
) -> Posted:
    """Unused material back into AVAILABLE stock by a RECEIPT naming the order (stock's RETURN is
    for goods coming back from outside, which go to inspection)."""
    order = await _read(reading, cmd.number)
    order.require_open("returned to")
    order.require_production("returned from")
    lines = await _lines(items, order, cmd.lines)
    order.plan_return(lines)
    places = [_place(given, where) for (_, _, where), given in zip(lines, cmd.lines, strict=True)]
    await _known_locations(stock, order, [(p[0], f"{w}.location") for p, (_, _, w) in zip(places, lines, strict=True)])
    base = _step_key(order, "return", cmd.request_key)
    postings: list[Posting] = []
    for n, ((sku, quantity, where), (location, lot)) in enumerate(zip(lines, places, strict=True)):
        posting = StockPosting(PostingKind.RETURN, sku, quantity, order.warehouse, location, lot, order.number)
        moved = await stock.post(f"{base}/{n}", posting, where)
        postings.append(Posting(PostingKind.RETURN, sku, quantity, location, lot, (moved,), _actor(), utcnow()))
    return Posted(order.number, PostingKind.RETURN, lines, tuple(postings), {})


async def record_postings(uow: Recorder, repo: WorkOrdersRepository, cmd: Posted) -> WorkOrder:
    """Record what stock posted, and give back the issue's claim: its allowance was checked
    when it was claimed, and stock's ledger is the truth now."""
    order = await _order(repo, cmd.number, lock=True)
    if cmd.kind is PostingKind.ISSUE:
        order.issue(order.plan_issue(cmd.lines, strict=False), cmd.postings, cmd.consumed)
        await repo.drop_claim(cmd.key)
    else:
        order.give_back(cmd.lines, cmd.postings)
    await repo.save_work_order(order)
    return order


# over-issues


async def prepare_over_issue(reading: WorkReading, items: Items, cmd: commands.RequestOverIssue) -> RequestedOverIssue:
    order = await _read(reading, cmd.number)
    sku = cmd.component_sku.strip().upper()
    order.component(sku, "component_sku")
    view = (await items.views({sku: "component_sku"}))[sku]
    return RequestedOverIssue(order.number, sku, view.to_base(cmd.quantity, cmd.unit), cmd.reason)


async def request_over_issue(uow: Recorder, repo: WorkOrdersRepository, cmd: RequestedOverIssue) -> WorkOrder:
    order = await _order(repo, cmd.number, lock=True)
    number = over_issue_number(await repo.next_number(OVER_ISSUE_KIND))
    order.request_over_issue(number, cmd.component_sku, cmd.quantity, cmd.reason, _actor(), utcnow())
    await repo.save_work_order(order)
    return order


async def decide_over_issue(uow: Recorder, repo: WorkOrdersRepository, cmd: commands.DecideOverIssue) -> WorkOrder:
    order = await _order(repo, cmd.number, lock=True)
    who = identity.current.get()
    request = cmd.request.strip().upper()
    if not request:
        raise DomainError(ErrorCode.REQUIRED, "request is required", "request")
    order.decide_over_issue(request, cmd.approve, cmd.reason, who.actor, who.roles, utcnow())
    await repo.save_work_order(order)
    return order


# completion and close


async def prepare_completion(
    reading: WorkReading, items: Items, stock: WorkStock, cmd: commands.CompleteWorkOrder
) -> Posted:
    """Receive finished goods: into QC_HOLD when the item is inspected on production or the
    order reworks rejected goods, with a lot where it is lot-tracked."""
    order = await _read(reading, cmd.number)
    order.require_open("completed")
    view = (await items.views({order.item_sku: "number"}))[order.item_sku]
    quantity = view.to_base(cmd.quantity, cmd.unit)
    order.check_completion(quantity)
    lot = cmd.lot.strip()
    if view.lot_tracked and not lot:
        raise DomainError(ErrorCode.REQUIRED, f"{order.item_sku} is lot-tracked: lot is required", "lot")
    if lot and not view.lot_tracked:
        raise DomainError(ErrorCode.INVALID_FORMAT, f"{order.item_sku} is not lot-tracked: give no lot", "lot")
    location = _location(cmd.location, "location")
    await _known_locations(stock, order, [(location, "location")])
    async with reading() as repo:
        facts = (await repo.production_facts([order.item_sku])).get(order.item_sku)
    on_hold = order.kind is WorkOrderKind.REWORK or (facts is not None and facts.inspect_on_production)
    posting = StockPosting(
        PostingKind.RECEIPT, order.item_sku, quantity, order.warehouse, location, lot, order.number, on_hold=on_hold
    )
    moved = await stock.post(_step_key(order, "complete", cmd.request_key), posting, "")
    line = (order.item_sku, quantity, "")
    made = Posting(PostingKind.RECEIPT, order.item_sku, quantity, location, lot, (moved,), _actor(), utcnow())
    return Posted(order.number, PostingKind.RECEIPT, (line,), (made,), {})


async def complete_work_order(uow: Recorder, repo: WorkOrdersRepository, cmd: Posted) -> WorkOrder:
    order = await _order(repo, cmd.number, lock=True)
    [(_, quantity, _)] = cmd.lines
    order.complete(quantity, cmd.postings[0], _actor(), utcnow())
    await repo.save_work_order(order)
    return order


async def close_work_order(
    releases: WorkReleases, uow: Recorder, repo: WorkOrdersRepository, cmd: commands.CloseWorkOrder
) -> WorkOrder:
    """Fix the variance at today's standard costs and give back what is still reserved (sent to
    stock once this transaction commits)."""
    order = await _order(repo, cmd.number, lock=True)
    facts = await repo.production_facts([c.item_sku for c in order.components])
    costs = {sku: f.standard_cost for sku, f in facts.items()}
    for component in order.close(costs, _actor(), utcnow(), cmd.reason):
        await releases.release(uow, order, component)
    await repo.save_work_order(order)
    return order


async def work_reservation_released(repo: WorkOrdersRepository, order_id: str, sku: str, still: Decimal) -> None:
    """Stock answered the release of a component's reservation (a sent command settled)."""
    order = await repo.work_order_by_id(order_id, lock=True)
    if order is None:
        return
    order.reservation_released(sku, still)
    await repo.save_work_order(order)


# queries


async def get_work_orders(repo: WorkOrdersRepository, numbers: Sequence[str]) -> list[WorkOrder]:
    return await repo.work_orders([n.strip().upper() for n in at_most_a_page(numbers, "numbers")])
