"""Taking more than the book says a shelf holds is refused, and the attempt is published:
the book there is probably wrong, so counting plans a count of the item."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from stock_support import (
    StockEvents,
    availability,
    book,
    create_item,
    create_warehouses,
    d,
    key,
    movement,
    place,
    receive,
    refused,
    reserve,
    setup,
    stock_events,
)

from invariant.events.v1 import stock_pb2 as events
from invariant.stock.v1 import stock_pb2 as pb
from invariant_kernel.errors import ErrorCode

ISSUE = pb.MOVEMENT_TYPE_ISSUE
INSUFFICIENT_STOCK = ErrorCode.INSUFFICIENT_STOCK
ATTEMPTED = "negative_balance.attempted"


def attempts(watched: StockEvents) -> list[tuple[Any, ...]]:
    def shown(attempt: events.NegativeBalanceAttempted) -> tuple[Any, ...]:
        spot, document = attempt.place, attempt.document
        return (
            attempt.item_sku,
            (spot.warehouse, spot.location, spot.lot, spot.status),
            Decimal(attempt.asked.value),
            Decimal(attempt.on_hand.value),
            attempt.movement_type,
            (document.type, document.id, document.line),
        )

    return [shown(attempt) for attempt in watched.of(ATTEMPTED)]


async def test_an_issue_of_more_than_the_shelf_holds_is_refused_and_published_as_an_attempt(services: Any) -> None:
    await create_warehouses(services, ("A-01", "A-02"))
    sku = await create_item(services)
    await receive(services, sku, 4, place("WH1", "A-01"))
    order = pb.DocumentRef(type="WORK_ORDER", id="WO-7", line="3")
    issue = movement(ISSUE, sku, 10, source=place("WH1", "A-01"), document=order)
    async with stock_events(services.events, sku) as watched:
        # The shelf holds all the warehouse has: less on hand than asked, reservations or not.
        before = await book(services, sku)
        error = await refused(services.stock.PostMovement(issue))
        assert (error.code, error.field) == (INSUFFICIENT_STOCK, "quantity")
        assert await book(services, sku) == before
        # With plenty on another shelf, the shelf's own balance refuses the same request.
        await receive(services, sku, 20, place("WH1", "A-02"))
        before = await book(services, sku)
        error = await refused(services.stock.PostMovement(issue))
        assert (error.code, error.field) == (INSUFFICIENT_STOCK, "quantity")
        assert await book(services, sku) == before
        await watched.settle(services, sku)

    tried = (sku, ("WH1", "A-01", "", "AVAILABLE"), 10, 4, "ISSUE", ("WORK_ORDER", "WO-7", "3"))
    assert attempts(watched) == [tried, tried]
    assert [e.actor for e in watched.envelopes if e.type.endswith(ATTEMPTED)] == ["tester", "tester"]
    # Nothing was stored under the refused request's key: once the shelf holds enough, it posts.
    await receive(services, sku, 6, place("WH1", "A-01"))
    posted = await services.stock.PostMovement(issue)
    assert (posted.quantity.value, getattr(posted, "from").location) == ("10", "A-01")


async def test_issuing_a_reservation_from_a_shelf_that_holds_less_is_published_as_an_attempt(services: Any) -> None:
    await create_warehouses(services, ("A-01", "A-02"))
    sku = await create_item(services)
    await receive(services, sku, 4, place("WH1", "A-01"))
    await receive(services, sku, 20, place("WH1", "A-02"))
    promised = await reserve(services, sku, 6)
    async with stock_events(services.events, sku) as watched:
        error = await refused(
            services.stock.IssueReservation(
                pb.IssueReservationRequest(
                    idempotency_key=key(), reservation_id=promised.id, quantity=d(6), location="A-01"
                )
            )
        )
        assert (error.code, error.field) == (INSUFFICIENT_STOCK, "quantity")
        await watched.settle(services, sku)

    owner = (promised.owner.type, promised.owner.id, promised.owner.line)
    assert attempts(watched) == [(sku, ("WH1", "A-01", "", "AVAILABLE"), 6, 4, "ISSUE", owner)]
    assert (await availability(services, sku, "WH1"))["reserved"] == 6


async def test_a_refusal_for_what_reservations_hold_is_no_attempt(services: Any) -> None:
    sku = await setup(services)
    await receive(services, sku, 10)
    await reserve(services, sku, 8)
    async with stock_events(services.events, sku) as watched:
        before = await book(services, sku)
        # The shelf holds 10, but 8 of them are promised.
        error = await refused(services.stock.PostMovement(movement(ISSUE, sku, 5, source=place("WH1"))))
        assert (error.code, error.field) == (INSUFFICIENT_STOCK, "quantity")
        assert await book(services, sku) == before
        await watched.settle(services, sku)

    assert attempts(watched) == []


async def test_a_counts_loss_is_never_published_as_an_attempt(services: Any) -> None:
    sku = await setup(services)
    await receive(services, sku, 4)

    def loss(line: str, quantity: int) -> pb.PostCountAdjustmentsRequest:
        return pb.PostCountAdjustmentsRequest(
            count_id="CNT-1",
            lines=[
                pb.CountAdjustment(
                    line=line,
                    item_sku=sku,
                    place=place("WH1"),
                    variance=d(-quantity),
                    reasons=[pb.ReasonQuantity(reason_code="DAMAGE_NOT_RECORDED", quantity=d(quantity))],
                )
            ],
        )

    async with stock_events(services.events, sku) as watched:
        error = await refused(services.stock.PostCountAdjustments(loss("1", 10)))
        assert (error.code, error.field) == (INSUFFICIENT_STOCK, "lines[0].variance")
        await services.stock.PostCountAdjustments(loss("2", 4))
        await watched.settle(services, sku)

    assert [m.document.line for m in watched.of("adjustment.posted")] == ["2"]
    assert attempts(watched) == []
