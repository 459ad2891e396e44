"""The stock service's gRPC API: translate, call the handler, translate back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import TypeVar

import grpc
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy.exc import IntegrityError

from invariant.stock.v1 import stock_pb2 as pb
from invariant.stock.v1 import stock_pb2_grpc
from invariant_core.coalesce import Call, Coalescer
from invariant_core.db import UnitOfWork, UnitOfWorkFactory
from invariant_core.idempotency import run_idempotent, run_idempotent_together
from invariant_core.items import ReplicatedItems
from invariant_core.messages import date_from_message, datetime_from_message, decimal_message
from invariant_core.paging import decode_token, encode_token, page_size
from invariant_kernel.errors import DomainError, ErrorCode, not_found
from stock.adapters.repository import (
    SqlStockRepository,
    balance_as_of,
    books_as_of,
    integrity_drifts,
    list_balances,
    list_movements,
    list_reservations,
    read_one_snapshot,
    stream_balances,
)
from stock.domain import (
    LocationKind,
    MovementType,
    Place,
    Reservation,
    ReservationPolicy,
    StockKey,
    StockStatus,
    normalise_location,
    normalise_warehouse,
    parse_enum,
    parse_place,
)
from stock.domain.reservations import DocumentRef
from stock.service import handlers
from stock.service.ports import BookQuery, MovementRecord

R = TypeVar("R", bound=Message)
# Keys per GetBooks call, as the proto promises its callers.
MAX_BOOK_QUERIES = 5000
MAX_COUNT_LINES = 5000


@dataclass(frozen=True)
class _Posting:
    """A PostMovement call: the request keys it; the command, once given the item (read in
    the batch's transaction), posts it."""

    request: pb.PostMovementRequest
    sku: str
    command: Callable[..., handlers.PostMovement]


def _enum_name(enum: type, value: int, prefix: str) -> str:
    name: str = enum.Name(value)  # type: ignore[attr-defined]
    return name.removeprefix(prefix)


class StockServicer(stock_pb2_grpc.StockServiceServicer):
    def __init__(self, uows: UnitOfWorkFactory, items: ReplicatedItems) -> None:
        self._uows = uows
        self._items = items
        self._reservations: Coalescer[pb.ReserveRequest, pb.ReserveResponse] = Coalescer(self._reserve_together)
        self._postings: Coalescer[_Posting, pb.Movement] = Coalescer(self._post_together)

    async def aclose(self) -> None:
        await asyncio.gather(self._reservations.aclose(), self._postings.aclose())

    async def _command(
        self, request: Message, response: type[R], body: Callable[[UnitOfWork, SqlStockRepository], Awaitable[R]]
    ) -> R:
        return await run_idempotent(
            self._uows, request, response, lambda uow: body(uow, SqlStockRepository(uow.session))
        )

    async def _movement(self, posting: Awaitable[pb.Movement]) -> pb.Movement:
        """A movement someone asked for. One refused because it would take a balance below
        zero is refused all the same, and the attempt is then published in a transaction of
        its own: the book there is probably wrong, so the item is worth counting. Count
        adjustments do not come this way: a count's own loss is no attempt."""
        try:
            return await posting
        except handlers.NegativeBalanceError as refused:
            async with self._uows() as uow:
                handlers.report_negative_balance_attempt(uow, refused)
                await uow.commit()
            raise

    async def CreateWarehouse(
        self, request: pb.CreateWarehouseRequest, context: grpc.aio.ServicerContext
    ) -> pb.Warehouse:
        async def body(uow: UnitOfWork, repo: SqlStockRepository) -> pb.Warehouse:
            view = await handlers.create_warehouse(
                uow, repo, code=request.code, name=request.name, allow_negative_stock=request.allow_negative_stock
            )
            return pb.Warehouse(
                code=view.code,
                name=request.name.strip(),
                allow_negative_stock=view.allow_negative_stock,
                in_transit_location=view.in_transit_location,
            )

        return await self._command(request, pb.Warehouse, body)

    async def CreateLocation(self, request: pb.CreateLocationRequest, context: grpc.aio.ServicerContext) -> pb.Location:
        kind = LocationKind(_enum_name(pb.LocationKind, request.kind or pb.LOCATION_KIND_STORAGE, "LOCATION_KIND_"))

        async def body(uow: UnitOfWork, repo: SqlStockRepository) -> pb.Location:
            view = await handlers.create_location(uow, repo, warehouse=request.warehouse, code=request.code, kind=kind)
            return pb.Location(warehouse=view.warehouse, code=view.code, kind=f"LOCATION_KIND_{view.kind}")

        return await self._command(request, pb.Location, body)

    async def ListWarehouses(
        self, request: pb.ListWarehousesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListWarehousesResponse:
        async with self._uows.reader() as uow:
            found, places = await SqlStockRepository(uow.session).all_warehouses()
        return pb.ListWarehousesResponse(
            warehouses=[
                pb.Warehouse(
                    code=w.code,
                    name=name,
                    allow_negative_stock=w.allow_negative_stock,
                    in_transit_location=w.in_transit_location,
                )
                for w, name in found
            ],
            locations=[pb.Location(warehouse=p.warehouse, code=p.code, kind=f"LOCATION_KIND_{p.kind}") for p in places],
        )

    async def PostMovement(self, request: pb.PostMovementRequest, context: grpc.aio.ServicerContext) -> pb.Movement:
        if request.type == pb.MOVEMENT_TYPE_UNSPECIFIED:
            raise DomainError(ErrorCode.REQUIRED, "type is required", "type")
        posting = _Posting(
            request,
            _sku(request.item_sku, "item_sku"),
            partial(
                handlers.PostMovement,
                type=MovementType(_enum_name(pb.MovementType, request.type, "MOVEMENT_TYPE_")),
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
            ),
        )
        try:
            return await self._movement(self._postings.submit(posting))
        except handlers.ItemsNotReplicatedError:
            # Read through to the catalog outside any transaction, then ask again.
            await self._items.view(posting.sku)
        return await self._movement(self._postings.submit(posting))

    async def _post_together(self, calls: Sequence[Call[_Posting]]) -> list[pb.Movement | Exception]:
        """Concurrent PostMovement calls, in one transaction (see invariant_core.coalesce).

        When one of them is refused, the shared transaction writes nothing and each call is
        then posted on its own (`run_idempotent_together`), so that one refusal never
        refuses another's movement. A call for an item the replica lacks is sent back to
        read it through from the catalog.
        """
        postings = {id(call.argument.request): (call.argument, call.caller) for call in calls}

        async def body(uow: UnitOfWork, requests: Sequence[Message]) -> list[pb.Movement | Exception]:
            repo = SqlStockRepository(uow.session)
            batch = [postings[id(r)] for r in requests]
            known = await repo.items({posting.sku for posting, _ in batch})
            commands = [
                posting.command(item=known[posting.sku], caller=caller)
                for posting, caller in batch
                if posting.sku in known
            ]
            posted = iter(await handlers.post_movements(uow, repo, commands) if commands else ())
            return [
                movement_message(next(posted))
                if posting.sku in known
                else handlers.ItemsNotReplicatedError([(posting.sku, "item_sku")])
                for posting, _ in batch
            ]

        return await run_idempotent_together(self._uows, [call.argument.request for call in calls], pb.Movement, body)

    async def PostCountAdjustments(
        self, request: pb.PostCountAdjustmentsRequest, context: grpc.aio.ServicerContext
    ) -> pb.PostCountAdjustmentsResponse:
        if len(request.lines) > MAX_COUNT_LINES:
            raise DomainError(
                ErrorCode.OUT_OF_RANGE, f"lines holds at most {MAX_COUNT_LINES} adjustments per call", "lines"
            )
        fields: dict[str, str] = {}
        for index, line in enumerate(request.lines):
            fields.setdefault(line.item_sku, f"lines[{index}].item_sku")
        items = await self._items.views(fields)
        lines = []
        for index, line in enumerate(request.lines):
            sku = line.item_sku.strip().upper()
            place = _place(line, "place")
            if place is None:
                raise DomainError(ErrorCode.REQUIRED, f"lines[{index}].place is required", f"lines[{index}].place")
            lines.append(
                handlers.CountAdjustment(
                    line=line.line,
                    item=items[sku],
                    place=place,
                    variance=line.variance.value,
                    unit=line.unit,
                    reasons=[(r.reason_code, r.quantity.value) for r in line.reasons],
                    business_time=_time(line, "business_time"),
                )
            )
        try:
            return await self._post_count(request.count_id, lines)
        except IntegrityError:
            # Keyed by count line, not by a request key: a racing redelivery lost on the
            # ledger's unique count-line index, and now finds each line posted.
            return await self._post_count(request.count_id, lines)

    async def _post_count(
        self, count_id: str, lines: Sequence[handlers.CountAdjustment]
    ) -> pb.PostCountAdjustmentsResponse:
        async with self._uows() as uow:
            posted = await handlers.post_count_adjustments(
                uow, SqlStockRepository(uow.session), count_id=count_id, lines=lines
            )
            await uow.commit()
        return pb.PostCountAdjustmentsResponse(movements=[movement_message(m) for m in posted])

    async def Reserve(self, request: pb.ReserveRequest, context: grpc.aio.ServicerContext) -> pb.ReserveResponse:
        try:
            return await self._reservations.submit(request)
        except handlers.ItemsNotReplicatedError as unknown:
            # Read through to the catalog outside any transaction, then ask again.
            for sku, field in unknown.missing:
                await self._items.view(sku, field)
        return await self._reservations.submit(request)

    async def _reserve_together(self, calls: Sequence[Call[pb.ReserveRequest]]) -> list[pb.ReserveResponse | Exception]:
        """Concurrent Reserve calls, in one transaction (see invariant_core.coalesce)."""
        callers = {id(call.argument): call.caller for call in calls}

        async def body(uow: UnitOfWork, requests: Sequence[Message]) -> list[pb.ReserveResponse | Exception]:
            commands = [Call(_reserve_command(r), callers[id(r)]) for r in requests if isinstance(r, pb.ReserveRequest)]
            made = await handlers.reserve_together(uow, SqlStockRepository(uow.session), commands)
            return [
                m if isinstance(m, Exception) else pb.ReserveResponse(reservations=[reservation_message(r) for r in m])
                for m in made
            ]

        return await run_idempotent_together(self._uows, [call.argument for call in calls], pb.ReserveResponse, body)

    async def Release(self, request: pb.ReleaseRequest, context: grpc.aio.ServicerContext) -> pb.Reservation:
        async def body(uow: UnitOfWork, repo: SqlStockRepository) -> pb.Reservation:
            reservation = await repo.reservation(request.reservation_id)
            quantity = None
            if request.HasField("quantity") and reservation is not None:
                item = await repo.item(reservation.item_sku)
                assert item is not None  # a reservation is only made for a replicated item
                quantity = item.to_base(request.quantity.value, "")
            return reservation_message(
                await handlers.release(uow, repo, reservation_id=request.reservation_id, quantity=quantity)
            )

        return await self._command(request, pb.Reservation, body)

    async def IssueReservation(
        self, request: pb.IssueReservationRequest, context: grpc.aio.ServicerContext
    ) -> pb.Movement:
        async with self._uows.reader() as uow:
            reservation = await SqlStockRepository(uow.session).reservation(request.reservation_id)
        if reservation is None:
            raise DomainError(
                ErrorCode.NOT_FOUND, f"reservation {request.reservation_id!r} does not exist", "reservation_id"
            )
        item = await self._items.view(reservation.item_sku)

        async def body(uow: UnitOfWork, repo: SqlStockRepository) -> pb.Movement:
            record = await handlers.issue_reservation(
                uow,
                repo,
                reservation_id=request.reservation_id,
                item=item,
                quantity=request.quantity.value,
                unit=request.unit,
                location=request.location,
                lot=request.lot,
                document=_document(request.document, "document"),
                business_time=_time(request, "business_time"),
                idempotency_key=request.idempotency_key,
            )
            return movement_message(record)

        return await self._movement(self._command(request, pb.Movement, body))

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
        item = await self._items.view(request.item_sku)
        expiry = date_from_message(request.expiry_date, "expiry_date") if request.HasField("expiry_date") else None

        async def body(uow: UnitOfWork, repo: SqlStockRepository) -> pb.Lot:
            lot = await handlers.create_lot(uow, repo, item=item, lot=request.lot, expiry=expiry)
            created = pb.Lot(item_sku=item.sku, lot=lot)
            if request.HasField("expiry_date"):
                created.expiry_date.CopyFrom(request.expiry_date)
            return created

        return await self._command(request, pb.Lot, body)

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
        async with self._uows.reader() as uow:
            await read_one_snapshot(uow.session)
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
        # A count asks for thousands of keys over a few dozen places: each place is read once.
        places: dict[tuple[str, str, str, int], Place] = {}
        queries = [_book_query(query, f"queries[{i}]", places) for i, query in enumerate(request.queries)]
        async with self._uows.reader() as uow:
            await read_one_snapshot(uow.session)
            books = await books_as_of(uow.session, queries)
        return pb.GetBooksResponse(
            books=[
                pb.Book(
                    quantity=decimal_message(b.quantity),
                    movements=b.movements,
                    statuses=[
                        pb.StatusQuantity(status=f"STOCK_STATUS_{status}", quantity=decimal_message(part))
                        for status, part in b.statuses.items()
                    ],
                )
                for b in books
            ]
        )

    async def ListMovements(
        self, request: pb.ListMovementsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListMovementsResponse:
        size = page_size(request.page_size)
        after = decode_token(request.page_token, int)
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
            found = await list_movements(uow.session, filters, after[0] if after else 0, size + 1)
        page = found[:size]
        return pb.ListMovementsResponse(
            movements=[movement_message(m) for m in page],
            next_page_token=encode_token(page[-1].sequence) if len(found) > size else "",
        )

    async def ListBalances(
        self, request: pb.ListBalancesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListBalancesResponse:
        size = page_size(request.page_size)
        after = decode_token(request.page_token, str, str, str, str, str)
        filters = {
            "item_sku": request.item_sku.strip().upper(),
            "warehouse": request.warehouse.strip().upper(),
            "location": request.location.strip().upper(),
        }
        async with self._uows.reader() as uow:
            rows = await list_balances(uow.session, filters, after, size + 1)
        page = rows[:size]
        last = page[-1] if page else None
        return pb.ListBalancesResponse(
            balances=[
                pb.Balance(
                    item_sku=r.item_sku,
                    place=_place_message(Place(r.warehouse, r.location, r.lot, StockStatus(r.status))),
                    quantity=decimal_message(r.quantity),
                    unit=r.base_unit or "",
                )
                for r in page
            ],
            next_page_token=(
                encode_token(last.item_sku, last.warehouse, last.location, last.lot, last.status)
                if last is not None and len(rows) > size
                else ""
            ),
        )

    async def ListReservations(
        self, request: pb.ListReservationsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListReservationsResponse:
        async with self._uows.reader() as uow:
            found = await list_reservations(
                uow.session,
                request.item_sku.strip().upper(),
                request.warehouse.strip().upper(),
                _document(request.owner, "owner"),
                request.open_only,
            )
        return pb.ListReservationsResponse(reservations=[reservation_message(r) for r in found])

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


def _reserve_command(request: pb.ReserveRequest) -> handlers.Reserve:
    return handlers.Reserve(
        lines=[
            handlers.ReservationLine(line.item_sku, line.warehouse, line.quantity.value, line.unit)
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


def _book_query(query: pb.BookQuery, field: str, places: dict[tuple[str, str, str, int], Place]) -> BookQuery:
    """`places` holds the places parsed so far, by what the request gave."""
    sku = _sku(query.item_sku, f"{field}.item_sku")
    if not query.HasField("place"):
        raise DomainError(ErrorCode.REQUIRED, f"{field}.place is required", f"{field}.place")
    given = query.place
    raw = (given.warehouse, given.location, given.lot, given.status)
    place = places.get(raw)
    if place is None:
        place = places[raw] = _parsed_place(given, f"{field}.place", StockStatus.AVAILABLE)
    as_of = _time(query, "as_of")
    if as_of is None:
        raise DomainError(ErrorCode.REQUIRED, f"{field}.as_of is required", f"{field}.as_of")
    return BookQuery(sku, place, as_of, _time(query, "since"), every_status=not given.status)


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
    )
    if plan.from_place is not None:
        getattr(message, "from").CopyFrom(_place_message(plan.from_place))
    if plan.to_place is not None:
        message.to.CopyFrom(_place_message(plan.to_place))
    message.business_time.FromDatetime(record.business_time)
    message.posted_at.FromDatetime(record.posted_at)
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
    )
    if r.expires_at is not None:
        message.expires_at.FromDatetime(r.expires_at)
    message.created_at.FromDatetime(r.created_at)
    return message
