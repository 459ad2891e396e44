"""Items as counting sees them: the local replica first, the catalog over gRPC on a miss."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import grpc

from counting.adapters.repository import CountingRepository
from invariant.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from invariant_core.db import UnitOfWorkFactory
from invariant_core.errors import DomainError, ErrorCode, not_found
from invariant_core.rpc import from_rpc_error
from invariant_core.units import ItemView


class ReplicatedItems:
    def __init__(self, uows: UnitOfWorkFactory, catalog: catalog_pb2_grpc.CatalogServiceStub) -> None:
        self._uows = uows
        self._catalog = catalog

    async def views(self, fields: Mapping[str, str]) -> dict[str, ItemView]:
        """The items named (sku → the request field that named it), read in one query; the
        catalog is asked for those the replica lacks. Resolved before a command's transaction
        opens: the remote call never holds locks."""
        for sku, field in fields.items():
            if not sku.strip():
                raise DomainError(ErrorCode.REQUIRED, f"{field} is required", field)
        async with self._uows.reader() as uow:
            found = {sku: view for sku, (view, _) in (await CountingRepository(uow.session).items(fields)).items()}
        for sku in fields.keys() - found.keys():
            found[sku] = await self._fetch(catalog_pb2.GetItemRequest(sku=sku), "item", sku, fields[sku])
        return found

    async def sku_of_barcode(self, barcode: str, field: str) -> str:
        code = barcode.strip()
        async with self._uows.reader() as uow:
            sku = await CountingRepository(uow.session).sku_of_barcode(code)
        if sku is not None:
            return sku
        return (await self._fetch(catalog_pb2.GetItemByBarcodeRequest(code=code), "barcode", code, field)).sku

    async def _fetch(self, request: object, what: str, key: str, field: str) -> ItemView:
        try:
            if isinstance(request, catalog_pb2.GetItemByBarcodeRequest):
                item = await self._catalog.GetItemByBarcode(request)
            else:
                item = await self._catalog.GetItem(request)
        except grpc.aio.AioRpcError as error:
            refused = from_rpc_error(error)
            if refused.code is ErrorCode.NOT_FOUND:
                raise not_found(what, key, field) from None
            raise refused from None
        view = ItemView(
            item.sku, item.base_unit, {u.unit: Decimal(u.factor.value) for u in item.units}, item.lot_tracked
        )
        async with self._uows() as uow:
            await CountingRepository(uow.session).save_item(
                view, Decimal(item.standard_cost.value or "0"), [b.code for b in item.barcodes], item.version
            )
            await uow.commit()
        return view
