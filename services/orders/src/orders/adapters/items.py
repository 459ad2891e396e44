"""Orders' replica of the catalog's items and their barcodes (invariant_core.items reads it through)."""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal

from invariant.catalog.v1 import catalog_pb2
from invariant.events.v1 import catalog_pb2 as catalog_events
from invariant_core.db import UnitOfWork
from invariant_core.items import item_view
from invariant_kernel.units import ItemView
from orders.adapters.repository import SqlOrdersRepository
from orders.service.ports import ProductionFacts


class OrdersItemReplica:
    async def views(self, uow: UnitOfWork, skus: Collection[str]) -> dict[str, ItemView]:
        return await SqlOrdersRepository(uow.session).item_views(skus)

    async def sku_of_barcode(self, uow: UnitOfWork, code: str) -> str | None:
        return await SqlOrdersRepository(uow.session).sku_of_barcode(code)

    async def keep(self, uow: UnitOfWork, item: catalog_pb2.Item) -> None:
        await SqlOrdersRepository(uow.session).save_item(
            item_view(item), [b.code for b in item.barcodes], item.version, production_of(item), item.inspect_on_receipt
        )


def production_of(item: catalog_pb2.Item | catalog_events.ItemUpserted) -> ProductionFacts:
    """What work orders need of the catalog's item, from its answer or its event."""
    cost = item.standard_cost.value
    return ProductionFacts(Decimal(cost) if cost else None, item.inspect_on_production)
