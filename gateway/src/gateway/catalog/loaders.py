"""Per-request DataLoaders, so nested fields ask the catalog once per distinct SKU."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from gateway.errors import call_or_none
from invariant.catalog.v1 import catalog_pb2, catalog_pb2_grpc


@dataclass(frozen=True)
class CatalogLoaders:
    item_by_sku: DataLoader[str, catalog_pb2.Item | None]

    @classmethod
    def create(cls, stub: catalog_pb2_grpc.CatalogServiceStub) -> CatalogLoaders:
        async def load_items(skus: list[str]) -> Sequence[catalog_pb2.Item | BaseException | None]:
            # There is no batch RPC: the loader has already removed duplicates, so
            # one concurrent GetItem per distinct SKU is the cheapest we can do.
            return await asyncio.gather(*(_get_item(stub, sku) for sku in skus), return_exceptions=True)

        return cls(item_by_sku=DataLoader(load_fn=load_items))


async def _get_item(stub: catalog_pb2_grpc.CatalogServiceStub, sku: str) -> catalog_pb2.Item | None:
    return await call_or_none(lambda: stub.GetItem(catalog_pb2.GetItemRequest(sku=sku)))
