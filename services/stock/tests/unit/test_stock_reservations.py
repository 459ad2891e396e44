"""Granting reservation lines under both policies, and a reservation's life."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from invariant_kernel.errors import DomainError, ErrorCode
from stock.domain import DocumentRef, Reservation, ReservationPolicy, ReservationState, grant

ALL_OR_NOTHING, PARTIAL = ReservationPolicy.ALL_OR_NOTHING, ReservationPolicy.PARTIAL
BOLT, NUT = ("BOLT", "WH1"), ("NUT", "WH1")
NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
ORDER = DocumentRef("SALES_ORDER", "SO-1", "1")


def refusal(call: Callable[[], object]) -> tuple[ErrorCode, str]:
    with pytest.raises(DomainError) as refused:
        call()
    return refused.value.code, refused.value.field


def reservation(granted: str = "10", requested: str | None = None, expires_at: datetime | None = None) -> Reservation:
    return Reservation.create(
        id="R1",
        item_sku="BOLT",
        warehouse="WH1",
        requested=Decimal(requested or granted),
        granted=Decimal(granted),
        owner=ORDER,
        expires_at=expires_at,
        now=NOW,
    )


# Granting


def test_all_or_nothing_grants_every_line_in_full_when_there_is_enough() -> None:
    granted = grant(ALL_OR_NOTHING, [(BOLT, Decimal(4)), (NUT, Decimal(2))], {BOLT: Decimal(4), NUT: Decimal(9)})

    assert granted == [Decimal(4), Decimal(2)]


def test_all_or_nothing_refuses_the_whole_request_naming_the_short_line() -> None:
    with pytest.raises(DomainError) as refused:
        grant(ALL_OR_NOTHING, [(NUT, Decimal(2)), (BOLT, Decimal(5))], {BOLT: Decimal(4), NUT: Decimal(9)})

    assert (refused.value.code, refused.value.field) == (ErrorCode.INSUFFICIENT_STOCK, "lines[1].quantity")
    assert refused.value.message == "item BOLT in warehouse WH1: asked 5, available 4"


def test_lines_for_the_same_item_and_warehouse_share_what_is_there() -> None:
    lines = [(BOLT, Decimal(3)), (NUT, Decimal(1)), (BOLT, Decimal(2))]

    assert grant(ALL_OR_NOTHING, lines, {BOLT: Decimal(5), NUT: Decimal(1)}) == [Decimal(3), Decimal(1), Decimal(2)]
    with pytest.raises(DomainError) as refused:
        grant(ALL_OR_NOTHING, lines, {BOLT: Decimal("4.5"), NUT: Decimal(1)})
    assert refused.value.field == "lines[2].quantity"
    assert "asked 2, available 1.5 after the earlier lines" in refused.value.message


def test_partial_grants_each_line_what_is_left_in_line_order() -> None:
    lines = [(BOLT, Decimal(3)), (BOLT, Decimal(3)), (NUT, Decimal(2)), (BOLT, Decimal(1))]

    granted = grant(PARTIAL, lines, {BOLT: Decimal(4), NUT: Decimal(7)})

    assert granted == [Decimal(3), Decimal(1), Decimal(2), Decimal(0)]


def test_an_item_with_nothing_to_promise_gets_nothing_under_partial() -> None:
    granted = grant(PARTIAL, [(BOLT, Decimal(3)), (NUT, Decimal(1))], {NUT: Decimal(-2)})

    assert granted == [Decimal(0), Decimal(0)]


def test_stock_short_of_its_reservations_promises_nothing_under_all_or_nothing() -> None:
    assert refusal(lambda: grant(ALL_OR_NOTHING, [(BOLT, Decimal(1))], {BOLT: Decimal(-3)})) == (
        ErrorCode.INSUFFICIENT_STOCK,
        "lines[0].quantity",
    )


def test_a_line_must_ask_for_something() -> None:
    assert refusal(lambda: grant(PARTIAL, [(BOLT, Decimal(1)), (BOLT, Decimal(0))], {BOLT: Decimal(5)})) == (
        ErrorCode.OUT_OF_RANGE,
        "lines[1].quantity",
    )


# A reservation's life


def test_a_new_reservation_holds_what_was_granted() -> None:
    held = reservation("6", requested="10")

    assert (held.requested, held.open) == (Decimal(10), Decimal(6))
    assert held.consumed == held.released == Decimal(0)
    assert held.granted == Decimal(6)
    assert held.state is ReservationState.OPEN
    assert held.created_at == NOW


def test_a_line_granted_nothing_is_released_at_once() -> None:
    nothing = reservation("0", requested="10")

    assert nothing.open == 0
    assert nothing.state is ReservationState.RELEASED


def test_a_reservation_cannot_hold_more_than_was_requested() -> None:
    assert refusal(lambda: reservation("11", requested="10")) == (ErrorCode.OUT_OF_RANGE, "quantity")


def test_a_reservation_expires_in_the_future_and_with_a_time_zone() -> None:
    assert refusal(lambda: reservation(expires_at=NOW)) == (ErrorCode.OUT_OF_RANGE, "expires_at")
    assert refusal(lambda: reservation(expires_at=datetime(2030, 1, 1))) == (ErrorCode.INVALID_FORMAT, "expires_at")


def test_releasing_part_of_a_reservation_keeps_it_open() -> None:
    held = reservation("10")

    assert held.release(Decimal(4)) == Decimal(4)
    assert (held.open, held.released, held.state) == (Decimal(6), Decimal(4), ReservationState.OPEN)


def test_releasing_everything_that_is_open_releases_the_reservation() -> None:
    held = reservation("10")

    assert held.release() == Decimal(10)
    assert (held.open, held.released, held.state) == (Decimal(0), Decimal(10), ReservationState.RELEASED)


def test_releasing_more_than_is_open_is_refused_and_changes_nothing() -> None:
    held = reservation("10")

    assert refusal(lambda: held.release(Decimal("10.000001"))) == (ErrorCode.OUT_OF_RANGE, "quantity")
    assert refusal(lambda: held.release(Decimal(0))) == (ErrorCode.OUT_OF_RANGE, "quantity")
    assert held.open == Decimal(10)


def test_a_reservation_that_is_no_longer_open_cannot_be_released_or_issued_against() -> None:
    held = reservation("10")
    held.release()

    assert refusal(lambda: held.release()) == (ErrorCode.INVALID_STATE, "reservation_id")
    assert refusal(lambda: held.consume(Decimal(1))) == (ErrorCode.INVALID_STATE, "reservation_id")


def test_issuing_against_a_reservation_consumes_it() -> None:
    held = reservation("10")

    assert held.consume(Decimal(7)) == Decimal(7)
    assert (held.open, held.consumed, held.state) == (Decimal(3), Decimal(7), ReservationState.OPEN)
    assert held.consume(Decimal(3)) == Decimal(3)
    assert (held.open, held.consumed, held.state) == (Decimal(0), Decimal(10), ReservationState.CONSUMED)


def test_issuing_more_than_is_held_is_refused() -> None:
    held = reservation("10")

    assert refusal(lambda: held.consume(Decimal(11))) == (ErrorCode.OUT_OF_RANGE, "quantity")
    assert held.open == Decimal(10)


def test_a_reservation_partly_issued_and_then_released_counts_as_consumed() -> None:
    held = reservation("10")
    held.consume(Decimal(4))
    held.release()

    assert (held.consumed, held.released, held.state) == (Decimal(4), Decimal(6), ReservationState.CONSUMED)
    assert held.granted == Decimal(10)


def test_a_reservation_expires_once_its_time_has_come() -> None:
    held = reservation("10", expires_at=NOW + timedelta(hours=1))
    held.consume(Decimal(2))

    assert held.expire(NOW + timedelta(minutes=59)) == 0
    assert held.state is ReservationState.OPEN
    assert held.expire(NOW + timedelta(hours=1)) == Decimal(8)
    assert (held.open, held.released, held.state) == (Decimal(0), Decimal(8), ReservationState.EXPIRED)
    assert held.expire(NOW + timedelta(hours=2)) == 0


def test_a_reservation_without_expiry_never_expires() -> None:
    held = reservation("10")

    assert held.expire(NOW + timedelta(days=3650)) == 0
    assert held.state is ReservationState.OPEN


def test_an_expired_reservation_cannot_be_issued_against() -> None:
    held = reservation("10", expires_at=NOW + timedelta(hours=1))
    held.expire(NOW + timedelta(hours=1))

    assert refusal(lambda: held.consume(Decimal(1))) == (ErrorCode.INVALID_STATE, "reservation_id")
