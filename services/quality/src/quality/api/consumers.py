"""Quality's event consumers: stock's movements, of which those that put goods into QC_HOLD
(receipts and returns) each open an inspection lot, a decision's rejected part put aside
locates its non-conformance record, rejected goods issued to a rework work order carry its
disposition out, and purchase receipts and work orders' issues and
receipts are kept as the genealogy; and orders' shipments, the genealogy's last step."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal

from invariant.events.v1 import envelope_pb2
from invariant.events.v1 import orders_pb2 as orders_events
from invariant.events.v1 import stock_pb2 as stock_events
from invariant_core.bus import Subscription, as_sender
from invariant_core.db import UnitOfWork, utcnow
from quality.adapters.repository import SqlQualityRepository
from quality.domain.commands import HeldMovement
from quality.domain.lots import Place
from quality.service import handlers, nonconformance, traceability
from quality.service.ports import Dispositions, LotFact

MOVEMENT_POSTED = "inventory.stock.movement.posted"
SHIPMENT_POSTED = "inventory.orders.shipment.posted"
# The document stock's movements for an inspection decision name: the lot, the decision as line.
INSPECTION_DOCUMENT = "INSPECTION"
STATUS_CHANGE = "STATUS_CHANGE"
REJECTED = "REJECTED"
ISSUE = "ISSUE"
REWORK = "REWORK"
WORK_ORDER = "WORK_ORDER"


def subscriptions(dispositions: Dispositions) -> list[Subscription]:
    """The durable consumers quality runs, each with its handler."""

    async def apply_movements(envelopes: Sequence[envelope_pb2.Envelope], uow: UnitOfWork) -> None:
        moved = [(envelope, movement) for envelope in envelopes if (movement := _movement(envelope)) is not None]
        repo = SqlQualityRepository(uow.session)
        held = [h for envelope, movement in moved if (h := held_movement(movement, envelope.actor)) is not None]
        await handlers.open_lots(uow, repo, held)
        facts = [f for envelope, movement in moved if (f := _fact(movement, envelope.actor)) is not None]
        await traceability.record_facts(repo, facts)
        for envelope, movement in moved:
            decision, place = _rejected(movement)
            if decision:
                with as_sender(envelope):
                    await nonconformance.rejected_goods_moved(dispositions, uow, repo, decision, place)
            if work_order := _reworked(movement):
                issued = Decimal(movement.quantity.value)
                await nonconformance.rework_issued(uow, repo, work_order, issued, movement.movement_id, envelope.actor)

    async def apply_movement(envelope: envelope_pb2.Envelope, uow: UnitOfWork) -> None:
        await apply_movements([envelope], uow)

    # Of stock's facts only movements: a receipt is published as receipt.posted too, and a
    # lot keyed on the movement opened from either would be opened from one of them only.
    return [
        Subscription(
            durable="quality-movements",
            subject=MOVEMENT_POSTED,
            handler=apply_movement,
            handler_many=apply_movements,
            fact_id=movement_id,
            wants=concerns_quality,
        ),
        Subscription(
            durable="quality-shipments",
            subject=SHIPMENT_POSTED,
            handler=apply_shipment,
            fact_id=shipment_id,
        ),
    ]


def _movement(envelope: envelope_pb2.Envelope) -> stock_events.MovementPosted | None:
    if envelope.type != MOVEMENT_POSTED:
        return None
    movement = stock_events.MovementPosted()
    envelope.payload.Unpack(movement)
    return movement


def held_movement(movement: stock_events.MovementPosted, actor: str) -> HeldMovement | None:
    """The movement, posted by `actor`, if it is a receipt or return into QC_HOLD."""
    into, document = movement.to, movement.document
    held = HeldMovement(
        movement_id=movement.movement_id,
        movement_type=movement.type,
        item_sku=movement.item_sku,
        quantity=movement.quantity.value,
        warehouse=into.warehouse,
        location=into.location,
        lot=into.lot,
        status=into.status,
        document_type=document.type,
        document_id=document.id,
        document_line=document.line,
        actor=actor,
        supplier=movement.supplier,
        supplier_lot=movement.supplier_lot,
    )
    if held.movement_type not in handlers.INCOMING or held.status != handlers.QC_HOLD:
        return None
    return held


def _fact(movement: stock_events.MovementPosted, actor: str) -> LotFact | None:
    document = movement.document
    return traceability.movement_fact(
        movement_id=movement.movement_id,
        movement_type=movement.type,
        item_sku=movement.item_sku,
        # An issue names where it came from, a receipt where it went.
        lot=movement.to.lot if movement.type == traceability.RECEIPT else getattr(movement, "from").lot,
        quantity=Decimal(movement.quantity.value),
        document_type=document.type,
        document_id=document.id,
        document_line=document.line,
        supplier=movement.supplier,
        supplier_lot=movement.supplier_lot,
        actor=actor,
    )


def _rejected(movement: stock_events.MovementPosted) -> tuple[str, Place]:
    """The decision whose rejected part this movement put aside, and where; ("", …) otherwise."""
    into, document = movement.to, movement.document
    if movement.type != STATUS_CHANGE or document.type != INSPECTION_DOCUMENT or into.status != REJECTED:
        return "", Place("", "")
    return document.line, Place(into.warehouse, into.location, into.lot)


def _reworked(movement: stock_events.MovementPosted) -> str:
    """The work order this movement issued rejected goods to, for rework; "" otherwise."""
    source, document = getattr(movement, "from"), movement.document
    if movement.type != ISSUE or source.status != REJECTED or movement.reason_code != REWORK:
        return ""
    return document.id if document.type == WORK_ORDER else ""


def movement_id(envelope: envelope_pb2.Envelope) -> str:
    """A movement is applied once, whatever envelope it comes in."""
    movement = _movement(envelope)
    return movement.movement_id if movement is not None else ""


async def concerns_quality(envelope: envelope_pb2.Envelope) -> bool:
    movement = _movement(envelope)
    if movement is None:
        return False
    return (
        held_movement(movement, envelope.actor) is not None
        or _fact(movement, envelope.actor) is not None
        or bool(_rejected(movement)[0])
        or bool(_reworked(movement))
    )


def _shipment(envelope: envelope_pb2.Envelope) -> orders_events.ShipmentPosted | None:
    if envelope.type != SHIPMENT_POSTED:
        return None
    shipment = orders_events.ShipmentPosted()
    envelope.payload.Unpack(shipment)
    return shipment


def shipment_id(envelope: envelope_pb2.Envelope) -> str:
    """A shipment (the order's n-th) is kept once, whatever envelope it comes in: its id made
    from the order's and its number, as a UUID to fit the inbox's key."""
    shipment = _shipment(envelope)
    if shipment is None:
        return ""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{shipment.order_id}/shipments/{shipment.shipment}"))


async def apply_shipment(envelope: envelope_pb2.Envelope, uow: UnitOfWork) -> None:
    shipment = _shipment(envelope)
    if shipment is None:
        return
    now = utcnow()
    await traceability.record_facts(
        SqlQualityRepository(uow.session),
        [
            LotFact(
                fact_id=f"{shipment.order_id}/{shipment.shipment}/{n}",
                kind=traceability.SHIPMENT,
                item_sku=line.item_sku,
                lot=line.lot,
                quantity=Decimal(line.quantity.value),
                document_id=shipment.number,
                document_line=str(line.line),
                supplier="",
                supplier_lot="",
                customer=shipment.customer,
                actor=envelope.actor,
                at=now,
            )
            for n, line in enumerate(shipment.lines)
        ],
    )
