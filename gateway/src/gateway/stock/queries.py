"""Stock reads: any authenticated user may ask, except for the integrity report."""

from __future__ import annotations

import datetime as dt

import strawberry

from gateway import described
from gateway.auth import require_role
from gateway.context import Info
from gateway.convert import timestamp_to_proto
from gateway.errors import call
from gateway.pagination import DEFAULT_PAGE_SIZE, Connection, connection, page_request
from gateway.stock.inputs import DocumentRefInput, StockPlaceInput
from gateway.stock.loaders import locations_by_warehouse
from gateway.stock.types import Availability, Balance, IntegrityReport, Movement, Reservation, Warehouse
from invariant.stock.v1 import stock_pb2 as pb

# Recomputing every balance from the ledger is heavy and shows the whole book.
AUDITORS = frozenset({"admin"})


@strawberry.type
class StockQuery:
    @described.field("Every warehouse, with its locations.")
    async def warehouses(self, info: Info) -> list[Warehouse]:
        reply = await call(lambda: info.context.stubs.stock.ListWarehouses(pb.ListWarehousesRequest()))
        # The reply holds every location already: the loader need not ask again.
        info.context.stock_loaders.locations_by_warehouse.prime_many(locations_by_warehouse(reply))
        return [Warehouse.from_proto(warehouse) for warehouse in reply.warehouses]

    @described.field("Stock of an item in a warehouse by status, what is reserved and what can still be promised.")
    async def availability(self, info: Info, item_sku: str, warehouse: str) -> Availability:
        request = pb.GetAvailabilityRequest(item_sku=item_sku, warehouse=warehouse)
        return Availability.from_proto(await call(lambda: info.context.stubs.stock.GetAvailability(request)))

    @described.field("Balances per item, location, lot and status, in that order; empty filters match everything.")
    async def balances(
        self,
        info: Info,
        item_sku: str = "",
        warehouse: str = "",
        location: str = "",
        first: int = DEFAULT_PAGE_SIZE,
        after: str | None = None,
    ) -> Connection[Balance]:
        page = page_request(first, after)
        request = pb.ListBalancesRequest(
            item_sku=item_sku, warehouse=warehouse, location=location, page_size=page.size, page_token=page.token
        )
        reply = await call(lambda: info.context.stubs.stock.ListBalances(request))
        return connection([Balance.from_proto(balance) for balance in reply.balances], page, reply.next_page_token)

    @described.field("The balance of an item at one place as it stood at `asOf`, from the ledger.")
    async def balance_as_of(self, info: Info, item_sku: str, place: StockPlaceInput, as_of: dt.datetime) -> Balance:
        request = pb.GetBalanceAsOfRequest(
            item_sku=item_sku, place=place.to_proto(), as_of=timestamp_to_proto(as_of, "asOf")
        )
        return Balance.from_proto(await call(lambda: info.context.stubs.stock.GetBalanceAsOf(request)))

    @described.field(
        "The ledger in the order it was posted. A warehouse, location or lot filter matches either side of a "
        "movement; `since` and `until` bound its businessTime (inclusive); empty filters match everything."
    )
    async def movements(
        self,
        info: Info,
        item_sku: str = "",
        warehouse: str = "",
        location: str = "",
        lot: str = "",
        document_type: str = "",
        document_id: str = "",
        actor: str = "",
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        first: int = DEFAULT_PAGE_SIZE,
        after: str | None = None,
    ) -> Connection[Movement]:
        page = page_request(first, after)
        request = pb.ListMovementsRequest(
            item_sku=item_sku,
            warehouse=warehouse,
            location=location,
            lot=lot,
            document=pb.DocumentRef(type=document_type, id=document_id),
            actor=actor,
            page_size=page.size,
            page_token=page.token,
        )
        if since is not None:
            request.from_time.CopyFrom(timestamp_to_proto(since, "since"))
        if until is not None:
            request.to_time.CopyFrom(timestamp_to_proto(until, "until"))
        reply = await call(lambda: info.context.stubs.stock.ListMovements(request))
        return connection([Movement.from_proto(movement) for movement in reply.movements], page, reply.next_page_token)

    @described.field("Reservations, oldest first; empty filters match everything.")
    async def reservations(
        self,
        info: Info,
        item_sku: str = "",
        warehouse: str = "",
        owner: DocumentRefInput | None = None,
        open_only: bool = False,
    ) -> list[Reservation]:
        request = pb.ListReservationsRequest(
            item_sku=item_sku,
            warehouse=warehouse,
            owner=owner.to_proto() if owner is not None else None,
            open_only=open_only,
        )
        reply = await call(lambda: info.context.stubs.stock.ListReservations(request))
        return [Reservation.from_proto(reservation) for reservation in reply.reservations]

    @described.field("Every balance and reserved quantity recomputed from the ledger, and any drift; admins only.")
    async def integrity_report(self, info: Info) -> IntegrityReport:
        require_role(info.context.identity, AUDITORS, "reading the integrity report")
        reply = await call(lambda: info.context.stubs.stock.CheckIntegrity(pb.CheckIntegrityRequest()))
        return IntegrityReport.from_proto(reply)
