"""Stock commands: the result and the user errors side by side, nothing raised."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, ClassVar, Protocol

import strawberry

from gateway import described
from gateway.commands import command
from gateway.context import Info
from gateway.errors import UserError
from gateway.stock.inputs import (
    DOCUMENT_NUMBER,
    AdjustInput,
    ChangeStatusInput,
    CreateLocationInput,
    CreateLotInput,
    CreateWarehouseInput,
    IssueInput,
    IssueReservationInput,
    ReceiveInput,
    ReleaseInput,
    ReserveInput,
    ReturnStockInput,
    ScrapInput,
    TransferInput,
)
from gateway.stock.types import Location, Lot, Movement, Reservation, Warehouse
from invariant.stock.v1 import stock_pb2 as pb
from invariant.stock.v1 import stock_pb2_grpc

Stub = stock_pb2_grpc.StockServiceStub

# Said once for every command: a refusal is data, and a retry is safe with its key.
REFUSED = "Why it was refused; empty when it was done."
RETRY = "A retry with the same idempotencyKey answers the first result without doing it again."
BY_SUPERVISORS = "Supervisors, managers and admins only."


class MovementInput(Protocol):
    FIELDS: ClassVar[Mapping[str, str]]

    def to_proto(self) -> pb.PostMovementRequest: ...


@strawberry.type(description="What createWarehouse answers.")
class WarehousePayload:
    warehouse: Warehouse | None = strawberry.field(description="The warehouse made; null when refused.")
    user_errors: list[UserError] = strawberry.field(description=REFUSED)


@strawberry.type(description="What createLocation answers.")
class LocationPayload:
    location: Location | None = strawberry.field(description="The location made; null when refused.")
    user_errors: list[UserError] = strawberry.field(description=REFUSED)


@strawberry.type(description="What createLot answers.")
class LotPayload:
    lot: Lot | None = strawberry.field(description="The lot registered; null when refused.")
    user_errors: list[UserError] = strawberry.field(description=REFUSED)


@strawberry.type(description="What a mutation that posts one movement answers.")
class MovementPayload:
    movement: Movement | None = strawberry.field(
        description="The movement posted, as the ledger keeps it; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=REFUSED)


@strawberry.type(description="What release answers.")
class ReservationPayload:
    reservation: Reservation | None = strawberry.field(
        description="The reservation as it now stands; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=REFUSED)


@strawberry.type(description="What reserve answers.")
class ReservationsPayload:
    reservations: list[Reservation] = strawberry.field(
        description="One per line, in order; empty when refused. Under PARTIAL a line that got nothing has a "
        "RELEASED reservation with `open` zero."
    )
    user_errors: list[UserError] = strawberry.field(description=REFUSED)


def _stub(info: Info) -> Stub:
    return info.context.stubs.stock


async def _movement(
    info: Info, send: Callable[[], Awaitable[pb.Movement]], fields: Mapping[str, str]
) -> MovementPayload:
    proto, errors = await command(info, send, {**DOCUMENT_NUMBER, **fields})
    return MovementPayload(movement=Movement.from_proto(proto) if proto is not None else None, user_errors=errors)


async def _post(info: Info, input: MovementInput) -> MovementPayload:
    return await _movement(info, lambda: _stub(info).PostMovement(input.to_proto()), input.FIELDS)


@strawberry.type
class StockMutation:
    @described.mutation(
        f"Sets up a warehouse, made with its in-transit location. {BY_SUPERVISORS} An existing code is refused. {RETRY}"
    )
    async def create_warehouse(
        self,
        info: Info,
        input: Annotated[
            CreateWarehouseInput,
            strawberry.argument(description="The warehouse's code, name and whether it allows negative stock."),
        ],
    ) -> WarehousePayload:
        proto, errors = await command(info, lambda: _stub(info).CreateWarehouse(input.to_proto()))
        return WarehousePayload(
            warehouse=Warehouse.from_proto(proto) if proto is not None else None, user_errors=errors
        )

    @described.mutation(
        f"Adds a location (bin) to a warehouse. {BY_SUPERVISORS} An unknown warehouse, an existing code and "
        f"the IN_TRANSIT kind are refused. {RETRY}"
    )
    async def create_location(
        self,
        info: Info,
        input: Annotated[
            CreateLocationInput, strawberry.argument(description="The warehouse, the location's code and its kind.")
        ],
    ) -> LocationPayload:
        proto, errors = await command(info, lambda: _stub(info).CreateLocation(input.to_proto()))
        return LocationPayload(location=Location.from_proto(proto) if proto is not None else None, user_errors=errors)

    @described.mutation(
        "Registers a lot of a lot-tracked item ahead of its receipt, e.g. to record its expiry date (receipts, "
        f"returns and gains create an unknown lot by themselves, without expiry). {RETRY}"
    )
    async def create_lot(
        self,
        info: Info,
        input: Annotated[
            CreateLotInput, strawberry.argument(description="The item, the lot number and its expiry date.")
        ],
    ) -> LotPayload:
        proto, errors = await command(info, lambda: _stub(info).CreateLot(input.to_proto()))
        return LotPayload(lot=Lot.from_proto(proto) if proto is not None else None, user_errors=errors)

    @described.mutation(
        "Posts a RECEIPT into AVAILABLE, or QC_HOLD to be inspected; an unknown lot is created. An in-transit "
        f"location is refused. {RETRY}"
    )
    async def receive(
        self,
        info: Info,
        input: Annotated[ReceiveInput, strawberry.argument(description="What came in, how much, and where it goes.")],
    ) -> MovementPayload:
        return await _post(info, input)

    @described.mutation(
        "Posts an ISSUE not held by a reservation; see issueReservation for reserved stock. Refused with "
        "INSUFFICIENT_STOCK when the balance or what is available to promise is short, unless the warehouse allows "
        f"negative stock. {RETRY}"
    )
    async def issue(
        self,
        info: Info,
        input: Annotated[IssueInput, strawberry.argument(description="What leaves, how much, and from where.")],
    ) -> MovementPayload:
        return await _post(info, input)

    @described.mutation(
        "Posts a TRANSFER to another location, keeping the lot and status. Taking AVAILABLE stock out of a "
        f"warehouse is refused (INSUFFICIENT_STOCK) when reservations hold it. {RETRY}"
    )
    async def transfer(
        self,
        info: Info,
        input: Annotated[
            TransferInput, strawberry.argument(description="What moves, how much, from where and to where.")
        ],
    ) -> MovementPayload:
        return await _post(info, input)

    @described.mutation(
        "Posts SCRAP: the stock leaves the book. Never refused for reservations (a shortage is reported instead), "
        f"only for a balance going below zero where the warehouse does not allow it. {RETRY}"
    )
    async def scrap(
        self,
        info: Info,
        input: Annotated[ScrapInput, strawberry.argument(description="What is scrapped, how much, and from where.")],
    ) -> MovementPayload:
        return await _post(info, input)

    @described.mutation(
        "Posts a RETURN into QC_HOLD, where an inspection decides whether it becomes AVAILABLE or REJECTED; an "
        f"unknown lot is created. {RETRY}"
    )
    async def return_stock(
        self,
        info: Info,
        input: Annotated[
            ReturnStockInput, strawberry.argument(description="What came back, how much, and where it goes.")
        ],
    ) -> MovementPayload:
        return await _post(info, input)

    @described.mutation(
        "Posts a STATUS_CHANGE in the same location and lot: AVAILABLE becomes QC_HOLD (a quality hold, with a "
        "document; what reservations held there becomes a shortage), or REJECTED becomes AVAILABLE (use as is, "
        "with a document, managers and admins only). QC_HOLD is released by the quality service's decisions; "
        "here only an admin correcting the book releases it, giving reasonCode, which the movement keeps. "
        f"Inspectors, supervisors, managers and admins only. {RETRY}"
    )
    async def change_status(
        self,
        info: Info,
        input: Annotated[
            ChangeStatusInput, strawberry.argument(description="The stock inspected, how much of it, and the decision.")
        ],
    ) -> MovementPayload:
        return await _post(info, input)

    @described.mutation(
        "Posts an ADJUSTMENT that corrects the book: a gain adds stock found, a loss takes away stock missing. "
        f"{BY_SUPERVISORS} A loss is never refused for reservations (a shortage is reported), only for a balance "
        f"going below zero where the warehouse does not allow it. {RETRY}"
    )
    async def adjust(
        self,
        info: Info,
        input: Annotated[AdjustInput, strawberry.argument(description="The gain or loss, where, how much, and why.")],
    ) -> MovementPayload:
        return await _post(info, input)

    @described.mutation(
        "Reserves stock for a document, one reservation per line, so that no one else can be promised it. Under "
        f"ALL_OR_NOTHING a line that cannot be met refuses the whole request (INSUFFICIENT_STOCK). {RETRY}"
    )
    async def reserve(
        self,
        info: Info,
        input: Annotated[
            ReserveInput, strawberry.argument(description="The lines to reserve, for which document, and how.")
        ],
    ) -> ReservationsPayload:
        proto, errors = await command(info, lambda: _stub(info).Reserve(input.to_proto()), DOCUMENT_NUMBER)
        reservations = (
            [Reservation.from_proto(reservation) for reservation in proto.reservations] if proto is not None else []
        )
        return ReservationsPayload(reservations=reservations, user_errors=errors)

    @described.mutation(
        "Gives back what a reservation holds, in whole or in part, so that it can be promised again. A reservation "
        f"no longer OPEN, or more than is open, is refused. {RETRY}"
    )
    async def release(
        self,
        info: Info,
        input: Annotated[ReleaseInput, strawberry.argument(description="Which reservation, and how much of it.")],
    ) -> ReservationPayload:
        proto, errors = await command(info, lambda: _stub(info).Release(input.to_proto()))
        return ReservationPayload(
            reservation=Reservation.from_proto(proto) if proto is not None else None, user_errors=errors
        )

    @described.mutation(
        "Issues reserved stock from a location of the reservation's warehouse and consumes the reservation by "
        f"the same quantity. A reservation no longer OPEN, or more than it holds, is refused. {RETRY}"
    )
    async def issue_reservation(
        self,
        info: Info,
        input: Annotated[
            IssueReservationInput,
            strawberry.argument(description="Which reservation, how much, and from which location."),
        ],
    ) -> MovementPayload:
        return await _movement(info, lambda: _stub(info).IssueReservation(input.to_proto()), input.FIELDS)
