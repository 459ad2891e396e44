"""Purchase orders, their receipts and purchase suggestions. A command runs in one
transaction that the dispatcher opens and commits (invariant_core.commands); what it needs of
the catalog and stock is asked before it (`prepare_*`), and stock's receipts are posted there
too, keyed from the request so that a retry posts them once."""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from invariant_core import identity
from invariant_core.db import Recorder, utcnow
from invariant_core.paging import at_most_a_page
from invariant_kernel.codes import normalise_warehouse
from invariant_kernel.errors import DomainError, ErrorCode, not_found
from invariant_kernel.limits import CODE, bounded
from invariant_kernel.units import ItemView
from orders.domain import purchase_commands as commands
from orders.domain.partners import partner_code
from orders.domain.purchasing import (
    AVAILABLE,
    DOCUMENT_TYPE,
    QC_HOLD,
    PurchaseLine,
    PurchaseOrder,
    Receipt,
    purchase_order_number,
    tolerance_percent,
    unit_price,
)
from orders.domain.suggestions import PlaceFigures, Suggestion, SuggestionState, suggested_quantity
from orders.service.ports import Items
from orders.service.purchasing_ports import PurchasingReading, PurchasingRepository, Receiving


@dataclass(frozen=True)
class PlacedPurchase:
    """A purchase order's lines resolved outside the transaction: items, units and warehouses checked."""

    supplier: str
    lines: tuple[PurchaseLine, ...]


@dataclass(frozen=True)
class PostedReceipt:
    """What stock posted for a receipt, before the transaction that books it on the order."""

    number: str
    receipts: tuple[Receipt, ...]


# purchase orders


async def prepare_purchase_order(items: Items, stock: Receiving, cmd: commands.CreatePurchaseOrder) -> PlacedPurchase:
    """Each line's item, its quantity in the base unit and its warehouse known to stock."""
    # The first line naming an item is the one its refusal names.
    named = {line.item_sku: f"lines[{n}].item_sku" for n, line in reversed(list(enumerate(cmd.lines)))}
    views = await items.views(named)
    warehouses = [normalise_warehouse(line.warehouse, f"lines[{n}].warehouse") for n, line in enumerate(cmd.lines)]
    known = await stock.warehouses(set(warehouses)) if warehouses else set()
    unknown = [n for n, code in enumerate(warehouses) if code not in known]
    if unknown:
        raise not_found("warehouse", warehouses[unknown[0]], f"lines[{unknown[0]}].warehouse")
    return PlacedPurchase(
        cmd.supplier,
        tuple(
            _purchase_line(n, views[line.item_sku.strip().upper()], line, warehouses[n])
            for n, line in enumerate(cmd.lines)
        ),
    )


def _purchase_line(n: int, item: ItemView, given: commands.PurchaseLineInput, warehouse: str) -> PurchaseLine:
    where = f"lines[{n}]"
    base = item.to_base(given.quantity, given.unit, f"{where}.quantity", f"{where}.unit")
    return PurchaseLine(
        line=n + 1,
        item_sku=item.sku,
        quantity=Decimal(given.quantity.strip()),
        unit=item.unit_code(given.unit, f"{where}.unit"),
        base_quantity=base,
        base_unit=item.base_unit,
        warehouse=warehouse,
        expected_date=given.expected_date,
        unit_price=unit_price(given.unit_price, f"{where}.unit_price"),
        tolerance_percent=tolerance_percent(given.tolerance_percent, f"{where}.over_receipt_tolerance_percent"),
    )


async def create_purchase_order(uow: Recorder, repo: PurchasingRepository, cmd: PlacedPurchase) -> PurchaseOrder:
    code = partner_code(cmd.supplier, "supplier")
    if await repo.supplier(code) is None:
        raise not_found("supplier", code, "supplier")
    order = PurchaseOrder.create(
        id=str(uuid.uuid4()),
        number=purchase_order_number(await repo.next_number(DOCUMENT_TYPE)),
        supplier=code,
        lines=cmd.lines,
        actor=identity.current.get().actor,
        now=utcnow(),
    )
    await repo.add_purchase_order(order)
    return order


async def send_purchase_order(
    uow: Recorder, repo: PurchasingRepository, cmd: commands.SendPurchaseOrder
) -> PurchaseOrder:
    order = await _purchase_order(repo, cmd.number, lock=True)
    order.send(identity.current.get().actor, utcnow())
    await repo.save_purchase_order(order)
    return order


async def close_purchase_order(
    uow: Recorder, repo: PurchasingRepository, cmd: commands.ClosePurchaseOrder
) -> PurchaseOrder:
    order = await _purchase_order(repo, cmd.number, lock=True)
    order.close(cmd.reason, identity.current.get().actor, utcnow())
    await repo.save_purchase_order(order)
    return order


async def cancel_purchase_order(
    uow: Recorder, repo: PurchasingRepository, cmd: commands.CancelPurchaseOrder
) -> PurchaseOrder:
    order = await _purchase_order(repo, cmd.number, lock=True)
    order.cancel(cmd.reason, identity.current.get().actor, utcnow())
    await repo.save_purchase_order(order)
    return order


# receipts


def receipt_key(request_key: str, entry: int, what: str) -> str:
    """Stock's key for what a receipt's entry posts: from the receipt request's own key, so
    that a retry of the request is answered by stock once; hashed to fit stock's keys."""
    digest = hashlib.sha256(request_key.encode()).hexdigest()[:40]
    return f"orders/{what}/{digest}/{entry}"


@dataclass(frozen=True)
class _Entry:
    line: PurchaseLine
    quantity: Decimal
    location: str
    lot: str
    supplier_lot: str


async def prepare_receipt(
    reading: PurchasingReading, items: Items, stock: Receiving, cmd: commands.ReceivePurchaseOrder
) -> PostedReceipt:
    """Check the receipt against the order, then post it to stock: into QC_HOLD for items
    inspected on receipt, AVAILABLE otherwise. Outside any transaction."""
    async with reading() as repo:
        order = await _purchase_order(repo, cmd.number)
    order.require_receivable()
    if not cmd.lines:
        raise DomainError(ErrorCode.REQUIRED, "a receipt needs at least one line", "lines")
    entries = await _entries(order, items, cmd.lines)
    order.check_receipt([(e.line.line, e.quantity) for e in entries])
    places = {(e.line.warehouse, e.location) for e in entries}
    found = await stock.places(places)
    for n, e in enumerate(entries):
        if (e.line.warehouse, e.location) not in found:
            raise not_found("location", f"{e.line.warehouse}/{e.location}", f"lines[{n}].location")
    async with reading() as repo:
        inspected = await repo.inspected_on_receipt({e.line.item_sku for e in entries})
    # Every lot first: a lot stock refuses then refuses the receipt before any of it is posted.
    for n, (e, given) in enumerate(zip(entries, cmd.lines, strict=True)):
        if e.lot:
            try:
                await stock.create_lot(receipt_key(cmd.key, n, "lot"), e.line.item_sku, e.lot, given.expiry_date)
            except DomainError as refused:
                if refused.code is ErrorCode.UNAVAILABLE:
                    raise
                raise DomainError(refused.code, f"lines[{n}].lot: {refused.message}", f"lines[{n}].lot") from None
    receipts = []
    for n, e in enumerate(entries):
        status = QC_HOLD if e.line.item_sku in inspected else AVAILABLE
        place = (e.line.warehouse, e.location, e.lot, status)
        movement = await stock.post_receipt(
            receipt_key(cmd.key, n, "receive"), order, e.line.line, e.quantity, place, e.supplier_lot
        )
        receipts.append(Receipt(e.line.line, e.quantity, e.location, e.lot, status, movement, "", utcnow()))
    return PostedReceipt(order.number, tuple(receipts))


async def _entries(order: PurchaseOrder, items: Items, lines: Sequence[commands.ReceiptLineInput]) -> list[_Entry]:
    """Each entry's order line, quantity in the base unit, location and lot (lot-tracked
    items need a lot and an expiry date)."""
    ordered = [order.line(given.line, f"lines[{n}].line") for n, given in enumerate(lines)]
    views = await items.views({line.item_sku: f"lines[{n}].line" for n, line in enumerate(ordered)})
    entries = []
    for n, (line, given) in enumerate(zip(ordered, lines, strict=True)):
        where = f"lines[{n}]"
        view = views[line.item_sku]
        quantity = view.to_base(given.quantity, given.unit, f"{where}.quantity", f"{where}.unit")
        location = given.location.strip().upper()
        if not location:
            raise DomainError(ErrorCode.REQUIRED, f"{where}.location is required", f"{where}.location")
        lot = given.lot.strip() if view.lot_tracked else ""
        if view.lot_tracked and not lot:
            raise DomainError(ErrorCode.REQUIRED, f"{where}.lot is required: {view.sku} is lot-tracked", f"{where}.lot")
        if view.lot_tracked and given.expiry_date is None:
            raise DomainError(
                ErrorCode.REQUIRED,
                f"{where}.expiry_date is required: {view.sku} is lot-tracked",
                f"{where}.expiry_date",
            )
        supplier_lot = bounded(given.supplier_lot.strip(), f"{where}.supplier_lot", CODE)
        entries.append(_Entry(line, quantity, location, lot, supplier_lot))
    return entries


async def receive_purchase_order(uow: Recorder, repo: PurchasingRepository, cmd: PostedReceipt) -> PurchaseOrder:
    """Book what stock posted. A receipt booked meanwhile by the same request (the same
    movements) is answered as it stands: stock posted it once, it is booked once. The
    tolerance is not checked again here: the goods are in stock's ledger already, and the
    order must show what its receipts posted, even where two receipts checked at once
    together went past it."""
    order = await _purchase_order(repo, cmd.number, lock=True)
    booked = {r.movement_id for r in order.receipts}
    if all(r.movement_id in booked for r in cmd.receipts):
        return order
    actor, now = identity.current.get().actor, utcnow()
    order.receive([dataclasses.replace(r, actor=actor, at=now) for r in cmd.receipts], actor, now)
    await repo.save_purchase_order(order)
    return order


async def inspection_decided(
    repo: PurchasingRepository, number: str, line: str, accepted: Decimal, rejected: Decimal
) -> bool:
    """Quality decided goods received on a purchase order's line: book accepted and rejected
    on it. False when no such order or line exists here (nothing is booked)."""
    order = await repo.purchase_order(number.strip().upper(), lock=True)
    if order is None or not line.strip().isdigit():
        return False
    if not order.decided(int(line), accepted, rejected):
        return False
    await repo.save_purchase_order(order)
    return True


async def get_purchase_orders(repo: PurchasingRepository, numbers: Sequence[str]) -> list[PurchaseOrder]:
    return await repo.purchase_orders([n.strip().upper() for n in at_most_a_page(numbers, "numbers")])


async def get_on_order(repo: PurchasingRepository, item_sku: str, warehouse: str) -> tuple[str, str, Decimal]:
    sku = item_sku.strip().upper()
    if not sku:
        raise DomainError(ErrorCode.REQUIRED, "item_sku is required", "item_sku")
    code = normalise_warehouse(warehouse)
    return sku, code, await repo.on_order(sku, code)


async def get_suggestions(repo: PurchasingRepository, ids: Sequence[str]) -> list[Suggestion]:
    return await repo.suggestions_by_id([id.strip() for id in at_most_a_page(ids, "ids")])


async def _purchase_order(repo: PurchasingRepository, number: str, lock: bool = False) -> PurchaseOrder:
    code = number.strip().upper()
    if not code:
        raise DomainError(ErrorCode.REQUIRED, "number is required", "number")
    order = await repo.purchase_order(code, lock=lock)
    if order is None:
        raise not_found("purchase order", code, "number")
    return order


# purchase suggestions


async def draft_suggestion(
    repo: PurchasingRepository, sku: str, warehouse: str, figures: PlaceFigures, base_unit: str, cause: str
) -> Suggestion | None:
    """A place fell below its safety stock: draft what to buy, unless a suggestion for it is
    open already, or it is no longer below, or what is on order covers it."""
    if await repo.open_suggestion(sku, warehouse) is not None:
        return None
    on_order = await repo.on_order(sku, warehouse)
    source = await repo.source(sku)
    pack = source.pack_size if source is not None else None
    quantity = suggested_quantity(figures, on_order, pack)
    if quantity <= 0:
        return None
    suggestion = Suggestion(
        id=str(uuid.uuid4()),
        item_sku=sku,
        warehouse=warehouse,
        quantity=quantity,
        base_unit=base_unit,
        supplier=source.supplier if source is not None else "",
        pack_size=pack,
        figures=figures,
        on_order=on_order,
        state=SuggestionState.OPEN,
        created_at=utcnow(),
        cause=cause,
    )
    await repo.add_suggestion(suggestion)
    return suggestion


async def convert_suggestions(
    uow: Recorder, repo: PurchasingRepository, cmd: commands.ConvertSuggestions
) -> PurchaseOrder:
    """One DRAFT order of one supplier, a line per suggestion, expected after the supplier's lead time."""
    if not cmd.suggestion_ids:
        raise DomainError(ErrorCode.REQUIRED, "suggestion_ids needs at least one suggestion", "suggestion_ids")
    suggestions = []
    for n, id in enumerate(at_most_a_page(cmd.suggestion_ids, "suggestion_ids")):
        found = await repo.suggestion(id.strip(), lock=True)
        if found is None:
            raise not_found("suggestion", id, f"suggestion_ids[{n}]")
        found.require_open(f"suggestion_ids[{n}]")
        suggestions.append(found)
    code = partner_code(cmd.supplier, "supplier") if cmd.supplier.strip() else suggestions[0].supplier
    if not code:
        raise DomainError(ErrorCode.REQUIRED, "supplier is required: no supplier supplies the item", "supplier")
    for n, s in enumerate(suggestions):
        if not cmd.supplier.strip() and s.supplier != code:
            raise DomainError(
                ErrorCode.INVALID_STATE,
                f"suggestion_ids[{n}] is for supplier {s.supplier or 'none'}, not {code}: one order, one supplier",
                f"suggestion_ids[{n}]",
            )
    supplier = await repo.supplier(code)
    if supplier is None:
        raise not_found("supplier", code, "supplier")
    lead = {i.item_sku: i.lead_time_days for i in supplier.items}
    now = utcnow()
    lines = [
        PurchaseLine(
            line=n + 1,
            item_sku=s.item_sku,
            quantity=s.quantity,
            unit=s.base_unit,
            base_quantity=s.quantity,
            base_unit=s.base_unit,
            warehouse=s.warehouse,
            expected_date=(now + timedelta(days=lead[s.item_sku])).date() if s.item_sku in lead else None,
            unit_price=None,
        )
        for n, s in enumerate(suggestions)
    ]
    actor = identity.current.get().actor
    number = purchase_order_number(await repo.next_number(DOCUMENT_TYPE))
    order = PurchaseOrder.create(id=str(uuid.uuid4()), number=number, supplier=code, lines=lines, actor=actor, now=now)
    await repo.add_purchase_order(order)
    for s in suggestions:
        s.convert(number, actor, now)
        await repo.save_suggestion(s)
    return order


async def dismiss_suggestion(uow: Recorder, repo: PurchasingRepository, cmd: commands.DismissSuggestion) -> Suggestion:
    suggestion = await repo.suggestion(cmd.id.strip(), lock=True)
    if suggestion is None:
        raise not_found("suggestion", cmd.id, "id")
    suggestion.dismiss(cmd.reason, identity.current.get().actor, utcnow())
    await repo.save_suggestion(suggestion)
    return suggestion
