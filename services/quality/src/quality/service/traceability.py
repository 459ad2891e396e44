"""Lot traceability: the genealogy kept from stock's movements and orders' shipments (each
fact once), traces backward and forward, the recall list, and holding what a recall has not
shipped. A trace reads quality's own tables only: it asks nothing of stock."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from invariant_core import identity
from invariant_core.db import Recorder, utcnow
from invariant_kernel.errors import DomainError, ErrorCode
from invariant_kernel.limits import CODE, TEXT, bounded
from quality.domain import commands
from quality.domain.genealogy import BackwardTrace, ForwardTrace, Recall, StockLot, SupplierLot
from quality.domain.lots import InspectionLot, Place
from quality.service.handlers import plan_for
from quality.service.ports import Holds, LotFact, QualityRepository, Reading, Stock

RECEIPT = "RECEIPT"
ISSUE = "ISSUE"
WORK_ORDER = "WORK_ORDER"
SHIPMENT = "SHIPMENT"
PURCHASE_ORDER = "PURCHASE_ORDER"


async def record_facts(repo: QualityRepository, facts: Sequence[LotFact]) -> None:
    """Keep what movements or shipped lines say of lots; the same fact again adds nothing."""
    await repo.add_lot_facts(facts)


def movement_fact(
    *,
    movement_id: str,
    movement_type: str,
    item_sku: str,
    lot: str,
    quantity: Decimal,
    document_type: str,
    document_id: str,
    document_line: str,
    supplier: str,
    supplier_lot: str,
    actor: str,
) -> LotFact | None:
    """The genealogy's fact in a stock movement: a receipt on a purchase order (from its
    supplier), or an issue to or receipt from a work order; None for any other."""
    if movement_type == RECEIPT and document_type == PURCHASE_ORDER:
        return LotFact(
            movement_id,
            RECEIPT,
            item_sku,
            lot,
            quantity,
            document_id,
            document_line,
            supplier,
            supplier_lot,
            "",
            actor,
            utcnow(),
        )
    if movement_type in (RECEIPT, ISSUE) and document_type == WORK_ORDER:
        signed = quantity if movement_type == RECEIPT else -quantity
        return LotFact(
            movement_id, WORK_ORDER, item_sku, lot, signed, document_id, document_line, "", "", "", actor, utcnow()
        )
    return None


def trace_start(given: commands.TraceStart) -> StockLot | SupplierLot:
    """A stock lot (item and lot), or a supplier's lot (item, supplier and supplier_lot)."""
    item = given.item_sku.strip().upper()
    if not item:
        raise DomainError(ErrorCode.REQUIRED, "item_sku is required", "item_sku")
    bounded(item, "item_sku", CODE)
    supplier, number = given.supplier.strip().upper(), given.supplier_lot.strip()
    if supplier or number:
        if given.lot.strip():
            raise DomainError(
                ErrorCode.MUTUALLY_EXCLUSIVE, "a trace starts from a stock lot or a supplier's lot", "lot"
            )
        for value, field in ((supplier, "supplier"), (number, "supplier_lot")):
            if not value:
                raise DomainError(ErrorCode.REQUIRED, f"a supplier's lot names {field}", field)
            bounded(value, field, CODE)
        return SupplierLot(supplier, number, item)
    return StockLot(item, bounded(given.lot.strip(), "lot", CODE))


async def trace_backward(repo: QualityRepository, given: commands.TraceStart) -> BackwardTrace:
    start = trace_start(given)
    if isinstance(start, SupplierLot):
        raise DomainError(
            ErrorCode.INVALID_FORMAT, "a backward trace starts from a stock lot: give item_sku and lot", "lot"
        )
    return (await repo.genealogy(start, forward=False)).backward(start)


async def trace_forward(repo: QualityRepository, given: commands.TraceStart) -> ForwardTrace:
    start = trace_start(given)
    return (await repo.genealogy(start, forward=True)).forward(start)


async def recall(repo: QualityRepository, given: commands.TraceStart) -> Recall:
    start = trace_start(given)
    return (await repo.genealogy(start, forward=True)).recall(start)


@dataclass(frozen=True)
class PreparedRecallHold:
    # What stock holds AVAILABLE of the recalled lots: (item, place, quantity).
    available: tuple[tuple[str, Place, Decimal], ...]
    reason: str


async def prepare_recall_hold(reading: Reading, stock: Stock, cmd: commands.HoldRecalledLots) -> PreparedRecallHold:
    """The recall's lots, and what stock holds AVAILABLE of them now: shipped units are no
    longer in stock, so nothing shipped is held."""
    reason = bounded(cmd.reason.strip(), "reason", TEXT)
    if not reason:
        raise DomainError(ErrorCode.REQUIRED, "reason is required: why the lots are recalled", "reason")
    async with reading() as repo:
        found = await recall(repo, cmd.start)
    return PreparedRecallHold(tuple(await stock.available(found.hold)), reason)


async def hold_recalled_lots(
    holds: Holds, uow: Recorder, repo: QualityRepository, cmd: PreparedRecallHold
) -> list[InspectionLot]:
    """An inspection lot per place holding any of the recall's lots AVAILABLE, each asked of
    stock (AVAILABLE → QC_HOLD) once the transaction commits; a retry under the same key is
    answered by the dispatcher without asking again."""
    opened = []
    who, now = identity.current.get().actor, utcnow()
    for item_sku, place, quantity in cmd.available:
        lot = InspectionLot.hold_by_hand(
            id=str(uuid.uuid4()),
            item_sku=item_sku,
            place=place,
            quantity=quantity,
            reason=cmd.reason,
            supplier="",
            supplier_lot="",
            plan=await plan_for(repo, item_sku, ""),
            actor=who,
            now=now,
        )
        await repo.add_lots([lot])
        uow.track(lot)
        await holds.hold(uow, lot)
        opened.append(lot)
    return opened
