"""Counting's replica of the catalog's items and their barcodes (invariant_core.items reads it through)."""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal

from counting.adapters.repository import CountingRepository
from invariant.catalog.v1 import catalog_pb2
from invariant_core.db import UnitOfWork
from invariant_core.items import item_view
from invariant_kernel.units import ItemView


class CountingItemReplica:
    async def views(self, uow: UnitOfWork, skus: Collection[str]) -> dict[str, ItemView]:
        return {sku: view for sku, (view, _) in (await CountingRepository(uow.session).items(skus)).items()}

    async def sku_of_barcode(self, uow: UnitOfWork, code: str) -> str | None:
        return await CountingRepository(uow.session).sku_of_barcode(code)

    async def keep(self, uow: UnitOfWork, item: catalog_pb2.Item) -> None:
        await CountingRepository(uow.session).save_item(
            item_view(item), Decimal(item.standard_cost.value or "0"), [b.code for b in item.barcodes], item.version
        )
