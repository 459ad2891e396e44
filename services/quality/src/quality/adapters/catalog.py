"""The catalog's items as quality asks for them: read from the catalog before a command's
transaction (quality keeps no replica: it reads an item only to draft a plan or hold stock)."""

from __future__ import annotations

from decimal import Decimal

import grpc

from invariant.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from invariant_core.items import item_view
from invariant_core.rpc import from_rpc_error
from invariant_kernel.errors import DomainError, ErrorCode, not_found
from invariant_kernel.units import ItemView


class CatalogItems:
    def __init__(self, catalog: catalog_pb2_grpc.CatalogServiceStub) -> None:
        self._catalog = catalog

    async def view(self, sku: str, field: str) -> ItemView:
        code = sku.strip().upper()
        if not code:
            raise DomainError(ErrorCode.REQUIRED, f"{field} is required", field)
        try:
            item = await self._catalog.GetItem(catalog_pb2.GetItemRequest(sku=code))
        except grpc.aio.AioRpcError as error:
            refused = from_rpc_error(error)
            if refused.code is ErrorCode.NOT_FOUND:
                raise not_found("item", code, field) from None
            raise refused from None
        return item_view(item)

    async def standard_cost(self, sku: str) -> Decimal | None:
        try:
            item = await self._catalog.GetItem(catalog_pb2.GetItemRequest(sku=sku))
        except grpc.aio.AioRpcError as error:
            raise from_rpc_error(error) from None
        return Decimal(item.standard_cost.value) if item.standard_cost.value else None
