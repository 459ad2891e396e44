"""Stock's reservation handlers over an in-memory repository: reserving, releasing, expiry
and issuing against a reservation, as they change what can be promised and what they
publish (how a grant is computed is in test_stock_reservations)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from stock_fakes import ORDER, FakeStockRepository, StockService, at, decimals, new_stock, of_type, receive, reserve

from invariant_core import identity
from invariant_core.coalesce import Call
from invariant_core.db import utcnow
from invariant_core.testing import FakeRecorder, refusal
from invariant_kernel.errors import DomainError, ErrorCode, ItemsNotReplicatedError
from stock.domain import DocumentRef, MovementType, Reservation, ReservationPolicy, ReservationState, StockKey, commands
from stock.domain.events import MovementPosted, ReservationChanged, ThresholdCrossed
from stock.service import handlers
from stock.service.ports import MovementRecord

KEY = StockKey("WIDGET", "WH1")
PARTIAL, ALL_OR_NOTHING = ReservationPolicy.PARTIAL, ReservationPolicy.ALL_OR_NOTHING
SALES = identity.Identity(actor="sales-3", roles=frozenset({"sales"}), correlation_id="c-9")


def request(
    *quantities: str, sku: str = "WIDGET", warehouse: str = "WH1", policy: ReservationPolicy = ALL_OR_NOTHING
) -> commands.Reserve:
    lines = [commands.ReservationLine(sku, warehouse, quantity, "") for quantity in quantities]
    return commands.Reserve(lines, policy, ORDER, None)


def held(stock: StockService) -> tuple[Decimal, Decimal]:
    """What is on hand and what is reserved of WIDGET in WH1."""
    row = stock.repo.availability[KEY]
    return row.available, row.reserved


async def issue(stock: StockService, reservation: Reservation, quantity: str, location: str = "A") -> MovementRecord:
    command = commands.IssueReservation(reservation.id, quantity, "", location, "", DocumentRef("", ""), None, "key-1")
    return await stock.run(handlers.issue_reservation, command)


async def expire(stock: StockService, moment: datetime, limit: int = 500) -> int:
    async def sweep(uow: FakeRecorder, repo: FakeStockRepository, now: datetime) -> int:
        return await handlers.expire_reservations(uow, repo, now=now, limit=limit)

    return await stock.run(sweep, moment)


async def test_a_reservation_holds_what_was_granted_and_is_published_as_its_caller() -> None:
    stock = await new_stock()
    await receive(stock, "10")
    stock.relay()

    with identity.acting(SALES):
        reservation = await reserve(stock, "4")

    assert (reservation.state, reservation.requested, reservation.open, reservation.owner) == (
        ReservationState.OPEN,
        Decimal(4),
        Decimal(4),
        ORDER,
    )
    assert stock.repo.reservations == {reservation.id: reservation}
    assert held(stock) == decimals(10, 4)
    created = ReservationChanged("created", reservation.id, "WIDGET", "WH1", Decimal(4), Decimal(4), ORDER)
    assert stock.outbox == [(created, SALES)]


async def test_more_than_can_be_promised_is_refused_under_all_or_nothing_and_nothing_is_held() -> None:
    stock = await new_stock()
    await receive(stock, "10")
    first = await reserve(stock, "3")
    stock.relay()

    error = await refusal(reserve(stock, "8"))

    assert (error.code, error.field) == (ErrorCode.INSUFFICIENT_STOCK, "lines[0].quantity")
    assert list(stock.repo.reservations) == [first.id]
    assert held(stock) == decimals(10, 3)
    assert stock.relay() == []


async def test_partial_grants_what_is_left_and_a_line_granted_nothing_is_released_at_once() -> None:
    stock = await new_stock()
    await receive(stock, "10")
    await reserve(stock, "3")
    stock.relay()

    [outcome] = await stock.run(handlers.reserve_together, [Call(request("8", "5", policy=PARTIAL), SALES)])

    assert not isinstance(outcome, DomainError)
    some, none = outcome
    assert (some.requested, some.open, some.state) == (Decimal(8), Decimal(7), ReservationState.OPEN)
    assert (none.requested, none.open, none.state) == (Decimal(5), Decimal(0), ReservationState.RELEASED)
    assert stock.repo.reservations[none.id] == none
    assert held(stock) == decimals(10, 10)
    assert [(e.reservation_id, e.quantity) for e in of_type(ReservationChanged, stock.relay())] == [
        (some.id, Decimal(7))
    ]


async def test_requests_reserved_together_are_granted_in_arrival_order_each_as_its_caller() -> None:
    stock = await new_stock()
    await receive(stock, "10")
    stock.relay()
    alice, bob, carol = (identity.Identity(actor=name) for name in ("alice", "bob", "carol"))
    calls = [Call(request("6"), alice), Call(request("6"), bob), Call(request("6", policy=PARTIAL), carol)]

    first, second, third = await stock.run(handlers.reserve_together, calls)

    assert isinstance(second, DomainError)
    assert second.code is ErrorCode.INSUFFICIENT_STOCK
    assert not isinstance(first, DomainError)
    assert not isinstance(third, DomainError)
    assert [r.open for r in (*first, *third)] == list(decimals(6, 4))
    assert held(stock) == decimals(10, 10)
    assert [(e.quantity, who.actor) for e, who in stock.outbox if isinstance(e, ReservationChanged)] == [
        (Decimal(6), "alice"),
        (Decimal(4), "carol"),
    ]


async def test_a_request_for_an_item_not_replicated_or_an_unknown_warehouse_is_refused_on_its_own() -> None:
    stock = await new_stock()
    await receive(stock, "10")
    calls = [Call(r, SALES) for r in (request("1", sku="ghost"), request("1", warehouse="WH9"), request("2"))]

    unknown_item, unknown_warehouse, granted = await stock.run(handlers.reserve_together, calls)

    assert isinstance(unknown_item, ItemsNotReplicatedError)
    assert unknown_item.missing == [("GHOST", "lines[0].item_sku")]
    assert isinstance(unknown_warehouse, DomainError)
    assert (unknown_warehouse.code, unknown_warehouse.field) == (ErrorCode.NOT_FOUND, "lines[0].warehouse")
    assert not isinstance(granted, DomainError)
    assert list(stock.repo.reservations) == [granted[0].id]
    assert held(stock) == decimals(10, 2)


async def test_reserving_below_safety_stock_is_reported_as_the_caller_who_crossed_it() -> None:
    stock = await new_stock()
    await stock.repo.save_thresholds("WIDGET", "WH1", Decimal(5), Decimal(50))
    await receive(stock, "10")
    stock.relay()

    with identity.acting(SALES):
        await reserve(stock, "6")

    [(crossed, who)] = [(e, who) for e, who in stock.outbox if isinstance(e, ThresholdCrossed)]
    assert (crossed.kind, crossed.level, crossed.available_to_promise, who) == (
        "BELOW_SAFETY",
        Decimal(5),
        Decimal(4),
        SALES,
    )


async def test_a_request_that_expires_in_the_past_is_refused_on_its_own() -> None:
    stock = await new_stock()
    await receive(stock, "10")
    late = replace(request("2"), expires_at=utcnow() - timedelta(minutes=1))

    granted, refused = await stock.run(handlers.reserve_together, [Call(request("3"), SALES), Call(late, SALES)])

    assert isinstance(refused, DomainError)
    assert refused.field == "expires_at"
    assert not isinstance(granted, DomainError)
    assert held(stock) == decimals(10, 3)


async def test_releasing_part_of_a_reservation_and_then_the_rest_makes_it_promisable_again() -> None:
    stock = await new_stock()
    await receive(stock, "10")
    reservation = await reserve(stock, "5")
    stock.relay()

    part = await stock.run(handlers.release, commands.Release(reservation.id, "3"))
    rest = await stock.run(handlers.release, commands.Release(reservation.id, None))

    assert (part.open, part.released, part.state) == (Decimal(2), Decimal(3), ReservationState.OPEN)
    assert (rest.open, rest.released, rest.state) == (Decimal(0), Decimal(5), ReservationState.RELEASED)
    assert stock.repo.reservations[reservation.id] == rest
    assert held(stock) == decimals(10, 0)
    assert [(e.fact, e.quantity, e.open) for e in of_type(ReservationChanged, stock.relay())] == [
        ("released", *decimals(3, 2)),
        ("released", *decimals(2, 0)),
    ]


async def test_a_reservation_that_is_not_open_or_does_not_exist_cannot_be_released() -> None:
    stock = await new_stock()
    await receive(stock, "10")
    reservation = await reserve(stock, "5")
    await stock.run(handlers.release, commands.Release(reservation.id, None))
    stock.relay()

    again = await refusal(stock.run(handlers.release, commands.Release(reservation.id, None)))
    missing = await refusal(stock.run(handlers.release, commands.Release("no-such-reservation", None)))

    assert (again.code, again.field) == (ErrorCode.INVALID_STATE, "reservation_id")
    assert (missing.code, missing.field) == (ErrorCode.NOT_FOUND, "reservation_id")
    assert held(stock) == decimals(10, 0)
    assert stock.relay() == []


async def test_reservations_expire_once_their_time_has_come_a_batch_at_a_time() -> None:
    stock = await new_stock()
    await receive(stock, "10")
    now = utcnow()
    two = await reserve(stock, "2", expires_at=now + timedelta(hours=1))
    three = await reserve(stock, "3", expires_at=now + timedelta(hours=2))
    lasting = await reserve(stock, "1")
    stock.relay()

    assert await expire(stock, now) == 0
    assert await expire(stock, now + timedelta(hours=3), limit=1) == 1
    assert held(stock)[1] in decimals(4, 3)
    assert await expire(stock, now + timedelta(hours=3)) == 1

    assert [stock.repo.reservations[r.id].state for r in (two, three, lasting)] == [
        ReservationState.EXPIRED,
        ReservationState.EXPIRED,
        ReservationState.OPEN,
    ]
    assert held(stock) == decimals(10, 1)
    expired = of_type(ReservationChanged, stock.relay())
    assert sorted((e.fact, e.reservation_id, e.quantity, e.open) for e in expired) == sorted(
        [("expired", two.id, Decimal(2), Decimal(0)), ("expired", three.id, Decimal(3), Decimal(0))]
    )


async def test_an_issue_against_a_reservation_consumes_it_and_leaves_what_can_be_promised_as_it_was() -> None:
    stock = await new_stock()
    await stock.repo.save_thresholds("WIDGET", "WH1", Decimal(5), Decimal(50))
    await receive(stock, "10")
    reservation = await reserve(stock, "5")
    stock.relay()

    record = await issue(stock, reservation, "3")

    kept = stock.repo.reservations[reservation.id]
    assert (kept.open, kept.consumed, kept.state) == (Decimal(2), Decimal(3), ReservationState.OPEN)
    assert (record.plan.movement_type, record.plan.from_place, record.plan.quantity_base) == (
        MovementType.ISSUE,
        at(),
        Decimal(3),
    )
    assert (record.reservation_id, record.document) == (reservation.id, ORDER)
    assert stock.repo.movements[-1] == record
    assert held(stock) == decimals(7, 2)
    events = stock.relay()
    assert [(e.fact, e.reservation_id) for e in of_type(MovementPosted, events)] == [
        ("movement", reservation.id),
        ("issue", reservation.id),
    ]
    assert of_type(ThresholdCrossed, events) == []


async def test_an_issue_against_a_reservation_may_take_the_stock_it_holds_and_goes_to_the_document_named() -> None:
    stock = await new_stock()
    await receive(stock, "5")
    reservation = await reserve(stock, "5")
    picking = DocumentRef("PICK", "P-9", "1")
    command = commands.IssueReservation(reservation.id, "5", "", " a ", "", picking, None, "key-2")

    record = await stock.run(handlers.issue_reservation, command)

    assert record.document == picking
    assert stock.repo.reservations[reservation.id].state is ReservationState.CONSUMED
    assert held(stock) == decimals(0, 0)
    assert stock.repo.balance("WIDGET", at()) == 0


async def test_an_issue_against_a_reservation_from_an_empty_bin_is_refused_and_the_reservation_keeps_its_stock() -> (
    None
):
    stock = await new_stock()
    await receive(stock, "10")
    reservation = await reserve(stock, "5")
    stock.relay()

    error = await refusal(issue(stock, reservation, "3", location="B"))

    assert isinstance(error, handlers.NegativeBalanceError)
    assert (error.place, error.asked, error.on_hand) == (at("B"), Decimal(3), Decimal(0))
    assert stock.repo.reservations[reservation.id] == reservation
    assert held(stock) == decimals(10, 5)
    assert stock.relay() == []


@pytest.mark.parametrize("quantity", ["6", "0"])
async def test_an_issue_against_a_reservation_takes_something_and_no_more_than_it_holds(quantity: str) -> None:
    stock = await new_stock()
    await receive(stock, "10")
    reservation = await reserve(stock, "5")

    error = await refusal(issue(stock, reservation, quantity))

    assert (error.code, error.field) == (ErrorCode.OUT_OF_RANGE, "quantity")
    assert stock.repo.reservations[reservation.id] == reservation
    assert len(stock.repo.movements) == 1


async def test_an_issue_against_a_reservation_that_is_no_longer_open_is_refused() -> None:
    stock = await new_stock()
    await receive(stock, "10")
    reservation = await reserve(stock, "5")
    await stock.run(handlers.release, commands.Release(reservation.id, None))

    error = await refusal(issue(stock, reservation, "1"))

    assert (error.code, error.field) == (ErrorCode.INVALID_STATE, "reservation_id")
    assert stock.repo.balance("WIDGET", at()) == 10
