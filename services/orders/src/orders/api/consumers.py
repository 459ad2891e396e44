"""Orders' event consumers: the catalog's items, and stock coming in for backorders."""

from __future__ import annotations

from functools import partial

from invariant.events.v1 import catalog_pb2, envelope_pb2
from invariant_core.bus import Subscription
from invariant_core.db import UnitOfWork
from invariant_core.items import item_view
from orders.adapters.repository import SqlOrdersRepository
from orders.adapters.stock import availability_rise, stock_fact_id
from orders.service import fulfilment
from orders.service.ports import Backorders


def subscriptions(backorders: Backorders) -> list[Subscription]:
    """The durable consumers orders runs, each with its handler."""
    return [
        Subscription(durable="orders-catalog", subject="inventory.catalog.>", handler=apply_catalog_event),
        Subscription(
            durable="orders-stock",
            subject="inventory.stock.>",
            handler=partial(apply_stock_event, backorders),
            fact_id=stock_fact_id,
        ),
    ]


async def apply_catalog_event(envelope: envelope_pb2.Envelope, uow: UnitOfWork) -> None:
    """Keep the item replica (units, barcodes); other catalog facts are ignored."""
    if envelope.type != "inventory.catalog.item.upserted":
        return
    item = catalog_pb2.ItemUpserted()
    envelope.payload.Unpack(item)
    await SqlOrdersRepository(uow.session).save_item(item_view(item), item.barcodes, item.version)


async def apply_stock_event(backorders: Backorders, envelope: envelope_pb2.Envelope, uow: UnitOfWork) -> None:
    """Stock that became available fills the backorders waiting for it; the asks are keyed
    by the event, so that it is acted on once."""
    rise = availability_rise(envelope)
    if rise is None:
        return
    item_sku, warehouse, quantity = rise
    cause = stock_fact_id(envelope) or envelope.id
    await fulfilment.fill_backorders(
        backorders, uow, SqlOrdersRepository(uow.session), item_sku, warehouse, quantity, cause
    )
