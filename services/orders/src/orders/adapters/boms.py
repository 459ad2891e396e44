"""The catalog's BOMs as work orders ask them, over gRPC before a transaction."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import grpc

from invariant.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from invariant_core.messages import date_message, decimal_message
from invariant_core.rpc import from_rpc_error
from invariant_kernel.errors import DomainError
from orders.service.ports import ExplodedComponent, Explosion


class CatalogBoms:
    def __init__(self, stub: catalog_pb2_grpc.CatalogServiceStub) -> None:
        self._catalog = stub

    async def explode(self, sku: str, quantity: Decimal, on: date) -> Explosion:
        """The direct components (level 1 of the catalog's tree, one per SKU) for the whole
        quantity; a component is a sub-assembly when the catalog does not call it a leaf."""
        try:
            answer = await self._catalog.ExplodeBom(
                catalog_pb2.ExplodeBomRequest(
                    parent_sku=sku, quantity=decimal_message(quantity), as_of=date_message(on)
                )
            )
        except grpc.aio.AioRpcError as error:
            refused = from_rpc_error(error)
            raise DomainError(refused.code, refused.message, "number") from None
        leaf = {r.component_sku: r.leaf for r in answer.requirements}
        totals: dict[str, Decimal] = {}
        units: dict[str, str] = {}
        bom_id = ""
        for node in answer.tree:
            if node.level == 1:
                bom_id = node.bom_id
                totals[node.component_sku] = totals.get(node.component_sku, Decimal(0)) + Decimal(node.quantity.value)
                units[node.component_sku] = node.unit
        version = 0
        if bom_id:
            version = (await self._catalog.GetBomVersion(catalog_pb2.GetBomVersionRequest(bom_id=bom_id))).version
        return Explosion(
            bom_id,
            version,
            tuple(ExplodedComponent(sku, units[sku], total, not leaf.get(sku, True)) for sku, total in totals.items()),
        )
