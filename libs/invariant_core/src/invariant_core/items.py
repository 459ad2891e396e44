"""Items as a service other than the catalog sees them: its replica first, the catalog on a miss.

A service keeps the items it works with in a replica of its own, filled by the catalog's
events. An item the replica lacks (its event not applied yet) is read from the catalog over
gRPC and kept; this happens before a command's transaction opens, so that no remote call
holds locks.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from contextlib import AsyncExitStack
from decimal import Decimal
from typing import Protocol

import grpc

from invariant.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from invariant.events.v1 import catalog_pb2 as catalog_events
from invariant_core import rpc
from invariant_core.db import UnitOfWork, UnitOfWorkFactory
from invariant_core.rpc import from_rpc_error
from invariant_core.settings import Settings
from invariant_kernel.errors import DomainError, ErrorCode, ItemsNotReplicatedError, not_found
from invariant_kernel.units import ItemView


class ItemReplica(Protocol):
    """Where a service keeps the catalog's items, in its own tables."""

    async def views(self, uow: UnitOfWork, skus: Collection[str]) -> dict[str, ItemView]: ...

    async def sku_of_barcode(self, uow: UnitOfWork, code: str) -> str | None: ...

    async def keep(self, uow: UnitOfWork, item: catalog_pb2.Item) -> None: ...


class ReplicatedItems:
    def __init__(
        self, uows: UnitOfWorkFactory, catalog: catalog_pb2_grpc.CatalogServiceStub, replica: ItemReplica
    ) -> None:
        self._uows = uows
        self._catalog = catalog
        self._replica = replica

    async def view(self, sku: str, field: str = "item_sku") -> ItemView:
        return (await self.views({sku: field}))[sku.strip().upper()]

    async def views(self, fields: Mapping[str, str]) -> dict[str, ItemView]:
        """Many items (SKU → the request field naming it), by their normalised SKU: one read
        of the replica, the catalog only for what it lacks."""
        codes: dict[str, str] = {}
        for sku, field in fields.items():
            code = sku.strip().upper()
            if not code:
                raise DomainError(ErrorCode.REQUIRED, f"{field} is required", field)
            codes.setdefault(code, field)
        async with self._uows.reader() as uow:
            found = await self._replica.views(uow, list(codes))
        for code, field in codes.items():
            if code not in found:
                found[code] = await self._fetch(catalog_pb2.GetItemRequest(sku=code), "item", code, field)
        return found

    async def read_through(self, refused: Exception) -> bool:
        """A command's remedy (invariant_core.commands): the items it was refused for, read
        through to the catalog, so that it succeeds when run again."""
        if not isinstance(refused, ItemsNotReplicatedError):
            return False
        for code, field in refused.barcodes:
            await self.sku_of_barcode(code, field)
        if refused.missing:
            await self.views(dict(refused.missing))
        return True

    async def sku_of_barcode(self, barcode: str, field: str) -> str:
        code = barcode.strip()
        async with self._uows.reader() as uow:
            sku = await self._replica.sku_of_barcode(uow, code)
        if sku is not None:
            return sku
        return (await self._fetch(catalog_pb2.GetItemByBarcodeRequest(code=code), "barcode", code, field)).sku

    async def _fetch(
        self, request: catalog_pb2.GetItemRequest | catalog_pb2.GetItemByBarcodeRequest, what: str, key: str, field: str
    ) -> ItemView:
        """An item the replica lacks, asked of the catalog and kept in the replica."""
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
        async with self._uows() as uow:
            await self._replica.keep(uow, item)
            await uow.commit()
        return item_view(item)


CATALOG = catalog_pb2.DESCRIPTOR.services_by_name["CatalogService"].full_name


def read_through_catalog(
    uows: UnitOfWorkFactory, settings: Settings, stack: AsyncExitStack, replica: ItemReplica
) -> ReplicatedItems:
    """The service's items, read through to the catalog at its address; the channel closes with the stack."""
    channel = rpc.channel(settings.peers["catalog"], [CATALOG])
    stack.push_async_callback(channel.close)
    return ReplicatedItems(uows, catalog_pb2_grpc.CatalogServiceStub(channel), replica)  # type: ignore[no-untyped-call]


def item_view(item: catalog_pb2.Item | catalog_events.ItemUpserted) -> ItemView:
    """What a service needs of an item, from the catalog's answer or its event."""
    units = {u.unit: Decimal(u.factor.value) for u in item.units}
    return ItemView(item.sku, item.base_unit, units, item.lot_tracked)
