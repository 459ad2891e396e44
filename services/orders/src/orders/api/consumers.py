"""Orders' event consumers: the catalog's items."""

from __future__ import annotations

from invariant.events.v1 import catalog_pb2, envelope_pb2
from invariant_core.bus import Subscription
from invariant_core.db import UnitOfWork
from invariant_core.items import item_view
from orders.adapters.repository import SqlOrdersRepository


def subscriptions() -> list[Subscription]:
    """The durable consumers orders runs, each with its handler."""
    return [Subscription(durable="orders-catalog", subject="inventory.catalog.>", handler=apply_catalog_event)]


async def apply_catalog_event(envelope: envelope_pb2.Envelope, uow: UnitOfWork) -> None:
    """Keep the item replica (units, barcodes); other catalog facts are ignored."""
    if envelope.type != "inventory.catalog.item.upserted":
        return
    item = catalog_pb2.ItemUpserted()
    envelope.payload.Unpack(item)
    await SqlOrdersRepository(uow.session).save_item(
        item_view(item), item.barcodes, item.version, item.inspect_on_receipt
    )
