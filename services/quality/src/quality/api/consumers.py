"""Quality's event consumer: stock's movements, of which those that put goods into QC_HOLD
(receipts and returns) each open an inspection lot, once."""

from __future__ import annotations

from invariant.events.v1 import envelope_pb2
from invariant.events.v1 import stock_pb2 as stock_events
from invariant_core.bus import Subscription
from invariant_core.db import UnitOfWork
from quality.adapters.repository import SqlQualityRepository
from quality.domain.commands import HeldMovement
from quality.service import handlers

MOVEMENT_POSTED = "inventory.stock.movement.posted"


def subscriptions() -> list[Subscription]:
    """The durable consumers quality runs, each with its handler."""
    # Of stock's facts only movements: a receipt is published as receipt.posted too, and a
    # lot keyed on the movement opened from either would be opened from one of them only.
    return [
        Subscription(
            durable="quality-movements",
            subject=MOVEMENT_POSTED,
            handler=apply_movement,
            fact_id=movement_id,
            wants=puts_on_hold,
        )
    ]


def held_movement(envelope: envelope_pb2.Envelope) -> HeldMovement | None:
    """The movement an event states, if it is a receipt or return into QC_HOLD."""
    if envelope.type != MOVEMENT_POSTED:
        return None
    movement = stock_events.MovementPosted()
    envelope.payload.Unpack(movement)
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
    )
    if held.movement_type not in handlers.INCOMING or held.status != handlers.QC_HOLD:
        return None
    return held


def movement_id(envelope: envelope_pb2.Envelope) -> str:
    """A movement opens its lot once, whatever envelope it comes in."""
    held = held_movement(envelope)
    return held.movement_id if held is not None else ""


async def puts_on_hold(envelope: envelope_pb2.Envelope) -> bool:
    return held_movement(envelope) is not None


async def apply_movement(envelope: envelope_pb2.Envelope, uow: UnitOfWork) -> None:
    held = held_movement(envelope)
    if held is not None:
        await handlers.open_lot_for_movement(uow, SqlQualityRepository(uow.session), held)
