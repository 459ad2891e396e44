"""The catalog's gRPC API: translate, dispatch (or query), translate back."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import grpc

from catalog.domain import commands
from catalog.domain.boms import BomLine, BomVersion
from catalog.domain.items import Item
from catalog.service import handlers
from catalog.service.ports import AuditEntry, CatalogRepository
from invariant.catalog.v1 import catalog_pb2 as pb
from invariant.catalog.v1 import catalog_pb2_grpc
from invariant_core.commands import Dispatcher
from invariant_core.db import UnitOfWork, UnitOfWorkFactory
from invariant_core.messages import date_from_message, date_message, decimal_message
from invariant_core.paging import page_of, page_query

R = TypeVar("R")


class CatalogServicer(catalog_pb2_grpc.CatalogServiceServicer):
    def __init__(
        self,
        uows: UnitOfWorkFactory,
        repository: Callable[[UnitOfWork], CatalogRepository],
        dispatch: Dispatcher[CatalogRepository],
    ) -> None:
        self._uows = uows
        self._repository = repository
        self._dispatch = dispatch

    async def _query(self, body: Callable[[CatalogRepository], Awaitable[R]]) -> R:
        async with self._uows.reader() as uow:
            return await body(self._repository(uow))

    # items

    async def CreateItem(self, request: pb.CreateItemRequest, context: grpc.aio.ServicerContext) -> pb.Item:
        command = commands.CreateItem(
            sku=request.sku,
            name=request.name,
            base_unit=request.base_unit,
            units=[(u.unit, u.factor.value) for u in request.units],
            barcodes=[(b.code, b.symbology) for b in request.barcodes],
            standard_cost=request.standard_cost.value,
            lot_tracked=request.lot_tracked,
            inspect_on_receipt=request.inspect_on_receipt,
            inspect_on_production=request.inspect_on_production,
        )
        return await self._dispatch(request, command, pb.Item, item_message)

    async def UpdateItem(self, request: pb.UpdateItemRequest, context: grpc.aio.ServicerContext) -> pb.Item:
        def optional(field: str) -> Any:
            return getattr(request, field) if request.HasField(field) else None

        command = commands.UpdateItem(
            sku=request.sku,
            name=optional("name"),
            standard_cost=request.standard_cost.value if request.HasField("standard_cost") else None,
            lot_tracked=optional("lot_tracked"),
            inspect_on_receipt=optional("inspect_on_receipt"),
            inspect_on_production=optional("inspect_on_production"),
            status=optional("status"),
            units=[(u.unit, u.factor.value) for u in request.units] if request.replace_units else None,
            barcodes=[(b.code, b.symbology) for b in request.barcodes] if request.replace_barcodes else None,
        )
        return await self._dispatch(request, command, pb.Item, item_message)

    async def SetThresholds(self, request: pb.SetThresholdsRequest, context: grpc.aio.ServicerContext) -> pb.Item:
        command = commands.SetThresholds(
            sku=request.sku,
            warehouse=request.warehouse,
            safety_stock=request.safety_stock.value,
            max_stock=request.max_stock.value,
        )
        return await self._dispatch(request, command, pb.Item, item_message)

    async def GetItem(self, request: pb.GetItemRequest, context: grpc.aio.ServicerContext) -> pb.Item:
        async def body(repo: CatalogRepository) -> pb.Item:
            return item_message(await handlers.get_item(repo, sku=request.sku, item_id=request.id))

        return await self._query(body)

    async def GetItems(self, request: pb.GetItemsRequest, context: grpc.aio.ServicerContext) -> pb.GetItemsResponse:
        found = await self._query(lambda repo: handlers.get_items(repo, item_ids=request.ids))
        return pb.GetItemsResponse(items=[item_message(item) for item in found])

    async def GetItemByBarcode(self, request: pb.GetItemByBarcodeRequest, context: grpc.aio.ServicerContext) -> pb.Item:
        async def body(repo: CatalogRepository) -> pb.Item:
            return item_message(await handlers.get_item_by_barcode(repo, code=request.code))

        return await self._query(body)

    async def SearchItems(
        self, request: pb.SearchItemsRequest, context: grpc.aio.ServicerContext
    ) -> pb.SearchItemsResponse:
        page = page_query(request, str)

        async def body(repo: CatalogRepository) -> pb.SearchItemsResponse:
            found = page_of(await repo.search_items(request.prefix.strip(), page), page, lambda item: (item.sku,))
            return pb.SearchItemsResponse(
                items=[item_message(i) for i in found.rows],
                next_page_token=found.next_page_token,
                cursors=found.cursors,
            )

        return await self._query(body)

    async def ConvertQuantity(
        self, request: pb.ConvertQuantityRequest, context: grpc.aio.ServicerContext
    ) -> pb.ConvertQuantityResponse:
        async def body(repo: CatalogRepository) -> pb.ConvertQuantityResponse:
            quantity, unit = await handlers.convert_quantity(
                repo,
                sku=request.sku,
                quantity=request.quantity.value,
                from_unit=request.from_unit,
                to_unit=request.to_unit,
            )
            return pb.ConvertQuantityResponse(quantity=decimal_message(quantity), unit=unit)

        return await self._query(body)

    # BOMs

    async def CreateBomVersion(
        self, request: pb.CreateBomVersionRequest, context: grpc.aio.ServicerContext
    ) -> pb.BomVersion:
        command = commands.CreateBomVersion(
            parent_sku=request.parent_sku,
            effective_from=date_from_message(request.effective_from, "effective_from")
            if request.HasField("effective_from")
            else None,
            effective_to=date_from_message(request.effective_to, "effective_to")
            if request.HasField("effective_to")
            else None,
            copy_from_bom_id=request.copy_from_bom_id,
        )
        return await self._dispatch(request, command, pb.BomVersion, bom_message)

    async def AddBomLine(self, request: pb.AddBomLineRequest, context: grpc.aio.ServicerContext) -> pb.BomVersion:
        command = commands.AddBomLine(
            bom_id=request.bom_id,
            component_sku=request.component_sku,
            quantity=request.quantity.value,
            unit=request.unit,
            scrap_percent=request.scrap_percent.value,
        )
        return await self._dispatch(request, command, pb.BomVersion, bom_message)

    async def RemoveBomLine(self, request: pb.RemoveBomLineRequest, context: grpc.aio.ServicerContext) -> pb.BomVersion:
        command = commands.RemoveBomLine(bom_id=request.bom_id, line_id=request.line_id)
        return await self._dispatch(request, command, pb.BomVersion, bom_message)

    async def ActivateBomVersion(
        self, request: pb.ActivateBomVersionRequest, context: grpc.aio.ServicerContext
    ) -> pb.BomVersion:
        command = commands.ActivateBomVersion(bom_id=request.bom_id)
        return await self._dispatch(request, command, pb.BomVersion, bom_message)

    async def ObsoleteBomVersion(
        self, request: pb.ObsoleteBomVersionRequest, context: grpc.aio.ServicerContext
    ) -> pb.BomVersion:
        command = commands.ObsoleteBomVersion(bom_id=request.bom_id)
        return await self._dispatch(request, command, pb.BomVersion, bom_message)

    async def GetBomVersion(self, request: pb.GetBomVersionRequest, context: grpc.aio.ServicerContext) -> pb.BomVersion:
        async def body(repo: CatalogRepository) -> pb.BomVersion:
            return bom_message(await handlers.get_bom_version(repo, bom_id=request.bom_id))

        return await self._query(body)

    async def GetBomVersions(
        self, request: pb.GetBomVersionsRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetBomVersionsResponse:
        found = await self._query(lambda repo: handlers.get_bom_versions(repo, bom_ids=request.ids))
        return pb.GetBomVersionsResponse(versions=[bom_message(bom) for bom in found])

    async def GetBomLines(
        self, request: pb.GetBomLinesRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetBomLinesResponse:
        found = await self._query(lambda repo: handlers.get_bom_lines(repo, line_ids=request.ids))
        return pb.GetBomLinesResponse(lines=[line_message(line) for line in found])

    async def ListBomVersions(
        self, request: pb.ListBomVersionsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListBomVersionsResponse:
        page = page_query(request, int)

        async def body(repo: CatalogRepository) -> pb.ListBomVersionsResponse:
            versions = await handlers.list_bom_versions(repo, parent_sku=request.parent_sku, page=page)
            found = page_of(versions, page, lambda bom: (bom.version,))
            return pb.ListBomVersionsResponse(
                versions=[bom_message(v) for v in found.rows],
                next_page_token=found.next_page_token,
                cursors=found.cursors,
            )

        return await self._query(body)

    async def ExplodeBom(
        self, request: pb.ExplodeBomRequest, context: grpc.aio.ServicerContext
    ) -> pb.ExplodeBomResponse:
        async def body(repo: CatalogRepository) -> pb.ExplodeBomResponse:
            explosion = await handlers.explode_bom(
                repo,
                parent_sku=request.parent_sku,
                quantity=request.quantity.value,
                as_of=date_from_message(request.as_of, "as_of") if request.HasField("as_of") else None,
            )
            return pb.ExplodeBomResponse(
                requirements=[
                    pb.Requirement(
                        component_sku=r.component_sku,
                        quantity=decimal_message(r.quantity),
                        unit=r.unit,
                        leaf=r.leaf,
                    )
                    for r in explosion.requirements
                ],
                tree=[
                    pb.ExplosionNode(
                        level=n.level,
                        path=list(n.path),
                        component_sku=n.component_sku,
                        quantity=decimal_message(n.quantity),
                        unit=n.unit,
                        bom_id=n.bom_id,
                    )
                    for n in explosion.tree
                ],
            )

        return await self._query(body)

    async def WhereUsed(self, request: pb.WhereUsedRequest, context: grpc.aio.ServicerContext) -> pb.WhereUsedResponse:
        page = page_query(request, str, str)
        if page.position is not None:
            # A token holds the usage's path as text, parent first: SKUs never contain a "/".
            path, bom_id = page.position
            page = dataclasses.replace(page, position=(tuple(reversed(path.split("/"))), bom_id))

        async def body(repo: CatalogRepository) -> pb.WhereUsedResponse:
            usages = await handlers.where_used_by(repo, component_sku=request.component_sku, page=page)
            found = page_of(usages, page, lambda usage: ("/".join(usage.path), usage.bom_id))
            return pb.WhereUsedResponse(
                usages=[
                    pb.Usage(parent_sku=u.parent_sku, level=u.level, path=list(u.path), bom_id=u.bom_id, state=u.state)
                    for u in found.rows
                ],
                next_page_token=found.next_page_token,
                cursors=found.cursors,
            )

        return await self._query(body)

    async def ListAudit(self, request: pb.ListAuditRequest, context: grpc.aio.ServicerContext) -> pb.ListAuditResponse:
        page = page_query(request, int)

        async def body(repo: CatalogRepository) -> pb.ListAuditResponse:
            entries = await handlers.list_audit(repo, sku=request.sku, page=page)
            found = page_of(entries, page, lambda entry: (entry.seq,))
            return pb.ListAuditResponse(
                entries=[audit_message(entry) for entry in found.rows],
                next_page_token=found.next_page_token,
                cursors=found.cursors,
            )

        return await self._query(body)

    async def GetAuditEntries(
        self, request: pb.GetAuditEntriesRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetAuditEntriesResponse:
        found = await self._query(lambda repo: handlers.get_audit_entries(repo, entry_ids=request.ids))
        return pb.GetAuditEntriesResponse(entries=[audit_message(entry) for entry in found])


def item_message(item: Item) -> pb.Item:
    message = pb.Item(
        id=item.id,
        sku=item.sku,
        name=item.name,
        base_unit=item.base_unit,
        units=[pb.UnitConversion(unit=u, factor=decimal_message(f)) for u, f in item.units.items()],
        barcodes=[pb.Barcode(code=b.code, symbology=b.symbology) for b in item.barcodes],
        standard_cost=decimal_message(item.standard_cost),
        lot_tracked=item.lot_tracked,
        inspect_on_receipt=item.inspect_on_receipt,
        inspect_on_production=item.inspect_on_production,
        status=str(item.status),
        version=item.version,
        thresholds=[
            pb.Thresholds(
                warehouse=t.warehouse,
                safety_stock=decimal_message(t.safety_stock),
                max_stock=decimal_message(t.max_stock),
            )
            for t in item.thresholds.values()
        ],
    )
    if item.updated_at is not None:
        message.updated_at.FromDatetime(item.updated_at)
    return message


def bom_message(bom: BomVersion) -> pb.BomVersion:
    message = pb.BomVersion(
        id=bom.id,
        parent_sku=bom.parent_sku,
        version=bom.version,
        state=str(bom.state),
        effective_from=date_message(bom.effective_from),
        lines=[line_message(line) for line in bom.lines],
    )
    if bom.effective_to is not None:
        message.effective_to.CopyFrom(date_message(bom.effective_to))
    if bom.updated_at is not None:
        message.updated_at.FromDatetime(bom.updated_at)
    return message


def line_message(line: BomLine) -> pb.BomLine:
    return pb.BomLine(
        id=line.id,
        component_sku=line.component_sku,
        quantity=decimal_message(line.quantity),
        unit=line.unit,
        scrap_percent=decimal_message(line.scrap_percent),
    )


def audit_message(entry: AuditEntry) -> pb.AuditEntry:
    message = pb.AuditEntry(
        id=entry.id,
        entity=entry.entity,
        entity_id=entry.entity_id,
        action=entry.action,
        actor=entry.actor,
        correlation_id=entry.correlation_id,
        changes=[
            pb.FieldChange(field=c.field, before=json_or_empty(c.before), after=json_or_empty(c.after))
            for c in entry.changes
        ],
    )
    message.at.FromDatetime(entry.at)
    return message


def json_or_empty(value: object) -> str:
    return "" if value is None else json.dumps(value)
