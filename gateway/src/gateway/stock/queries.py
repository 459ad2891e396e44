"""Stock reads: any authenticated user may ask, except for the integrity report."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from gateway import described
from gateway.context import Info
from gateway.convert import timestamp_to_proto
from gateway.errors import call
from gateway.pagination import After, Before, Connection, First, Last, connection, page_request
from gateway.permissions import require
from gateway.stock.inputs import DOCUMENT_NUMBER, DocumentRefInput, StockPlaceInput
from gateway.stock.types import Availability, Balance, IntegrityReport, Movement, Reservation, Warehouse
from invariant.stock.v1 import stock_pb2 as pb
from invariant_kernel.errors import DomainError

# A filter left null matches everything; an empty string still does too, as it did for clients built before.
SKU_FILTER = "Only this item's, by SKU (case is ignored); null for every item."
WAREHOUSE_FILTER = "Only this warehouse's, by code (case is ignored); null for every warehouse."


@strawberry.type
class StockQuery:
    @described.field("The warehouses, by code, each with its locations.")
    async def warehouses(
        self, info: Info, first: First = None, after: After = None, last: Last = None, before: Before = None
    ) -> Connection[Warehouse]:
        page = page_request(first, after, last, before)
        reply = await call(lambda: info.context.stubs.stock.ListWarehouses(pb.ListWarehousesRequest(**page.fields)))
        warehouses = [Warehouse.from_proto(warehouse) for warehouse in reply.warehouses]
        return connection(warehouses, reply.cursors, page, reply.next_page_token)

    @described.field(
        "Stock of an item in a warehouse by status, what is reserved and what can still be promised; all zero when "
        "nothing has moved yet. An unknown item or warehouse is an error (NOT_FOUND)."
    )
    async def availability(
        self,
        info: Info,
        item_sku: Annotated[str, strawberry.argument(description="The item's SKU; case is ignored.")],
        warehouse: Annotated[str, strawberry.argument(description="The warehouse's code; case is ignored.")],
    ) -> Availability:
        request = pb.GetAvailabilityRequest(item_sku=item_sku, warehouse=warehouse)
        return Availability.from_proto(await call(lambda: info.context.stubs.stock.GetAvailability(request)))

    @described.field(
        "Current balances, one per item, warehouse, location, lot and status, in that order. A place stock has "
        "left is listed with zero."
    )
    async def balances(
        self,
        info: Info,
        item_sku: Annotated[str | None, strawberry.argument(description=SKU_FILTER)] = None,
        warehouse: Annotated[str | None, strawberry.argument(description=WAREHOUSE_FILTER)] = None,
        location: Annotated[
            str | None,
            strawberry.argument(
                description="Only this location's, by code (case is ignored), in every warehouse unless `warehouse` "
                "is given; null for every location."
            ),
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Balance]:
        page = page_request(first, after, last, before)
        request = pb.ListBalancesRequest(
            item_sku=item_sku or "", warehouse=warehouse or "", location=location or "", **page.fields
        )
        reply = await call(lambda: info.context.stubs.stock.ListBalances(request))
        balances = [Balance.from_proto(balance) for balance in reply.balances]
        return connection(balances, reply.cursors, page, reply.next_page_token)

    @described.field(
        "The balance of an item at one place as it stood at `asOf`, from the ledger: the movements whose "
        "businessTime is at or before it."
    )
    async def balance_as_of(
        self,
        info: Info,
        item_sku: Annotated[str, strawberry.argument(description="The item's SKU; case is ignored.")],
        place: Annotated[
            StockPlaceInput, strawberry.argument(description="Where: warehouse, location, lot and status.")
        ],
        as_of: Annotated[
            dt.datetime,
            strawberry.argument(description="The moment, with a time zone, e.g. `2024-05-01T08:00:00Z`."),
        ],
    ) -> Balance:
        request = pb.GetBalanceAsOfRequest(
            item_sku=item_sku, place=place.to_proto(), as_of=timestamp_to_proto(as_of, "asOf")
        )
        return Balance.from_proto(await call(lambda: info.context.stubs.stock.GetBalanceAsOf(request)))

    @described.field(
        "The ledger in the order it was posted. A warehouse, location or lot filter matches either side of a "
        "movement; `since` and `until` bound its businessTime (inclusive); null filters match everything."
    )
    async def movements(
        self,
        info: Info,
        item_sku: Annotated[str | None, strawberry.argument(description=SKU_FILTER)] = None,
        warehouse: Annotated[
            str | None,
            strawberry.argument(description="Only movements from or to this warehouse, by code; null for all."),
        ] = None,
        location: Annotated[
            str | None,
            strawberry.argument(description="Only movements from or to this location code; null for all."),
        ] = None,
        lot: Annotated[
            str | None,
            strawberry.argument(description="Only movements of this lot, as printed (case matters); null for all."),
        ] = None,
        document_type: Annotated[
            str | None,
            strawberry.argument(
                description="Only movements for documents of this type, e.g. PURCHASE_ORDER; null for all."
            ),
        ] = None,
        document_id: Annotated[
            str | None,
            strawberry.argument(description="Only movements for the document with this id; null for all."),
        ] = None,
        actor: Annotated[
            str | None,
            strawberry.argument(description="Only movements posted for this user id; null for everyone's."),
        ] = None,
        since: Annotated[
            dt.datetime | None,
            strawberry.argument(
                description="Only movements with a businessTime at or after this moment; null for no limit."
            ),
        ] = None,
        until: Annotated[
            dt.datetime | None,
            strawberry.argument(
                description="Only movements with a businessTime at or before this moment; null for no limit."
            ),
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Movement]:
        page = page_request(first, after, last, before)
        request = pb.ListMovementsRequest(
            item_sku=item_sku or "",
            warehouse=warehouse or "",
            location=location or "",
            lot=lot or "",
            document=pb.DocumentRef(type=document_type or "", id=document_id or ""),
            actor=actor or "",
            **page.fields,
        )
        if since is not None:
            request.from_time.CopyFrom(timestamp_to_proto(since, "since"))
        if until is not None:
            request.to_time.CopyFrom(timestamp_to_proto(until, "until"))
        reply = await call(lambda: info.context.stubs.stock.ListMovements(request))
        movements = [Movement.from_proto(movement) for movement in reply.movements]
        return connection(movements, reply.cursors, page, reply.next_page_token)

    @described.field("Reservations in every state, oldest first (those made together in the order of their ids).")
    async def reservations(
        self,
        info: Info,
        item_sku: Annotated[str | None, strawberry.argument(description=SKU_FILTER)] = None,
        warehouse: Annotated[str | None, strawberry.argument(description=WAREHOUSE_FILTER)] = None,
        owner: Annotated[
            DocumentRefInput | None,
            strawberry.argument(
                description="Only those promised to this document; without a line, to any line of it. Null for "
                "every document."
            ),
        ] = None,
        open_only: Annotated[
            bool, strawberry.argument(description="Only OPEN reservations, those still holding stock.")
        ] = False,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Reservation]:
        page = page_request(first, after, last, before)
        request = pb.ListReservationsRequest(
            item_sku=item_sku or "",
            warehouse=warehouse or "",
            owner=owner.to_proto() if owner is not None else None,
            open_only=open_only,
            **page.fields,
        )
        try:
            reply = await call(lambda: info.context.stubs.stock.ListReservations(request))
        except DomainError as refused:
            refused.field = DOCUMENT_NUMBER.get(refused.field, refused.field)
            raise
        reservations = [Reservation.from_proto(reservation) for reservation in reply.reservations]
        return connection(reservations, reply.cursors, page, reply.next_page_token)

    @described.field(
        "Every balance and availability recomputed from the ledger, and every reserved total from the open "
        "reservations, with any drift; admins only, and heavy: not for routine screens."
    )
    async def integrity_report(self, info: Info) -> IntegrityReport:
        require(info)
        reply = await call(lambda: info.context.stubs.stock.CheckIntegrity(pb.CheckIntegrityRequest()))
        return IntegrityReport.from_proto(reply)
