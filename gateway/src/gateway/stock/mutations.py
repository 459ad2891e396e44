"""Stock commands: the result and the user errors side by side, nothing raised."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import ClassVar, Protocol, TypeVar

import strawberry

from gateway import described
from gateway.auth import require_role
from gateway.context import Info
from gateway.errors import UserError, attempt, call
from gateway.stock.inputs import (
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

# Who may do what (DESIGN §5): setting up warehouses and correcting the book are a
# supervisor's; moving and reserving stock is the floor's; deciding an inspection is the inspector's.
OPERATORS = frozenset({"operator", "supervisor", "manager", "admin"})
SUPERVISORS = frozenset({"supervisor", "manager", "admin"})
INSPECTORS = frozenset({"inspector", "supervisor", "manager", "admin"})

Stub = stock_pb2_grpc.StockServiceStub
M = TypeVar("M")


class MovementInput(Protocol):
    FIELDS: ClassVar[Mapping[str, str]]

    def to_proto(self) -> pb.PostMovementRequest: ...


@strawberry.type
class WarehousePayload:
    warehouse: Warehouse | None
    user_errors: list[UserError]


@strawberry.type
class LocationPayload:
    location: Location | None
    user_errors: list[UserError]


@strawberry.type
class LotPayload:
    lot: Lot | None
    user_errors: list[UserError]


@strawberry.type
class MovementPayload:
    movement: Movement | None
    user_errors: list[UserError]


@strawberry.type
class ReservationPayload:
    reservation: Reservation | None
    user_errors: list[UserError]


@strawberry.type
class ReservationsPayload:
    reservations: list[Reservation] = strawberry.field(description="One per line, in order.")
    user_errors: list[UserError]


async def _command(
    info: Info,
    allowed: frozenset[str],
    action: str,
    send: Callable[[Stub], Awaitable[M]],
    fields: Mapping[str, str] | None = None,
) -> tuple[M | None, list[UserError]]:
    async def run() -> M:
        require_role(info.context.identity, allowed, action)
        stub = info.context.stubs.stock
        return await call(lambda: send(stub))

    return await attempt(run, fields)


async def _movement(
    info: Info,
    allowed: frozenset[str],
    action: str,
    send: Callable[[Stub], Awaitable[pb.Movement]],
    fields: Mapping[str, str],
) -> MovementPayload:
    proto, errors = await _command(info, allowed, action, send, fields)
    return MovementPayload(movement=Movement.from_proto(proto) if proto is not None else None, user_errors=errors)


async def _post(info: Info, allowed: frozenset[str], action: str, input: MovementInput) -> MovementPayload:
    return await _movement(info, allowed, action, lambda stub: stub.PostMovement(input.to_proto()), input.FIELDS)


@strawberry.type
class StockMutation:
    @described.mutation("A warehouse, made with its in-transit location.")
    async def create_warehouse(self, info: Info, input: CreateWarehouseInput) -> WarehousePayload:
        proto, errors = await _command(
            info, SUPERVISORS, "setting up a warehouse", lambda stub: stub.CreateWarehouse(input.to_proto())
        )
        return WarehousePayload(
            warehouse=Warehouse.from_proto(proto) if proto is not None else None, user_errors=errors
        )

    @strawberry.mutation
    async def create_location(self, info: Info, input: CreateLocationInput) -> LocationPayload:
        proto, errors = await _command(
            info, SUPERVISORS, "setting up a warehouse", lambda stub: stub.CreateLocation(input.to_proto())
        )
        return LocationPayload(location=Location.from_proto(proto) if proto is not None else None, user_errors=errors)

    @described.mutation("A lot of a lot-tracked item, ahead of its receipt.")
    async def create_lot(self, info: Info, input: CreateLotInput) -> LotPayload:
        proto, errors = await _command(info, OPERATORS, "creating a lot", lambda stub: stub.CreateLot(input.to_proto()))
        return LotPayload(lot=Lot.from_proto(proto) if proto is not None else None, user_errors=errors)

    @described.mutation("Posts a RECEIPT.")
    async def receive(self, info: Info, input: ReceiveInput) -> MovementPayload:
        return await _post(info, OPERATORS, "posting a receipt", input)

    @described.mutation("Posts an ISSUE not held by a reservation; see issueReservation for reserved stock.")
    async def issue(self, info: Info, input: IssueInput) -> MovementPayload:
        return await _post(info, OPERATORS, "posting an issue", input)

    @described.mutation("Posts a TRANSFER.")
    async def transfer(self, info: Info, input: TransferInput) -> MovementPayload:
        return await _post(info, OPERATORS, "posting a transfer", input)

    @described.mutation("Posts SCRAP.")
    async def scrap(self, info: Info, input: ScrapInput) -> MovementPayload:
        return await _post(info, OPERATORS, "posting scrap", input)

    @described.mutation("Posts a RETURN into QC_HOLD.")
    async def return_stock(self, info: Info, input: ReturnStockInput) -> MovementPayload:
        return await _post(info, OPERATORS, "posting a return", input)

    @described.mutation("Posts a STATUS_CHANGE.")
    async def change_status(self, info: Info, input: ChangeStatusInput) -> MovementPayload:
        return await _post(info, INSPECTORS, "changing a stock status", input)

    @described.mutation("Posts an ADJUSTMENT.")
    async def adjust(self, info: Info, input: AdjustInput) -> MovementPayload:
        return await _post(info, SUPERVISORS, "adjusting stock", input)

    @strawberry.mutation
    async def reserve(self, info: Info, input: ReserveInput) -> ReservationsPayload:
        proto, errors = await _command(info, OPERATORS, "reserving stock", lambda stub: stub.Reserve(input.to_proto()))
        reservations = (
            [Reservation.from_proto(reservation) for reservation in proto.reservations] if proto is not None else []
        )
        return ReservationsPayload(reservations=reservations, user_errors=errors)

    @described.mutation("Gives back what a reservation holds, in whole or in part.")
    async def release(self, info: Info, input: ReleaseInput) -> ReservationPayload:
        proto, errors = await _command(
            info, OPERATORS, "releasing a reservation", lambda stub: stub.Release(input.to_proto())
        )
        return ReservationPayload(
            reservation=Reservation.from_proto(proto) if proto is not None else None, user_errors=errors
        )

    @strawberry.mutation
    async def issue_reservation(self, info: Info, input: IssueReservationInput) -> MovementPayload:
        return await _movement(
            info,
            OPERATORS,
            "issuing reserved stock",
            lambda stub: stub.IssueReservation(input.to_proto()),
            input.FIELDS,
        )
