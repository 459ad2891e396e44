"""Per-request DataLoaders, so every warehouse's locations come from one call."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from gateway.errors import call
from invariant.stock.v1 import stock_pb2, stock_pb2_grpc


@dataclass(frozen=True)
class StockLoaders:
    locations_by_warehouse: DataLoader[str, list[stock_pb2.Location]]

    @classmethod
    def create(cls, stub: stock_pb2_grpc.StockServiceStub) -> StockLoaders:
        async def load_locations(warehouses: list[str]) -> Sequence[list[stock_pb2.Location]]:
            # The service lists every warehouse's locations at once; there are few warehouses.
            found = locations_by_warehouse(await call(lambda: stub.ListWarehouses(stock_pb2.ListWarehousesRequest())))
            return [found.get(warehouse, []) for warehouse in warehouses]

        return cls(locations_by_warehouse=DataLoader(load_fn=load_locations))


def locations_by_warehouse(reply: stock_pb2.ListWarehousesResponse) -> dict[str, list[stock_pb2.Location]]:
    found: dict[str, list[stock_pb2.Location]] = {warehouse.code: [] for warehouse in reply.warehouses}
    for location in reply.locations:
        found.setdefault(location.warehouse, []).append(location)
    return found
