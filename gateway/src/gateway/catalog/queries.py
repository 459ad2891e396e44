"""Catalog reads: any authenticated user may ask."""

from __future__ import annotations

import datetime as dt
import decimal

import strawberry

from gateway import described
from gateway.catalog.types import (
    AuditEntry,
    BomExplosion,
    BomVersion,
    ConvertedQuantity,
    Item,
    Usage,
    load_item,
)
from gateway.context import Info
from gateway.convert import date_to_proto, decimal_to_proto
from gateway.errors import call, call_or_none
from gateway.pagination import DEFAULT_PAGE_SIZE, Connection, connection, page_request
from invariant.catalog.v1 import catalog_pb2


@strawberry.type
class CatalogQuery:
    @described.field("The item with this SKU, or null.")
    async def item(self, info: Info, sku: str) -> Item | None:
        return await load_item(info, sku)

    @described.field("The item carrying this barcode, or null.")
    async def item_by_barcode(self, info: Info, code: str) -> Item | None:
        stub = info.context.stubs.catalog
        proto = await call_or_none(lambda: stub.GetItemByBarcode(catalog_pb2.GetItemByBarcodeRequest(code=code)))
        return Item.from_proto(proto) if proto is not None else None

    @described.field("Items whose SKU or name starts with `prefix` (case-insensitive).")
    async def items(
        self, info: Info, prefix: str = "", first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Connection[Item]:
        page = page_request(first, after)
        stub = info.context.stubs.catalog
        request = catalog_pb2.SearchItemsRequest(prefix=prefix, page_size=page.size, page_token=page.token)
        reply = await call(lambda: stub.SearchItems(request))
        return connection([Item.from_proto(item) for item in reply.items], page, reply.next_page_token)

    @described.field("`quantity` of the item in `fromUnit`, expressed in `toUnit`.")
    async def convert_quantity(
        self, info: Info, sku: str, quantity: decimal.Decimal, from_unit: str, to_unit: str
    ) -> ConvertedQuantity:
        stub = info.context.stubs.catalog
        request = catalog_pb2.ConvertQuantityRequest(
            sku=sku, quantity=decimal_to_proto(quantity), from_unit=from_unit, to_unit=to_unit
        )
        return ConvertedQuantity.from_proto(await call(lambda: stub.ConvertQuantity(request)))

    @described.field("Every BOM version of a parent item.")
    async def bom_versions(self, info: Info, parent_sku: str) -> list[BomVersion]:
        stub = info.context.stubs.catalog
        request = catalog_pb2.ListBomVersionsRequest(parent_sku=parent_sku)
        reply = await call(lambda: stub.ListBomVersions(request))
        return [BomVersion.from_proto(version) for version in reply.versions]

    @described.field("The BOM version with this id, or null.")
    async def bom_version(self, info: Info, id: strawberry.ID) -> BomVersion | None:
        stub = info.context.stubs.catalog
        proto = await call_or_none(lambda: stub.GetBomVersion(catalog_pb2.GetBomVersionRequest(bom_id=id)))
        return BomVersion.from_proto(proto) if proto is not None else None

    @described.field(
        "Components needed for `quantity` of the parent (in its base unit), "
        "through the versions effective on `asOf` (default today)."
    )
    async def explode_bom(
        self, info: Info, parent_sku: str, quantity: decimal.Decimal, as_of: dt.date | None = None
    ) -> BomExplosion:
        stub = info.context.stubs.catalog
        request = catalog_pb2.ExplodeBomRequest(parent_sku=parent_sku, quantity=decimal_to_proto(quantity))
        if as_of is not None:
            request.as_of.CopyFrom(date_to_proto(as_of))
        return BomExplosion.from_proto(await call(lambda: stub.ExplodeBom(request)))

    @described.field("Every parent that uses the component, directly or through other BOMs.")
    async def where_used(self, info: Info, component_sku: str) -> list[Usage]:
        stub = info.context.stubs.catalog
        reply = await call(lambda: stub.WhereUsed(catalog_pb2.WhereUsedRequest(component_sku=component_sku)))
        return [Usage.from_proto(usage) for usage in reply.usages]

    @described.field("Changes to the item, its thresholds and its BOMs.")
    async def item_audit(
        self, info: Info, sku: str, first: int = DEFAULT_PAGE_SIZE, after: str | None = None
    ) -> Connection[AuditEntry]:
        page = page_request(first, after)
        stub = info.context.stubs.catalog
        request = catalog_pb2.ListAuditRequest(sku=sku, page_size=page.size, page_token=page.token)
        reply = await call(lambda: stub.ListAudit(request))
        return connection([AuditEntry.from_proto(entry) for entry in reply.entries], page, reply.next_page_token)
