"""Per-request DataLoaders, so a page of warehouses gets its locations from one call."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from gateway.errors import call
from gateway.pagination import MAX_PAGE_SIZE
from invariant.stock.v1 import stock_pb2, stock_pb2_grpc

# A warehouse's code, the page's size and whether it is the last page rather than the first.
FirstPage = tuple[str, int, bool]


@dataclass(frozen=True)
class StockLoaders:
    first_locations: DataLoader[FirstPage, stock_pb2.ListLocationsResponse]

    @classmethod
    def create(cls, stub: stock_pb2_grpc.StockServiceStub) -> StockLoaders:
        async def load_pages(keys: list[FirstPage]) -> Sequence[stock_pb2.ListLocationsResponse]:
            # The warehouses of a screen ask for the same page of each: one call per size and direction.
            by_page: dict[tuple[int, bool], list[str]] = {}
            for code, size, reverse in keys:
                by_page.setdefault((size, reverse), []).append(code)
            found: dict[FirstPage, stock_pb2.ListLocationsResponse] = {}
            for (size, reverse), codes in by_page.items():
                request = stock_pb2.ListLocationPagesRequest(warehouses=codes, page_size=size, reverse=reverse)
                pages = await _location_pages(stub, request)
                found |= {(code, size, reverse): page for code, page in zip(codes, pages, strict=True)}
            return [found[key] for key in keys]

        # The service answers at most a page's worth of warehouses per call.
        return cls(first_locations=DataLoader(load_fn=load_pages, max_batch_size=MAX_PAGE_SIZE))


async def _location_pages(
    stub: stock_pb2_grpc.StockServiceStub, request: stock_pb2.ListLocationPagesRequest
) -> Sequence[stock_pb2.ListLocationsResponse]:
    reply: stock_pb2.ListLocationPagesResponse = await call(lambda: stub.ListLocationPages(request))
    return reply.pages
