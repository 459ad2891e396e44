"""Orders' event consumers: the catalog's items, and stock's changes that backorders and
reservations follow (stock coming in, reservations given back, shortages)."""

from __future__ import annotations

from decimal import Decimal
from functools import partial

from invariant.events.v1 import catalog_pb2, envelope_pb2
from invariant_core.bus import Subscription
from invariant_core.db import UnitOfWork
from invariant_core.items import item_view
from orders.adapters.items import production_of
from orders.adapters.repository import SqlOrdersRepository
from orders.adapters.stock import availability_rise, shortage_of, stock_fact_id
from orders.service import fulfilment
from orders.service.ports import Backorders, Reading, Releases

ITEM_UPSERTED = "inventory.catalog.item.upserted"
SHORTAGE = "inventory.stock.shortage"


def subscriptions(reading: Reading, backorders: Backorders, releases: Releases) -> list[Subscription]:
    """The durable consumers orders runs, each with its handler."""

    async def item(envelope: envelope_pb2.Envelope) -> bool:
        return envelope.type == ITEM_UPSERTED

    async def awaited(envelope: envelope_pb2.Envelope) -> bool:
        """Stock made available where a line waits for it."""
        rise = availability_rise(envelope)
        if rise is None:
            return False
        async with reading() as repo:
            return await repo.waits_for(rise[0], rise[1])

    stock = partial(apply_stock_event, backorders, releases)
    # Of stock's facts, on consumers of their own (NATS before 2.10 takes one filter each), so
    # that the many orders does not act on (a count's receipts and adjustments published again
    # by kind, reservations made) are never delivered here.
    return [
        Subscription(durable="orders-catalog", subject="inventory.catalog.>", handler=apply_catalog_event, wants=item),
        Subscription(
            durable="orders-movements",
            subject="inventory.stock.movement.posted",
            handler=stock,
            fact_id=stock_fact_id,
            wants=awaited,
        ),
        Subscription(
            durable="orders-reservations",
            subject="inventory.stock.reservation.*",
            handler=stock,
            fact_id=stock_fact_id,
            wants=awaited,
        ),
        Subscription(durable="orders-shortages", subject=SHORTAGE, handler=stock, fact_id=stock_fact_id),
    ]


async def apply_catalog_event(envelope: envelope_pb2.Envelope, uow: UnitOfWork) -> None:
    """Keep the item replica (units, barcodes); other catalog facts are ignored."""
    if envelope.type != ITEM_UPSERTED:
        return
    item = catalog_pb2.ItemUpserted()
    envelope.payload.Unpack(item)
    await SqlOrdersRepository(uow.session).save_item(
        item_view(item), item.barcodes, item.version, production_of(item), item.inspect_on_receipt
    )


async def apply_stock_event(
    backorders: Backorders, releases: Releases, envelope: envelope_pb2.Envelope, uow: UnitOfWork
) -> None:
    """Stock that became available fills the backorders waiting for it; the asks are keyed
    by the event, so that it is acted on once."""
    cause = stock_fact_id(envelope) or envelope.id
    repo = SqlOrdersRepository(uow.session)
    if envelope.type == SHORTAGE:
        shortage = shortage_of(envelope)
        short_by = Decimal(shortage.short_by.value)
        await fulfilment.shortage_found(backorders, releases, uow, repo, set(shortage.reservation_ids), short_by, cause)
        return
    rise = availability_rise(envelope)
    if rise is not None:
        item_sku, warehouse, quantity = rise
        await fulfilment.fill_backorders(backorders, uow, repo, item_sku, warehouse, quantity, cause)
