"""Stock and the catalog as purchasing asks them over gRPC, before a transaction opens."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import grpc

from invariant.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from invariant.stock.v1 import stock_pb2, stock_pb2_grpc
from invariant_core.messages import date_message, decimal_message
from invariant_core.rpc import from_rpc_error
from invariant_kernel.errors import ErrorCode
from orders.adapters.stock import StockClient
from orders.domain.purchasing import DOCUMENT_TYPE, PurchaseOrder
from orders.domain.suggestions import PlaceFigures

_STATUSES = {"AVAILABLE": stock_pb2.STOCK_STATUS_AVAILABLE, "QC_HOLD": stock_pb2.STOCK_STATUS_QC_HOLD}


class StockReceiving(StockClient):
    """Stock as a purchase receipt asks it (and as sales orders do, through StockClient)."""

    async def create_lot(self, key: str, sku: str, lot: str, expiry: date | None) -> None:
        request = stock_pb2.CreateLotRequest(idempotency_key=key, item_sku=sku, lot=lot)
        if expiry is not None:
            request.expiry_date.CopyFrom(date_message(expiry))
        try:
            await self._stock.CreateLot(request)
        except grpc.aio.AioRpcError as error:
            refused = from_rpc_error(error)
            # A lot received before keeps its expiry date: a receipt adds to it.
            if refused.code is not ErrorCode.ALREADY_EXISTS:
                raise refused from None

    async def post_receipt(
        self,
        key: str,
        order: PurchaseOrder,
        line: int,
        quantity: Decimal,
        place: tuple[str, str, str, str],
        supplier_lot: str,
    ) -> str:
        warehouse, location, lot, status = place
        request = stock_pb2.PostMovementRequest(
            idempotency_key=key,
            type=stock_pb2.MOVEMENT_TYPE_RECEIPT,
            item_sku=order.line(line, "line").item_sku,
            quantity=decimal_message(quantity),
            to=stock_pb2.StockPlace(warehouse=warehouse, location=location, lot=lot, status=_STATUSES[status]),
            document=stock_pb2.DocumentRef(type=DOCUMENT_TYPE, id=order.number, line=str(line)),
            supplier=order.supplier,
            supplier_lot=supplier_lot,
        )
        try:
            movement = await self._stock.PostMovement(request)
        except grpc.aio.AioRpcError as error:
            raise from_rpc_error(error) from None
        return str(movement.id)


class StockAndCatalogPlaces:
    """A place's available to promise from stock and its thresholds from the catalog."""

    def __init__(self, stock: stock_pb2_grpc.StockServiceStub, catalog: catalog_pb2_grpc.CatalogServiceStub) -> None:
        self._stock = stock
        self._catalog = catalog

    async def figures(self, sku: str, warehouse: str) -> tuple[PlaceFigures, str]:
        try:
            stock = await self._stock.GetAvailability(
                stock_pb2.GetAvailabilityRequest(item_sku=sku, warehouse=warehouse)
            )
            item = await self._catalog.GetItem(catalog_pb2.GetItemRequest(sku=sku))
        except grpc.aio.AioRpcError as error:
            raise from_rpc_error(error) from None
        limits = next((t for t in item.thresholds if t.warehouse == warehouse), None)

        def level(value: str | None) -> Decimal | None:
            return Decimal(value) if value else None

        figures = PlaceFigures(
            Decimal(stock.available_to_promise.value or "0"),
            level(limits.safety_stock.value if limits is not None else None),
            level(limits.max_stock.value if limits is not None else None),
        )
        return figures, item.base_unit
