"""The stock service's gRPC API: translate, dispatch (or query), translate back."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

import grpc
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from invariant.stock.v1 import stock_pb2 as pb
from invariant.stock.v1 import stock_pb2_grpc
from invariant_core.commands import Dispatcher
from invariant_core.db import UnitOfWorkFactory
from invariant_core.items import ReplicatedItems
from invariant_core.messages import (
    date_from_message,
    date_message,
    datetime_from_message,
    decimal_message,
    timestamp_message,
)
from invariant_core.paging import PageQuery, at_most_a_page, page_of, page_query, page_size
from invariant_kernel.errors import DomainError, ErrorCode, not_found
from invariant_kernel.units import decimal_text
from stock.adapters.repository import (
    SqlStockRepository,
    balance_as_of,
    books_as_of,
    integrity_drifts,
    list_balances,
    list_locations,
    list_movements,
    list_reservations,
    list_warehouses,
    movements_by_id,
    reservations_by_id,
    stream_balances,
    warehouses_by_code,
)
from stock.domain import (
    ItemView,
    LocationKind,
    LocationView,
    MovementType,
    Place,
    Reservation,
    ReservationPolicy,
    StockKey,
    StockStatus,
    WarehouseView,
    commands,
    normalise_location,
    normalise_warehouse,
    parse_enum,
    parse_place,
)
from stock.domain.reservations import DocumentRef
from stock.service.ports import BookQuery, MovementRecord, StockRepository

R = TypeVar("R", bound=Message)
# Keys per GetBooks call, as the proto promises its callers.
MAX_BOOK_QUERIES = 5000
_STATUS_NAMES = {status: f"STOCK_STATUS_{status}" for status in StockStatus}
MAX_COUNT_LINES = 5000


def _enum_name(enum: type, value: int, prefix: str) -> str:
    name: str = enum.Name(value)  # type: ignore[attr-defined]
    return name.removeprefix(prefix)


class StockServicer(stock_pb2_grpc.StockServiceServicer):
    def __init__(self, uows: UnitOfWorkFactory, items: ReplicatedItems, dispatch: Dispatcher[StockRepository]) -> None:
        self._uows = uows
        self._items = items
        self._dispatch = dispatch

    async def CreateWarehouse(
        self, request: pb.CreateWarehouseRequest, context: grpc.aio.ServicerContext
    ) -> pb.Warehouse:
        command = commands.CreateWarehouse(request.code, request.name, request.allow_negative_stock)
        return await self._dispatch(request, command, pb.Warehouse, lambda view: _warehouse(view, request.name.strip()))

    async def CreateLocation(self, request: pb.CreateLocationRequest, context: grpc.aio.ServicerContext) -> pb.Location:
        kind = LocationKind(_enum_name(pb.LocationKind, request.kind or pb.LOCATION_KIND_STORAGE, "LOCATION_KIND_"))
        command = commands.CreateLocation(request.warehouse, request.code, kind)
        return await self._dispatch(request, command, pb.Location, _location)

    async def ListWarehouses(
        self, request: pb.ListWarehousesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListWarehousesResponse:
        page = page_query(request, str)
        async with self._uows.reader() as uow:
            found = page_of(await list_warehouses(uow.session, page), page, lambda named: (named[0].code,))
        return pb.ListWarehousesResponse(
            warehouses=[_warehouse(w, name) for w, name in found.rows],
            next_page_token=found.next_page_token,
            cursors=found.cursors,
        )

    async def GetWarehouses(
        self, request: pb.GetWarehousesRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetWarehousesResponse:
        codes = {code.strip().upper() for code in at_most_a_page(request.codes, "codes")}
        async with self._uows.reader() as uow:
            found = await warehouses_by_code(uow.session, codes)
        return pb.GetWarehousesResponse(warehouses=[_warehouse(w, name) for w, name in found])

    async def ListLocations(
        self, request: pb.ListLocationsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListLocationsResponse:
        return (await self._location_pages([(request.warehouse, "warehouse")], page_query(request, str)))[0]

    async def ListLocationPages(
        self, request: pb.ListLocationPagesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListLocationPagesResponse:
        warehouses = [
            (code, f"warehouses[{i}]") for i, code in enumerate(at_most_a_page(request.warehouses, "warehouses"))
        ]
        page = PageQuery(size=page_size(request.page_size), position=None, reverse=request.reverse)
        return pb.ListLocationPagesResponse(pages=await self._location_pages(warehouses, page))

    async def _location_pages(
        self, warehouses: Sequence[tuple[str, str]], page: PageQuery
    ) -> list[pb.ListLocationsResponse]:
        """The same page of each warehouse's locations; `warehouses` holds (code as given, field)."""
        codes = [normalise_warehouse(code, field) for code, field in warehouses]
        pages = []
        async with self._uows.reader(snapshot=True) as uow:
            known = await SqlStockRepository(uow.session).warehouses(codes)
            for code, (_, field) in zip(codes, warehouses, strict=True):
                # No location: a warehouse that does not exist must not read as one without locations.
                if code not in known:
                    raise not_found("warehouse", code, field)
                found = page_of(await list_locations(uow.session, code, page), page, lambda view: (view.code,))
                locations = [_location(view) for view in found.rows]
                pages.append(
                    pb.ListLocationsResponse(
                        locations=locations, next_page_token=found.next_page_token, cursors=found.cursors
                    )
                )
        return pages

    async def GetLocations(
        self, request: pb.GetLocationsRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetLocationsResponse:
        keys = {
            (key.warehouse.strip().upper(), key.code.strip().upper()) for key in at_most_a_page(request.keys, "keys")
        }
        async with self._uows.reader() as uow:
            found = await SqlStockRepository(uow.session).locations(keys)
        return pb.GetLocationsResponse(locations=[_location(found[key]) for key in sorted(found)])

    async def PostMovement(self, request: pb.PostMovementRequest, context: grpc.aio.ServicerContext) -> pb.Movement:
        if request.type == pb.MOVEMENT_TYPE_UNSPECIFIED:
            raise DomainError(ErrorCode.REQUIRED, "type is required", "type")
        command = commands.PostMovement(
            type=MovementType(_enum_name(pb.MovementType, request.type, "MOVEMENT_TYPE_")),
            item_sku=_sku(request.item_sku, "item_sku"),
            quantity=request.quantity.value,
            unit=request.unit,
            source=_place(request, "from"),
            target=_place(request, "to"),
            document=_document(request.document, "document"),
            idempotency_key=request.idempotency_key,
            reason_code=request.reason_code,
            reasons=[(r.reason_code, r.quantity.value) for r in request.reasons],
            business_time=_time(request, "business_time"),
            corrects_movement_id=request.corrects_movement_id,
            supplier=request.supplier.strip().upper(),
            supplier_lot=request.supplier_lot.strip(),
        )
        return await self._dispatch(request, command, pb.Movement, movement_message)

    async def PostCountAdjustments(
        self, request: pb.PostCountAdjustmentsRequest, context: grpc.aio.ServicerContext
    ) -> pb.PostCountAdjustmentsResponse:
        if len(request.lines) > MAX_COUNT_LINES:
            raise DomainError(
                ErrorCode.OUT_OF_RANGE, f"lines holds at most {MAX_COUNT_LINES} adjustments per call", "lines"
            )
        lines = []
        for index, line in enumerate(request.lines):
            place = _place(line, "place")
            if place is None:
                raise DomainError(ErrorCode.REQUIRED, f"lines[{index}].place is required", f"lines[{index}].place")
            lines.append(
                commands.CountAdjustment(
                    line=line.line,
                    item_sku=_sku(line.item_sku, f"lines[{index}].item_sku"),
                    place=place,
                    variance=line.variance.value,
                    unit=line.unit,
                    reasons=[(r.reason_code, r.quantity.value) for r in line.reasons],
                    business_time=_time(line, "business_time"),
                )
            )
        return await self._dispatch(
            request,
            commands.PostCountAdjustments(request.count_id, lines),
            pb.PostCountAdjustmentsResponse,
            lambda posted: pb.PostCountAdjustmentsResponse(movements=[movement_message(m) for m in posted]),
        )

    async def Reserve(self, request: pb.ReserveRequest, context: grpc.aio.ServicerContext) -> pb.ReserveResponse:
        return await self._dispatch(
            request,
            _reserve_command(request),
            pb.ReserveResponse,
            lambda made: pb.ReserveResponse(reservations=[reservation_message(r) for r in made]),
        )

    async def Release(self, request: pb.ReleaseRequest, context: grpc.aio.ServicerContext) -> pb.Reservation:
        quantity = request.quantity.value if request.HasField("quantity") else None
        command = commands.Release(request.reservation_id, quantity)
        return await self._dispatch(request, command, pb.Reservation, reservation_message)

    async def IssueReservation(
        self, request: pb.IssueReservationRequest, context: grpc.aio.ServicerContext
    ) -> pb.Movement:
        command = commands.IssueReservation(
            reservation_id=request.reservation_id,
            quantity=request.quantity.value,
            unit=request.unit,
            location=request.location,
            lot=request.lot,
            document=_document(request.document, "document"),
            business_time=_time(request, "business_time"),
            idempotency_key=request.idempotency_key,
        )
        return await self._dispatch(request, command, pb.Movement, movement_message)

    async def GetAvailability(
        self, request: pb.GetAvailabilityRequest, context: grpc.aio.ServicerContext
    ) -> pb.Availability:
        item = await self._items.view(request.item_sku)
        key = StockKey(item.sku, normalise_warehouse(request.warehouse))
        async with self._uows.reader() as uow:
            repo = SqlStockRepository(uow.session)
            found = await repo.availability(key)
            # No row: nothing moved yet, or a warehouse that does not exist, which must not read as "no stock".
            if found is None and not await repo.warehouses([key.warehouse]):
                raise not_found("warehouse", key.warehouse, "warehouse")
        zero = Decimal(0)
        buckets = (
            (found.available, found.qc_hold, found.rejected, found.in_transit, found.reserved) if found else (zero,) * 5
        )
        available, qc_hold, rejected, in_transit, reserved = buckets
        return pb.Availability(
            item_sku=key.item_sku,
            warehouse=key.warehouse,
            available_on_hand=decimal_message(available),
            qc_hold=decimal_message(qc_hold),
            rejected=decimal_message(rejected),
            in_transit=decimal_message(in_transit),
            reserved=decimal_message(reserved),
            available_to_promise=decimal_message(available - reserved),
            unit=item.base_unit,
        )

    async def CreateLot(self, request: pb.CreateLotRequest, context: grpc.aio.ServicerContext) -> pb.Lot:
        expiry = date_from_message(request.expiry_date, "expiry_date") if request.HasField("expiry_date") else None

        def created(made: tuple[ItemView, str]) -> pb.Lot:
            item, lot = made
            answer = pb.Lot(item_sku=item.sku, lot=lot)
            if request.HasField("expiry_date"):
                answer.expiry_date.CopyFrom(request.expiry_date)
            return answer

        command = commands.CreateLot(_sku(request.item_sku, "item_sku"), request.lot, expiry)
        return await self._dispatch(request, command, pb.Lot, created)

    async def GetBalanceAsOf(self, request: pb.GetBalanceAsOfRequest, context: grpc.aio.ServicerContext) -> pb.Balance:
        item = await self._items.view(request.item_sku)
        place = _place(request, "place")
        if place is None:
            raise DomainError(ErrorCode.REQUIRED, "place is required", "place")
        moment = _time(request, "as_of")
        if moment is None:
            raise DomainError(ErrorCode.REQUIRED, "as_of is required", "as_of")
        async with self._uows.reader() as uow:
            quantity = await balance_as_of(uow.session, item.sku, place, moment)
        balance = pb.Balance(
            item_sku=item.sku, place=_place_message(place), quantity=decimal_message(quantity), unit=item.base_unit
        )
        balance.as_of.CopyFrom(request.as_of)
        return balance

    async def StreamBalances(
        self, request: pb.StreamBalancesRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.StreamBalancesResponse]:
        warehouse = normalise_warehouse(request.warehouse)
        status = parse_enum(StockStatus, request.status, "status") if request.status else None
        locations = {normalise_location(code, f"locations[{i}]") for i, code in enumerate(request.locations)}
        skus = {_sku(sku, f"item_skus[{i}]") for i, sku in enumerate(request.item_skus)}
        async with self._uows.reader(snapshot=True) as uow:
            found = (await SqlStockRepository(uow.session).warehouses([warehouse])).get(warehouse)
            if found is None:
                raise not_found("warehouse", warehouse, "warehouse")
            # Goods on the road are counted where they arrive, never on the in-transit location.
            places = stream_balances(uow.session, warehouse, status, locations, skus, found.in_transit_location)
            async for rows in places:
                yield pb.StreamBalancesResponse(
                    balances=[
                        pb.Balance(
                            item_sku=r.item_sku,
                            place=_place_message(Place(warehouse, r.location, r.lot, StockStatus(r.status))),
                            quantity=decimal_message(r.quantity),
                            unit=r.base_unit or "",
                        )
                        for r in rows
                    ]
                )

    async def GetBooks(self, request: pb.GetBooksRequest, context: grpc.aio.ServicerContext) -> pb.GetBooksResponse:
        if len(request.queries) > MAX_BOOK_QUERIES:
            raise DomainError(
                ErrorCode.OUT_OF_RANGE,
                f"queries holds at most {MAX_BOOK_QUERIES} keys, got {len(request.queries)}",
                "queries",
            )
        # A count asks for thousands of keys over a few dozen places and times: each is read once.
        places: dict[tuple[str, str, str, int], Place] = {}
        times: dict[tuple[int, int], datetime] = {}
        queries = [_book_query(query, i, places, times) for i, query in enumerate(request.queries)]
        async with self._uows.reader(snapshot=True) as uow:
            books = await books_as_of(uow.session, queries)
        answer = pb.GetBooksResponse()
        for b in books:
            # Filled in place: a message built apart is copied again into its parent.
            book = answer.books.add(movements=b.movements)
            book.quantity.value = decimal_text(b.quantity)
            for status, part in b.statuses.items():
                book.statuses.add(status=_STATUS_NAMES[status]).quantity.value = decimal_text(part)
        return answer

    async def ListMovements(
        self, request: pb.ListMovementsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListMovementsResponse:
        page = page_query(request, int)
        filters = {
            "item_sku": request.item_sku.strip().upper(),
            "warehouse": request.warehouse.strip().upper(),
            "location": request.location.strip().upper(),
            "lot": request.lot.strip(),
            "document_type": request.document.type.strip().upper(),
            "document_id": request.document.id.strip(),
            "actor": request.actor.strip(),
            "from_time": _time(request, "from_time"),
            "to_time": _time(request, "to_time"),
        }
        async with self._uows.reader() as uow:
            found = page_of(await list_movements(uow.session, filters, page), page, lambda m: (m.sequence,))
        return pb.ListMovementsResponse(
            movements=[movement_message(m) for m in found.rows],
            next_page_token=found.next_page_token,
            cursors=found.cursors,
        )

    async def GetMovements(
        self, request: pb.GetMovementsRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetMovementsResponse:
        ids = set(at_most_a_page(request.ids, "ids"))
        async with self._uows.reader() as uow:
            found = await movements_by_id(uow.session, ids)
        return pb.GetMovementsResponse(movements=[movement_message(m) for m in found])

    async def ListBalances(
        self, request: pb.ListBalancesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListBalancesResponse:
        page = page_query(request, str, str, str, str, str)
        filters = {
            "item_sku": request.item_sku.strip().upper(),
            "warehouse": request.warehouse.strip().upper(),
            "location": request.location.strip().upper(),
        }
        async with self._uows.reader() as uow:
            found = page_of(
                await list_balances(uow.session, filters, page),
                page,
                lambda r: (r.item_sku, r.warehouse, r.location, r.lot, r.status),
            )
        return pb.ListBalancesResponse(
            balances=[
                pb.Balance(
                    item_sku=r.item_sku,
                    place=_place_message(Place(r.warehouse, r.location, r.lot, StockStatus(r.status))),
                    quantity=decimal_message(r.quantity),
                    unit=r.base_unit or "",
                    lot_expiry=None if r.expiry_date is None else date_message(r.expiry_date),
                )
                for r in found.rows
            ],
            next_page_token=found.next_page_token,
            cursors=found.cursors,
        )

    async def ListReservations(
        self, request: pb.ListReservationsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListReservationsResponse:
        page = page_query(request, datetime, str)
        async with self._uows.reader() as uow:
            listed = await list_reservations(
                uow.session,
                request.item_sku.strip().upper(),
                request.warehouse.strip().upper(),
                _document(request.owner, "owner"),
                request.open_only,
                page,
            )
        found = page_of(listed, page, lambda r: (r.created_at, r.id))
        return pb.ListReservationsResponse(
            reservations=[reservation_message(r) for r in found.rows],
            next_page_token=found.next_page_token,
            cursors=found.cursors,
        )

    async def GetReservations(
        self, request: pb.GetReservationsRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetReservationsResponse:
        ids = set(at_most_a_page(request.ids, "ids"))
        async with self._uows.reader() as uow:
            found = await reservations_by_id(uow.session, ids)
        return pb.GetReservationsResponse(reservations=[reservation_message(r) for r in found])

    async def CheckIntegrity(
        self, request: pb.CheckIntegrityRequest, context: grpc.aio.ServicerContext
    ) -> pb.IntegrityReport:
        async with self._uows.reader() as uow:
            balances, availabilities, drifts = await integrity_drifts(uow.session)
        return pb.IntegrityReport(
            balances_checked=balances,
            availabilities_checked=availabilities,
            drifts=[
                pb.Drift(
                    kind=d.kind,
                    item_sku=d.item_sku,
                    place=_place_message(d.place) if d.place else pb.StockPlace(warehouse=d.warehouse),
                    recorded=decimal_message(d.recorded),
                    recomputed=decimal_message(d.recomputed),
                )
                for d in drifts
            ],
        )


def _reserve_command(request: pb.ReserveRequest) -> commands.Reserve:
    return commands.Reserve(
        lines=[
            commands.ReservationLine(line.item_sku, line.warehouse, line.quantity.value, line.unit)
            for line in request.lines
        ],
        policy=(
            ReservationPolicy.PARTIAL
            if request.policy == pb.RESERVATION_POLICY_PARTIAL
            else ReservationPolicy.ALL_OR_NOTHING
        ),
        owner=_document(request.owner, "owner"),
        expires_at=_time(request, "expires_at"),
    )


def _warehouse(view: WarehouseView, name: str) -> pb.Warehouse:
    return pb.Warehouse(
        code=view.code,
        name=name,
        allow_negative_stock=view.allow_negative_stock,
        in_transit_location=view.in_transit_location,
    )


def _location(view: LocationView) -> pb.Location:
    return pb.Location(warehouse=view.warehouse, code=view.code, kind=f"LOCATION_KIND_{view.kind}")


def _place(request: Message, name: str) -> Place | None:
    if not request.HasField(name):
        return None
    return _parsed_place(getattr(request, name), name)


def _parsed_place(place: pb.StockPlace, field: str, unset_status: str = "") -> Place:
    """`unset_status` is what a status left unset means; by default it is refused as required."""
    status = _enum_name(pb.StockStatus, place.status, "STOCK_STATUS_") if place.status else unset_status
    return parse_place(place.warehouse, place.location, place.lot, status, field)


def _sku(raw: str, field: str) -> str:
    sku = raw.strip().upper()
    if not sku:
        raise DomainError(ErrorCode.REQUIRED, f"{field} is required", field)
    return sku


def _book_query(
    query: pb.BookQuery,
    index: int,
    places: dict[tuple[str, str, str, int], Place],
    times: dict[tuple[int, int], datetime],
) -> BookQuery:
    """`places` and `times` hold those parsed so far, by what the request gave."""
    field = f"queries[{index}]"
    sku = _sku(query.item_sku, f"{field}.item_sku")
    if not query.HasField("place"):
        raise DomainError(ErrorCode.REQUIRED, f"{field}.place is required", f"{field}.place")
    given = query.place
    raw = (given.warehouse, given.location, given.lot, given.status)
    place = places.get(raw)
    if place is None:
        place = places[raw] = _parsed_place(given, f"{field}.place", StockStatus.AVAILABLE)
    if not query.HasField("as_of"):
        raise DomainError(ErrorCode.REQUIRED, f"{field}.as_of is required", f"{field}.as_of")
    since = _parsed_time(query.since, times) if query.HasField("since") else None
    return BookQuery(sku, place, _parsed_time(query.as_of, times), since, every_status=not given.status)


def _parsed_time(stamp: Timestamp, times: dict[tuple[int, int], datetime]) -> datetime:
    raw = (stamp.seconds, stamp.nanos)
    found = times.get(raw)
    if found is None:
        found = times[raw] = datetime_from_message(stamp)
    return found


def _place_message(place: Place) -> pb.StockPlace:
    return pb.StockPlace(
        warehouse=place.warehouse,
        location=place.location,
        lot=place.lot,
        status=f"STOCK_STATUS_{place.status}",
    )


def _document(ref: pb.DocumentRef, field: str) -> DocumentRef:
    return DocumentRef.of(ref.type, ref.id, ref.line, field)


def _time(request: Message, name: str) -> datetime | None:
    if not request.HasField(name):
        return None
    stamp: Timestamp = getattr(request, name)
    return datetime_from_message(stamp)


def movement_message(record: MovementRecord) -> pb.Movement:
    plan = record.plan
    message = pb.Movement(
        id=record.id,
        sequence=record.sequence,
        type=f"MOVEMENT_TYPE_{plan.movement_type}",
        item_sku=plan.item_sku,
        quantity=decimal_message(plan.quantity_base),
        unit=plan.unit,
        document=pb.DocumentRef(type=record.document.type, id=record.document.id, line=record.document.line),
        reason_code=plan.reason_code,
        reasons=[
            pb.ReasonQuantity(reason_code=r.reason_code, quantity=decimal_message(r.quantity)) for r in plan.reasons
        ],
        actor=record.actor,
        idempotency_key=record.idempotency_key,
        corrects_movement_id=record.corrects_movement_id,
        reservation_id=record.reservation_id,
        supplier=record.supplier,
        supplier_lot=record.supplier_lot,
        business_time=timestamp_message(record.business_time),
        posted_at=timestamp_message(record.posted_at),
    )
    if plan.from_place is not None:
        getattr(message, "from").CopyFrom(_place_message(plan.from_place))
    if plan.to_place is not None:
        message.to.CopyFrom(_place_message(plan.to_place))
    return message


def reservation_message(r: Reservation) -> pb.Reservation:
    message = pb.Reservation(
        id=r.id,
        item_sku=r.item_sku,
        warehouse=r.warehouse,
        requested=decimal_message(r.requested),
        open=decimal_message(r.open),
        consumed=decimal_message(r.consumed),
        released=decimal_message(r.released),
        owner=pb.DocumentRef(type=r.owner.type, id=r.owner.id, line=r.owner.line),
        state=str(r.state),
        created_at=timestamp_message(r.created_at),
    )
    if r.expires_at is not None:
        message.expires_at.CopyFrom(timestamp_message(r.expires_at))
    return message
