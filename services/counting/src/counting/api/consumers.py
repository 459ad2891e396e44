"""Counting's event consumers: the catalog's items, stock's confirmations of posted counts,
and the stock and orders facts planning keeps."""

from __future__ import annotations

import uuid
from datetime import UTC
from decimal import Decimal

from google.protobuf.message import Message

from counting.adapters.planning import SqlCountingRepository
from counting.domain.planning import Trigger
from counting.service import handlers, planning
from invariant.events.v1 import catalog_pb2, envelope_pb2, orders_pb2
from invariant.events.v1 import stock_pb2 as stock_events
from invariant_core.bus import Replica, Subscription, reading_through
from invariant_core.db import UnitOfWork
from invariant_core.items import item_view
from invariant_kernel.codes import normalise_warehouse


def subscriptions(items: Replica) -> list[Subscription]:
    """The durable consumers counting runs, each with its handler."""
    return [
        Subscription(durable="counting-catalog", subject="inventory.catalog.>", handler=apply_catalog_event),
        Subscription(
            durable="counting-stock", subject="inventory.stock.count.adjustments.posted", handler=apply_stock_event
        ),
        # Planning's facts on consumers of their own, so that a count's posting is never
        # confirmed behind them (NATS before 2.10 takes one filter per consumer).
        Subscription(
            durable="counting-issues",
            subject="inventory.stock.issue.posted",
            handler=apply_planning_event,
            prepare=reading_through(items, items_named),
            fact_id=planning_fact_id,
        ),
        Subscription(
            durable="counting-shortages",
            subject="inventory.stock.shortage",
            handler=apply_planning_event,
            fact_id=planning_fact_id,
        ),
        Subscription(
            durable="counting-negatives",
            subject="inventory.stock.negative_balance.attempted",
            handler=apply_planning_event,
            fact_id=planning_fact_id,
        ),
        Subscription(
            durable="counting-failed-picks",
            subject="inventory.orders.pick.failed",
            handler=apply_failed_pick,
            fact_id=failed_pick_id,
        ),
    ]


async def apply_catalog_event(envelope: envelope_pb2.Envelope, uow: UnitOfWork) -> None:
    """Keep the item replica (units, barcodes, standard cost); other catalog facts are ignored."""
    if envelope.type != "inventory.catalog.item.upserted":
        return
    item = catalog_pb2.ItemUpserted()
    envelope.payload.Unpack(item)
    view = item_view(item)
    await SqlCountingRepository(uow.session).save_item(
        view, Decimal(item.standard_cost.value or "0"), item.barcodes, item.version
    )


async def apply_stock_event(envelope: envelope_pb2.Envelope, uow: UnitOfWork) -> None:
    """Stock confirms the lines of an approved count it posted."""
    if envelope.type != "inventory.stock.count.adjustments.posted":
        return
    posted = stock_events.CountAdjustmentsPosted()
    envelope.payload.Unpack(posted)
    await handlers.confirm_posted(
        uow,
        SqlCountingRepository(uow.session),
        posted.count_id,
        {line.line_id: line.movement_id for line in posted.lines},
    )


# What planning keeps of stock's facts, by event type.
_PLANNING_FACTS: dict[str, type[Message]] = {
    "inventory.stock.issue.posted": stock_events.MovementPosted,
    "inventory.stock.shortage": stock_events.Shortage,
    "inventory.stock.negative_balance.attempted": stock_events.NegativeBalanceAttempted,
}


def _planning_fact(envelope: envelope_pb2.Envelope) -> Message | None:
    kind = _PLANNING_FACTS.get(envelope.type)
    if kind is None:
        return None
    fact = kind()
    envelope.payload.Unpack(fact)
    return fact


async def apply_planning_event(envelope: envelope_pb2.Envelope, uow: UnitOfWork) -> None:
    """What planning keeps of stock's facts: issues as issue value for ABC classes, shortages
    and attempted negative balances as reasons to count the item. Other stock facts are ignored."""
    at = envelope.occurred_at.ToDatetime(tzinfo=UTC)
    repo = SqlCountingRepository(uow.session)
    match _planning_fact(envelope):
        case stock_events.MovementPosted() as moved:
            await planning.add_issue(
                repo,
                getattr(moved, "from").warehouse,
                moved.item_sku,
                moved.business_time.ToDatetime(tzinfo=UTC).date(),
                Decimal(moved.quantity.value),
            )
        case stock_events.Shortage() as short:
            await repo.record_trigger(short.warehouse, short.item_sku, Trigger.SHORTAGE, at)
        case stock_events.NegativeBalanceAttempted() as attempt:
            await repo.record_trigger(attempt.place.warehouse, attempt.item_sku, Trigger.NEGATIVE_BALANCE_ATTEMPT, at)


def planning_fact_id(envelope: envelope_pb2.Envelope) -> str:
    """The id of a stock fact planning keeps (an issue's movement, a shortage, an attempt): an
    issue's value adds up, so a fact republished in another envelope must count once."""
    match _planning_fact(envelope):
        case stock_events.MovementPosted() as moved:
            return moved.movement_id
        case stock_events.Shortage() | stock_events.NegativeBalanceAttempted() as fact:
            return str(fact.id)
    return ""


def _failed_pick(envelope: envelope_pb2.Envelope) -> orders_pb2.PickFailed | None:
    if envelope.type != "inventory.orders.pick.failed":
        return None
    failed = orders_pb2.PickFailed()
    envelope.payload.Unpack(failed)
    return failed


async def apply_failed_pick(envelope: envelope_pb2.Envelope, uow: UnitOfWork) -> None:
    """A pick that found the shelf short: the item is due for a spot count of that place."""
    failed = _failed_pick(envelope)
    if failed is None:
        return
    await SqlCountingRepository(uow.session).record_failed_pick(
        normalise_warehouse(failed.warehouse),
        failed.item_sku.strip().upper(),
        failed.location.strip().upper(),
        envelope.occurred_at.ToDatetime(tzinfo=UTC),
    )


def failed_pick_id(envelope: envelope_pb2.Envelope) -> str:
    """A failed pick's identity (its order and its number there), in the inbox's length: the
    place's latest time must not move on a republished pick."""
    failed = _failed_pick(envelope)
    if failed is None or not failed.order_id or not failed.pick:
        return ""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{failed.order_id}/picks/{failed.pick}"))


def items_named(envelope: envelope_pb2.Envelope) -> dict[str, str]:
    """The items an event consumed here names (SKU → its field), to be read through before it is applied."""
    if envelope.type != "inventory.stock.issue.posted":
        return {}
    moved = stock_events.MovementPosted()
    envelope.payload.Unpack(moved)
    return {moved.item_sku: "item_sku"}
