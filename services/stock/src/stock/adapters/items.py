"""Stock's replica of the catalog's items (invariant_core.items reads it through)."""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal

from invariant.catalog.v1 import catalog_pb2
from invariant_core.db import UnitOfWork
from invariant_core.items import item_view
from stock.adapters.repository import SqlStockRepository
from stock.domain import ItemView


class StockItemReplica:
    async def views(self, uow: UnitOfWork, skus: Collection[str]) -> dict[str, ItemView]:
        return await SqlStockRepository(uow.session).items(skus)

    async def sku_of_barcode(self, uow: UnitOfWork, code: str) -> str | None:
        """Stock keeps no barcodes: whoever asks, asks the catalog."""
        return None

    async def keep(self, uow: UnitOfWork, item: catalog_pb2.Item) -> None:
        repo = SqlStockRepository(uow.session)
        await repo.save_item(item_view(item), Decimal(item.standard_cost.value or "0"), item.version)
        for limits in item.thresholds:
            await repo.save_thresholds(
                item.sku, limits.warehouse, Decimal(limits.safety_stock.value), Decimal(limits.max_stock.value)
            )
