"""Bad input is refused with a code and the field it concerns, and nothing is written."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
import pytest_asyncio
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import text
from stock_support import (
    Refusal,
    assert_no_drift,
    availability,
    book,
    create_item,
    create_warehouses,
    d,
    key,
    movement,
    movements,
    place,
    post,
    receive,
    refused,
    reserve,
)

from invariant.stock.v1 import stock_pb2 as pb
from invariant_core.db import create_engine
from invariant_kernel.errors import ErrorCode

pytestmark = pytest.mark.asyncio(loop_scope="module")

INVALID = grpc.StatusCode.INVALID_ARGUMENT
MISSING = grpc.StatusCode.NOT_FOUND
REFUSED = grpc.StatusCode.FAILED_PRECONDITION

RECEIPT, ISSUE, TRANSFER, SCRAP = (
    pb.MOVEMENT_TYPE_RECEIPT,
    pb.MOVEMENT_TYPE_ISSUE,
    pb.MOVEMENT_TYPE_TRANSFER,
    pb.MOVEMENT_TYPE_SCRAP,
)
RETURN, STATUS_CHANGE = pb.MOVEMENT_TYPE_RETURN, pb.MOVEMENT_TYPE_STATUS_CHANGE
QC_HOLD, REJECTED = pb.STOCK_STATUS_QC_HOLD, pb.STOCK_STATUS_REJECTED


@dataclass(frozen=True)
class Stocked:
    """Stock to refuse things against, in warehouses WH1 and WH2 with locations A-01 and B-01.

    The plain item: 10 at WH1/A-01 and 10 at WH1/B-01 with 4 reserved (`reservation`),
    and 6 at WH2/A-01 with 4 reserved. The lot-tracked item, lot L1: 5 at WH1/A-01 and
    3 rejected at WH1/B-01.
    """

    services: Any
    plain: str
    lots: str
    reservation: str

    @property
    def stock(self) -> Any:
        return self.services.stock


async def stock_up(services: Any) -> Stocked:
    await create_warehouses(services, locations=("A-01", "B-01"))
    plain, lots = await create_item(services), await create_item(services, lot_tracked=True)
    await receive(services, plain, 10, place("WH1", "A-01"))
    await receive(services, plain, 10, place("WH1", "B-01"))
    await receive(services, plain, 6, place("WH2", "A-01"))
    await receive(services, lots, 5, place("WH1", "A-01", lot="L1"))
    await receive(services, lots, 3, place("WH1", "B-01", lot="L1", status=QC_HOLD))
    await post(
        services,
        STATUS_CHANGE,
        lots,
        3,
        place("WH1", "B-01", lot="L1", status=QC_HOLD),
        place("WH1", "B-01", lot="L1", status=REJECTED),
        reason_code="ENTRY_ERROR",
    )
    held = await reserve(services, plain, 4)
    await reserve(services, plain, 4, warehouse="WH2")
    return Stocked(services, plain, lots, held.id)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stocked(module_services) -> Stocked:  # type: ignore[no-untyped-def]
    """Shared by the tests that only try what must be refused: each proves it wrote nothing."""
    return await stock_up(module_services)


@pytest_asyncio.fixture(loop_scope="module")
async def fresh_stock(module_services) -> Stocked:  # type: ignore[no-untyped-def]
    """For a test that changes the stock before it tries what must be refused."""
    return await stock_up(module_services)


async def assert_refused_and_nothing_written(
    stocked: Stocked, call: Callable[[], Awaitable[object]], expected: tuple[grpc.StatusCode, ErrorCode, str]
) -> None:
    before = [await book(stocked.services, sku) for sku in (stocked.plain, stocked.lots)]
    refusal = await refused(call())
    assert (refusal.status, refusal.code, refusal.field) == expected
    assert [await book(stocked.services, sku) for sku in (stocked.plain, stocked.lots)] == before
    await assert_no_drift(stocked.services)


BAD_QUANTITIES = [
    ("0", INVALID, ErrorCode.OUT_OF_RANGE),
    ("-1", INVALID, ErrorCode.OUT_OF_RANGE),
    ("-0.5", INVALID, ErrorCode.OUT_OF_RANGE),
    ("NaN", INVALID, ErrorCode.INVALID_FORMAT),
    ("Infinity", INVALID, ErrorCode.INVALID_FORMAT),
    ("-Infinity", INVALID, ErrorCode.INVALID_FORMAT),
    ("ten", INVALID, ErrorCode.INVALID_FORMAT),
    ("", INVALID, ErrorCode.REQUIRED),
    ("1.0000001", INVALID, ErrorCode.TOO_PRECISE),
    ("1000000000000", INVALID, ErrorCode.OUT_OF_RANGE),
]

# Each command that takes a quantity, with the field that holds it.
QUANTITY_COMMANDS: dict[str, tuple[Callable[[Stocked, str], Awaitable[object]], str]] = {
    "receipt": (lambda s, q: s.stock.PostMovement(movement(RECEIPT, s.plain, q, target=place("WH1"))), "quantity"),
    "issue": (lambda s, q: s.stock.PostMovement(movement(ISSUE, s.plain, q, source=place("WH1"))), "quantity"),
    "adjustment reasons": (
        lambda s, q: s.stock.PostMovement(
            movement(
                pb.MOVEMENT_TYPE_ADJUSTMENT,
                s.plain,
                1,
                target=place("WH1"),
                reasons=[pb.ReasonQuantity(reason_code="COUNTING_ERROR", quantity=d(q))],
            )
        ),
        "reasons[0].quantity",
    ),
    "reservation line": (
        lambda s, q: s.stock.Reserve(reservation(s.plain, q)),
        "lines[0].quantity",
    ),
    "release": (
        lambda s, q: s.stock.Release(
            pb.ReleaseRequest(idempotency_key=key(), reservation_id=s.reservation, quantity=d(q))
        ),
        "quantity",
    ),
    "issue against a reservation": (
        lambda s, q: s.stock.IssueReservation(shipment(s.reservation, q)),
        "quantity",
    ),
}


@pytest.mark.parametrize("command", QUANTITY_COMMANDS)
async def test_bad_quantities_are_refused_naming_the_field(stocked: Stocked, command: str) -> None:
    call, field = QUANTITY_COMMANDS[command]
    before = [await book(stocked.services, sku) for sku in (stocked.plain, stocked.lots)]
    seen = [(q, await refused(call(stocked, q))) for q, _, _ in BAD_QUANTITIES]
    assert seen == [(q, Refusal(status, code, field)) for q, status, code in BAD_QUANTITIES]
    assert [await book(stocked.services, sku) for sku in (stocked.plain, stocked.lots)] == before


async def test_a_quantity_that_needs_more_places_in_the_base_unit_is_refused_not_rounded(fresh_stock: Stocked) -> None:
    # 0.0000001 BOX of 10 is 0.000001 EA: kept. 0.00000001 BOX would be 0.0000001 EA: refused.
    await assert_refused_and_nothing_written(
        fresh_stock,
        lambda: fresh_stock.stock.PostMovement(
            movement(RECEIPT, fresh_stock.plain, "0.00000001", target=place("WH1"), unit="BOX")
        ),
        (INVALID, ErrorCode.TOO_PRECISE, "quantity"),
    )
    kept = await post(fresh_stock.services, RECEIPT, fresh_stock.plain, "0.0000001", target=place("WH1"), unit="BOX")
    assert kept.quantity.value == "0.000001"


def reservation(sku: str, quantity: str | int, warehouse: str = "WH1", **fields: Any) -> pb.ReserveRequest:
    line = pb.ReservationLine(item_sku=sku, warehouse=warehouse, quantity=d(quantity))
    return pb.ReserveRequest(idempotency_key=key(), lines=[line], **fields)


def shipment(reservation_id: str, quantity: str | int, location: str = "A-01") -> pb.IssueReservationRequest:
    return pb.IssueReservationRequest(
        idempotency_key=key(), reservation_id=reservation_id, quantity=d(quantity), location=location
    )


def a_minute_ago() -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(datetime.now(UTC) - timedelta(minutes=1))
    return stamp


BAD_INPUT: dict[str, tuple[Callable[[Stocked], Awaitable[object]], tuple[grpc.StatusCode, ErrorCode, str]]] = {
    "unknown item": (
        lambda s: s.stock.PostMovement(movement(RECEIPT, "NO-SUCH-ITEM", 1, target=place("WH1"))),
        (MISSING, ErrorCode.NOT_FOUND, "item_sku"),
    ),
    "unknown item on a reservation line": (
        lambda s: s.stock.Reserve(
            pb.ReserveRequest(
                idempotency_key=key(),
                lines=[
                    pb.ReservationLine(item_sku=s.plain, warehouse="WH1", quantity=d(1)),
                    pb.ReservationLine(item_sku="NO-SUCH-ITEM", warehouse="WH1", quantity=d(1)),
                ],
            )
        ),
        (MISSING, ErrorCode.NOT_FOUND, "lines[1].item_sku"),
    ),
    "unknown warehouse to receive into": (
        lambda s: s.stock.PostMovement(movement(RECEIPT, s.plain, 1, target=place("WH9"))),
        (MISSING, ErrorCode.NOT_FOUND, "to.warehouse"),
    ),
    "unknown warehouse to issue from": (
        lambda s: s.stock.PostMovement(movement(ISSUE, s.plain, 1, source=place("WH9"))),
        (MISSING, ErrorCode.NOT_FOUND, "from.warehouse"),
    ),
    "unknown warehouse on a reservation line": (
        lambda s: s.stock.Reserve(reservation(s.plain, 1, "WH9")),
        (MISSING, ErrorCode.NOT_FOUND, "lines[0].warehouse"),
    ),
    "unknown location to receive into": (
        lambda s: s.stock.PostMovement(movement(RECEIPT, s.plain, 1, target=place("WH1", "Z-99"))),
        (MISSING, ErrorCode.NOT_FOUND, "to.location"),
    ),
    "unknown location to transfer from": (
        lambda s: s.stock.PostMovement(
            movement(TRANSFER, s.plain, 1, source=place("WH1", "Z-99"), target=place("WH1", "A-01"))
        ),
        (MISSING, ErrorCode.NOT_FOUND, "from.location"),
    ),
    "unknown location to issue a reservation from": (
        lambda s: s.stock.IssueReservation(shipment(s.reservation, 1, "Z-99")),
        (MISSING, ErrorCode.NOT_FOUND, "location"),
    ),
    "unknown lot to issue from": (
        lambda s: s.stock.PostMovement(movement(ISSUE, s.lots, 1, source=place("WH1", lot="L9"))),
        (MISSING, ErrorCode.NOT_FOUND, "from.lot"),
    ),
    "unknown lot to scrap": (
        lambda s: s.stock.PostMovement(movement(SCRAP, s.lots, 1, source=place("WH1", lot="L9"))),
        (MISSING, ErrorCode.NOT_FOUND, "from.lot"),
    ),
    "unknown reservation to release": (
        lambda s: s.stock.Release(pb.ReleaseRequest(idempotency_key=key(), reservation_id="no-such-reservation")),
        (MISSING, ErrorCode.NOT_FOUND, "reservation_id"),
    ),
    "unknown reservation to issue against": (
        lambda s: s.stock.IssueReservation(shipment("no-such-reservation", 1)),
        (MISSING, ErrorCode.NOT_FOUND, "reservation_id"),
    ),
    "a lot on an item that is not lot-tracked": (
        lambda s: s.stock.PostMovement(movement(RECEIPT, s.plain, 1, target=place("WH1", lot="L1"))),
        (INVALID, ErrorCode.INVALID_FORMAT, "to.lot"),
    ),
    "no lot on a lot-tracked item": (
        lambda s: s.stock.PostMovement(movement(RECEIPT, s.lots, 1, target=place("WH1"))),
        (INVALID, ErrorCode.REQUIRED, "to.lot"),
    ),
    "no lot to issue a lot-tracked item from": (
        lambda s: s.stock.PostMovement(movement(ISSUE, s.lots, 1, source=place("WH1"))),
        (INVALID, ErrorCode.REQUIRED, "from.lot"),
    ),
    "transfer to the same location": (
        lambda s: s.stock.PostMovement(movement(TRANSFER, s.plain, 1, source=place("WH1"), target=place("WH1"))),
        (REFUSED, ErrorCode.INVALID_STATE, "to.location"),
    ),
    "transfer to another warehouse that skips its in-transit location": (
        lambda s: s.stock.PostMovement(movement(TRANSFER, s.plain, 1, source=place("WH1"), target=place("WH2"))),
        (REFUSED, ErrorCode.INVALID_STATE, "to.location"),
    ),
    "issuing more than the warehouse has": (
        lambda s: s.stock.PostMovement(movement(ISSUE, s.plain, 21, source=place("WH1"))),
        (REFUSED, ErrorCode.INSUFFICIENT_STOCK, "quantity"),
    ),
    "issuing what others have reserved": (
        lambda s: s.stock.PostMovement(movement(ISSUE, s.plain, 3, source=place("WH2"))),
        (REFUSED, ErrorCode.INSUFFICIENT_STOCK, "quantity"),
    ),
    "issuing more than the location has": (
        lambda s: s.stock.PostMovement(movement(ISSUE, s.plain, 11, source=place("WH1", "A-01"))),
        (REFUSED, ErrorCode.INSUFFICIENT_STOCK, "quantity"),
    ),
    "scrapping more than the location has": (
        lambda s: s.stock.PostMovement(movement(SCRAP, s.lots, 6, source=place("WH1", lot="L1"))),
        (REFUSED, ErrorCode.INSUFFICIENT_STOCK, "quantity"),
    ),
    "transferring more than the location has": (
        lambda s: s.stock.PostMovement(
            movement(TRANSFER, s.plain, 11, source=place("WH1", "A-01"), target=place("WH1", "B-01"))
        ),
        (REFUSED, ErrorCode.INSUFFICIENT_STOCK, "quantity"),
    ),
    "returning more rejected stock to the supplier than there is": (
        lambda s: s.stock.PostMovement(
            movement(
                ISSUE,
                s.lots,
                4,
                source=place("WH1", "B-01", "L1", REJECTED),
                reason_code="RETURN_TO_SUPPLIER",
                document=pb.DocumentRef(type="NCR", id="NCR-1"),
            )
        ),
        (REFUSED, ErrorCode.INSUFFICIENT_STOCK, "quantity"),
    ),
    "reserving more than is free": (
        lambda s: s.stock.Reserve(reservation(s.plain, 17)),
        (REFUSED, ErrorCode.INSUFFICIENT_STOCK, "lines[0].quantity"),
    ),
    "issuing against a reservation more than it holds": (
        lambda s: s.stock.IssueReservation(shipment(s.reservation, 5)),
        (INVALID, ErrorCode.OUT_OF_RANGE, "quantity"),
    ),
    "releasing more than is reserved": (
        lambda s: s.stock.Release(
            pb.ReleaseRequest(idempotency_key=key(), reservation_id=s.reservation, quantity=d(5))
        ),
        (INVALID, ErrorCode.OUT_OF_RANGE, "quantity"),
    ),
    "a reservation that expires in the past": (
        lambda s: s.stock.Reserve(reservation(s.plain, 1, expires_at=a_minute_ago())),
        (INVALID, ErrorCode.OUT_OF_RANGE, "expires_at"),
    ),
    "a receipt straight into REJECTED": (
        lambda s: s.stock.PostMovement(movement(RECEIPT, s.plain, 1, target=place("WH1", status=REJECTED))),
        (REFUSED, ErrorCode.INVALID_STATE, "to.status"),
    ),
    "a customer return that skips inspection": (
        lambda s: s.stock.PostMovement(movement(RETURN, s.plain, 1, target=place("WH1"))),
        (REFUSED, ErrorCode.INVALID_STATE, "to.status"),
    ),
    "rejected stock used as is without a document": (
        lambda s: s.stock.PostMovement(
            movement(STATUS_CHANGE, s.lots, 1, place("WH1", "B-01", "L1", REJECTED), place("WH1", "B-01", "L1"))
        ),
        (INVALID, ErrorCode.REQUIRED, "document.type"),
    ),
    "rejected stock returned to the supplier without a document": (
        lambda s: s.stock.PostMovement(
            movement(ISSUE, s.lots, 1, source=place("WH1", "B-01", "L1", REJECTED), reason_code="RETURN_TO_SUPPLIER")
        ),
        (INVALID, ErrorCode.REQUIRED, "document.type"),
    ),
    "QC_HOLD released by an admin without a reason": (
        lambda s: s.stock.PostMovement(movement(STATUS_CHANGE, s.plain, 1, place("WH1", status=QC_HOLD), place("WH1"))),
        (INVALID, ErrorCode.REQUIRED, "reason_code"),
    ),
    "rejected stock issued without going back to the supplier": (
        lambda s: s.stock.PostMovement(movement(ISSUE, s.lots, 1, source=place("WH1", "B-01", "L1", REJECTED))),
        (REFUSED, ErrorCode.INVALID_STATE, "from.status"),
    ),
    "no movement type": (
        lambda s: s.stock.PostMovement(movement(pb.MOVEMENT_TYPE_UNSPECIFIED, s.plain, 1, target=place("WH1"))),
        (INVALID, ErrorCode.REQUIRED, "type"),
    ),
}


@pytest.mark.parametrize("case", BAD_INPUT)
async def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(stocked: Stocked, case: str) -> None:
    call, expected = BAD_INPUT[case]
    await assert_refused_and_nothing_written(stocked, lambda: call(stocked), expected)


async def test_a_closed_reservation_can_be_neither_released_nor_issued_against(fresh_stock: Stocked) -> None:
    await fresh_stock.stock.Release(pb.ReleaseRequest(idempotency_key=key(), reservation_id=fresh_stock.reservation))
    for call in (
        lambda: fresh_stock.stock.Release(
            pb.ReleaseRequest(idempotency_key=key(), reservation_id=fresh_stock.reservation)
        ),
        lambda: fresh_stock.stock.IssueReservation(shipment(fresh_stock.reservation, 1)),
    ):
        await assert_refused_and_nothing_written(
            fresh_stock, call, (REFUSED, ErrorCode.INVALID_STATE, "reservation_id")
        )


async def test_a_warehouse_that_allows_negative_stock_takes_the_issue_the_others_refuse(fresh_stock: Stocked) -> None:
    await fresh_stock.stock.CreateWarehouse(
        pb.CreateWarehouseRequest(idempotency_key=key(), code="NEG", name="Negative", allow_negative_stock=True)
    )
    await fresh_stock.stock.CreateLocation(
        pb.CreateLocationRequest(idempotency_key=key(), warehouse="NEG", code="A-01")
    )
    await receive(fresh_stock.services, fresh_stock.plain, 2, place("NEG"))

    await post(fresh_stock.services, ISSUE, fresh_stock.plain, 5, source=place("NEG"))

    found = await availability(fresh_stock.services, fresh_stock.plain, "NEG")
    assert (found["on_hand"], found["atp"]) == (-3, -3)
    await assert_no_drift(fresh_stock.services)


async def test_the_database_refuses_to_change_or_delete_a_movement(stocked: Stocked) -> None:
    before = [await book(stocked.services, sku) for sku in (stocked.plain, stocked.lots)]
    history = await movements(stocked.services, stocked.plain)
    engine = create_engine(stocked.services.running.uows.engine.url.render_as_string(hide_password=False))
    try:
        for statement in ("UPDATE movements SET quantity = 2", "DELETE FROM movements"):
            with pytest.raises(Exception, match="append-only"):
                async with engine.begin() as connection:
                    await connection.execute(text(statement))
    finally:
        await engine.dispose()
    assert await movements(stocked.services, stocked.plain) == history
    assert [await book(stocked.services, sku) for sku in (stocked.plain, stocked.lots)] == before
    await assert_no_drift(stocked.services)
