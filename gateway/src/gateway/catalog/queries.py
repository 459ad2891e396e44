"""Catalog reads: any authenticated user may ask."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Annotated

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
from gateway.nodes import local_id
from gateway.pagination import After, Before, Connection, First, Last, connection, page_request
from invariant.catalog.v1 import catalog_pb2

UNIT_HELP = "The base unit or one of the item's units, in any case; empty means the base unit."


@strawberry.type
class CatalogQuery:
    @described.field("The item with this SKU, or null when there is none.")
    async def item(
        self,
        info: Info,
        sku: Annotated[str, strawberry.argument(description="The SKU, in any case; surrounding spaces are ignored.")],
    ) -> Item | None:
        return await load_item(info, sku)

    @described.field("The item carrying this barcode (what a scanner app looks up), or null when none does.")
    async def item_by_barcode(
        self,
        info: Info,
        code: Annotated[
            str, strawberry.argument(description="The code exactly as scanned; surrounding spaces are ignored.")
        ],
    ) -> Item | None:
        stub = info.context.stubs.catalog
        proto = await call_or_none(lambda: stub.GetItemByBarcode(catalog_pb2.GetItemByBarcodeRequest(code=code)))
        return Item.from_proto(proto) if proto is not None else None

    @described.field("Items whose SKU or name starts with `prefix` (case-insensitive), in SKU order.")
    async def items(
        self,
        info: Info,
        prefix: Annotated[
            str, strawberry.argument(description="The start of the SKU or of the name, in any case; empty lists all.")
        ] = "",
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Item]:
        page = page_request(first, after, last, before)
        stub = info.context.stubs.catalog
        request = catalog_pb2.SearchItemsRequest(prefix=prefix, **page.fields)
        reply = await call(lambda: stub.SearchItems(request))
        items = [Item.from_proto(item) for item in reply.items]
        return connection(items, reply.cursors, page, reply.next_page_token)

    @described.field(
        "`quantity` of the item in `fromUnit`, expressed in `toUnit`. An unknown SKU or unit is an error "
        "(NOT_FOUND), not null."
    )
    async def convert_quantity(
        self,
        info: Info,
        sku: Annotated[str, strawberry.argument(description="The item whose units are used, in any case.")],
        quantity: Annotated[
            decimal.Decimal,
            strawberry.argument(description="The quantity to convert, in `fromUnit`; at most 6 decimal places."),
        ],
        from_unit: Annotated[str, strawberry.argument(description=f"The unit `quantity` is in. {UNIT_HELP}")],
        to_unit: Annotated[str, strawberry.argument(description=f"The unit wanted. {UNIT_HELP}")],
    ) -> ConvertedQuantity:
        stub = info.context.stubs.catalog
        request = catalog_pb2.ConvertQuantityRequest(
            sku=sku, quantity=decimal_to_proto(quantity), from_unit=from_unit, to_unit=to_unit
        )
        return ConvertedQuantity.from_proto(await call(lambda: stub.ConvertQuantity(request)))

    @described.field(
        "The BOM versions of a parent item, in every state, by version number (oldest first). An unknown SKU is "
        "an error (NOT_FOUND)."
    )
    async def bom_versions(
        self,
        info: Info,
        parent_sku: Annotated[str, strawberry.argument(description="The parent item's SKU, in any case.")],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[BomVersion]:
        page = page_request(first, after, last, before)
        stub = info.context.stubs.catalog
        request = catalog_pb2.ListBomVersionsRequest(parent_sku=parent_sku, **page.fields)
        reply = await call(lambda: stub.ListBomVersions(request))
        versions = [BomVersion.from_proto(version) for version in reply.versions]
        return connection(versions, reply.cursors, page, reply.next_page_token)

    @described.field(
        "The BOM version with this id, or null when there is none. An id of another type is an error (INVALID_FORMAT)."
    )
    async def bom_version(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID, strawberry.argument(description="The BOM version's `id` (a global id, as `node` takes).")
        ],
    ) -> BomVersion | None:
        request = catalog_pb2.GetBomVersionRequest(bom_id=local_id(id, BomVersion, "id"))
        stub = info.context.stubs.catalog
        proto = await call_or_none(lambda: stub.GetBomVersion(request))
        return BomVersion.from_proto(proto) if proto is not None else None

    @described.field(
        "Components needed for `quantity` of the parent (in its base unit), "
        "through the versions effective on `asOf` (default today). An error (NOT_FOUND) when the parent "
        "is unknown or has no BOM in effect that day."
    )
    async def explode_bom(
        self,
        info: Info,
        parent_sku: Annotated[str, strawberry.argument(description="The item to make, in any case.")],
        quantity: Annotated[
            decimal.Decimal,
            strawberry.argument(
                description="How much of it to make, in its base unit; greater than zero, at most 6 decimal places."
            ),
        ],
        as_of: Annotated[
            dt.date | None, strawberry.argument(description="The day whose BOM versions are used; null means today.")
        ] = None,
    ) -> BomExplosion:
        stub = info.context.stubs.catalog
        request = catalog_pb2.ExplodeBomRequest(parent_sku=parent_sku, quantity=decimal_to_proto(quantity))
        if as_of is not None:
            request.as_of.CopyFrom(date_to_proto(as_of))
        return BomExplosion.from_proto(await call(lambda: stub.ExplodeBom(request)))

    @described.field(
        "Every parent that uses the component, directly or through other BOMs: one entry per DRAFT or ACTIVE "
        "version and path. Depth-first from the component: the parents of one component in SKU order, each "
        "followed by its own users; a parent's versions one after another. An unknown SKU is an error (NOT_FOUND)."
    )
    async def where_used(
        self,
        info: Info,
        component_sku: Annotated[str, strawberry.argument(description="The component's SKU, in any case.")],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Usage]:
        page = page_request(first, after, last, before)
        stub = info.context.stubs.catalog
        request = catalog_pb2.WhereUsedRequest(component_sku=component_sku, **page.fields)
        reply = await call(lambda: stub.WhereUsed(request))
        usages = [Usage.from_proto(usage) for usage in reply.usages]
        return connection(usages, reply.cursors, page, reply.next_page_token)

    @described.field(
        "Changes to the item, its thresholds and the BOMs it is the parent of, oldest first. An unknown SKU is "
        "an error (NOT_FOUND)."
    )
    async def item_audit(
        self,
        info: Info,
        sku: Annotated[str, strawberry.argument(description="The item's SKU, in any case.")],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[AuditEntry]:
        page = page_request(first, after, last, before)
        stub = info.context.stubs.catalog
        request = catalog_pb2.ListAuditRequest(sku=sku, **page.fields)
        reply = await call(lambda: stub.ListAudit(request))
        entries = [AuditEntry.from_proto(entry) for entry in reply.entries]
        return connection(entries, reply.cursors, page, reply.next_page_token)
