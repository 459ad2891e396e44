"""Stock commands: the result and the user errors side by side, nothing raised."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import ClassVar, Protocol

import strawberry

from gateway import described
from gateway.auth import OPERATORS, SUPERVISORS
from gateway.commands import command
from gateway.context import Info
from gateway.errors import UserError
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

# Deciding an inspection is the inspector's (DESIGN §5); the other roles are in gateway.auth.
INSPECTORS = frozenset({"inspector", "supervisor", "manager", "admin"})

Stub = stock_pb2_grpc.StockServiceStub


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


def _stub(info: Info) -> Stub:
    return info.context.stubs.stock


async def _movement(
    info: Info,
    allowed: frozenset[str],
    action: str,
    send: Callable[[], Awaitable[pb.Movement]],
    fields: Mapping[str, str],
) -> MovementPayload:
    proto, errors = await command(info, allowed, action, send, fields)
    return MovementPayload(movement=Movement.from_proto(proto) if proto is not None else None, user_errors=errors)


async def _post(info: Info, allowed: frozenset[str], action: str, input: MovementInput) -> MovementPayload:
    return await _movement(info, allowed, action, lambda: _stub(info).PostMovement(input.to_proto()), input.FIELDS)


@strawberry.type
class StockMutation:
    @described.mutation("A warehouse, made with its in-transit location.")
    async def create_warehouse(self, info: Info, input: CreateWarehouseInput) -> WarehousePayload:
        proto, errors = await command(
            info, SUPERVISORS, "setting up a warehouse", lambda: _stub(info).CreateWarehouse(input.to_proto())
        )
        return WarehousePayload(
            warehouse=Warehouse.from_proto(proto) if proto is not None else None, user_errors=errors
        )

    @strawberry.mutation
    async def create_location(self, info: Info, input: CreateLocationInput) -> LocationPayload:
        proto, errors = await command(
            info, SUPERVISORS, "setting up a warehouse", lambda: _stub(info).CreateLocation(input.to_proto())
        )
        return LocationPayload(location=Location.from_proto(proto) if proto is not None else None, user_errors=errors)

    @described.mutation("A lot of a lot-tracked item, ahead of its receipt.")
    async def create_lot(self, info: Info, input: CreateLotInput) -> LotPayload:
        proto, errors = await command(
            info, OPERATORS, "creating a lot", lambda: _stub(info).CreateLot(input.to_proto())
        )
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
        proto, errors = await command(info, OPERATORS, "reserving stock", lambda: _stub(info).Reserve(input.to_proto()))
        reservations = (
            [Reservation.from_proto(reservation) for reservation in proto.reservations] if proto is not None else []
        )
        return ReservationsPayload(reservations=reservations, user_errors=errors)

    @described.mutation("Gives back what a reservation holds, in whole or in part.")
    async def release(self, info: Info, input: ReleaseInput) -> ReservationPayload:
        proto, errors = await command(
            info, OPERATORS, "releasing a reservation", lambda: _stub(info).Release(input.to_proto())
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
            lambda: _stub(info).IssueReservation(input.to_proto()),
            input.FIELDS,
        )
