"""Items as stock sees them: the local replica first, the catalog over gRPC on a miss."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import grpc

from invariant.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from invariant_core.db import UnitOfWorkFactory
from invariant_core.errors import DomainError, ErrorCode, not_found
from invariant_core.rpc import from_rpc_error
from stock.adapters.events import item_view
from stock.adapters.repository import SqlStockRepository
from stock.domain import ItemView


class ReplicatedItems:
    def __init__(self, uows: UnitOfWorkFactory, catalog: catalog_pb2_grpc.CatalogServiceStub) -> None:
        self._uows = uows
        self._catalog = catalog

    async def view(self, sku: str, field: str = "item_sku") -> ItemView:
        """Resolved before a command's transaction opens: the remote call never holds locks."""
        code = sku.strip().upper()
        _require(code, field)
        async with self._uows.reader() as uow:
            found = await SqlStockRepository(uow.session).item(code)
        return found if found is not None else await self._from_catalog(code, field)

    async def _from_catalog(self, code: str, field: str) -> ItemView:
        """An item the replica lacks, asked of the catalog and kept in the replica."""
        try:
            item = await self._catalog.GetItem(catalog_pb2.GetItemRequest(sku=code))
        except grpc.aio.AioRpcError as error:
            refused = from_rpc_error(error)
            if refused.code is ErrorCode.NOT_FOUND:
                raise not_found("item", code, field) from None
            raise refused from None
        view = item_view(item.sku, item.base_unit, item.units, item.lot_tracked)
        async with self._uows() as uow:
            repo = SqlStockRepository(uow.session)
            await repo.save_item(view, Decimal(item.standard_cost.value or "0"), item.version)
            for limits in item.thresholds:
                await repo.save_thresholds(
                    item.sku, limits.warehouse, Decimal(limits.safety_stock.value), Decimal(limits.max_stock.value)
                )
            await uow.commit()
        return view

    async def views(self, fields: Mapping[str, str]) -> dict[str, ItemView]:
        """Many items (SKU → the field naming it): one read of the replica, the catalog only for what it lacks."""
        codes: dict[str, str] = {}
        for sku, field in fields.items():
            codes.setdefault(sku.strip().upper(), field)
        async with self._uows.reader() as uow:
            found = await SqlStockRepository(uow.session).items([code for code in codes if code])
        for code, field in codes.items():
            _require(code, field)
            if code not in found:
                found[code] = await self._from_catalog(code, field)
        return found


def _require(code: str, field: str) -> None:
    if not code:
        raise DomainError(ErrorCode.REQUIRED, f"{field} is required", field)
