"""The ledger over real gRPC: receipts, reservations, transfers and issues keep the book true."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from stock_support import assert_no_drift, availability, d, key, movements, place, refused, setup

from invariant.stock.v1 import stock_pb2 as pb
from invariant_core.paging import encode_token
from invariant_kernel.errors import ErrorCode


async def test_receive_reserve_transfer_and_issue_against_the_reservation(services) -> None:  # type: ignore[no-untyped-def]
    sku = await setup(services, lot_tracked=True)
    received = await services.stock.PostMovement(
        pb.PostMovementRequest(
            idempotency_key=key(),
            type=pb.MOVEMENT_TYPE_RECEIPT,
            item_sku=sku,
            quantity=d("10"),
            unit="BOX",
            to=place("WH1", lot="L1"),
            document=pb.DocumentRef(type="PURCHASE_ORDER", id="PO-1", line="1"),
        )
    )
    assert received.quantity.value == "100" and received.actor == "tester"

    [reservation] = (
        await services.stock.Reserve(
            pb.ReserveRequest(
                idempotency_key=key(),
                lines=[pb.ReservationLine(item_sku=sku, warehouse="WH1", quantity=d("30"))],
                owner=pb.DocumentRef(type="SALES_ORDER", id="SO-1"),
            )
        )
    ).reservations
    assert await availability(services, sku, "WH1") == {
        "on_hand": 100,
        "qc_hold": 0,
        "rejected": 0,
        "in_transit": 0,
        "reserved": 30,
        "atp": 70,
    }

    await services.stock.PostMovement(
        pb.PostMovementRequest(
            idempotency_key=key(),
            type=pb.MOVEMENT_TYPE_TRANSFER,
            item_sku=sku,
            quantity=d("20"),
            **{"from": place("WH1", lot="L1")},
            to=place("WH2", location="IN_TRANSIT", lot="L1"),
        )
    )
    assert (await availability(services, sku, "WH2"))["in_transit"] == 20
    assert (await availability(services, sku, "WH2"))["on_hand"] == 0
    assert (await availability(services, sku, "WH1"))["on_hand"] == 80

    await services.stock.IssueReservation(
        pb.IssueReservationRequest(
            idempotency_key=key(), reservation_id=reservation.id, quantity=d("30"), location="A-01", lot="L1"
        )
    )
    assert await availability(services, sku, "WH1") == {
        "on_hand": 50,
        "qc_hold": 0,
        "rejected": 0,
        "in_transit": 0,
        "reserved": 0,
        "atp": 50,
    }
    await assert_no_drift(services)


async def test_a_retried_movement_posts_once(services) -> None:  # type: ignore[no-untyped-def]
    sku = await setup(services)
    request = pb.PostMovementRequest(
        idempotency_key=key(), type=pb.MOVEMENT_TYPE_RECEIPT, item_sku=sku, quantity=d("5"), to=place("WH1")
    )
    first = await services.stock.PostMovement(request)
    again = await services.stock.PostMovement(request)
    assert again.id == first.id
    assert (await availability(services, sku, "WH1"))["on_hand"] == 5


async def test_issuing_more_than_is_free_is_refused_and_nothing_is_written(services) -> None:  # type: ignore[no-untyped-def]
    sku = await setup(services)
    await services.stock.PostMovement(
        pb.PostMovementRequest(
            idempotency_key=key(), type=pb.MOVEMENT_TYPE_RECEIPT, item_sku=sku, quantity=d("10"), to=place("WH1")
        )
    )
    await services.stock.Reserve(
        pb.ReserveRequest(
            idempotency_key=key(), lines=[pb.ReservationLine(item_sku=sku, warehouse="WH1", quantity=d("8"))]
        )
    )
    error = await refused(
        services.stock.PostMovement(
            pb.PostMovementRequest(
                idempotency_key=key(),
                type=pb.MOVEMENT_TYPE_ISSUE,
                item_sku=sku,
                quantity=d("3"),
                **{"from": place("WH1")},
            )
        )
    )
    assert (error.code, error.field) == (ErrorCode.INSUFFICIENT_STOCK, "quantity")
    assert await availability(services, sku, "WH1") == {
        "on_hand": 10,
        "qc_hold": 0,
        "rejected": 0,
        "in_transit": 0,
        "reserved": 8,
        "atp": 2,
    }
    await assert_no_drift(services)


async def test_a_balance_as_of_a_past_time_is_the_sum_of_movements_up_to_then(services) -> None:  # type: ignore[no-untyped-def]
    sku = await setup(services)
    now = datetime.now(UTC)
    postings = [
        (now - timedelta(days=3), pb.MOVEMENT_TYPE_RECEIPT, "50"),
        (now - timedelta(days=2, hours=1), pb.MOVEMENT_TYPE_ISSUE, "20"),
        (now - timedelta(days=2), pb.MOVEMENT_TYPE_RECEIPT, "5"),
        (now - timedelta(hours=1), pb.MOVEMENT_TYPE_ISSUE, "10"),
    ]
    for when, kind, quantity in postings:
        sides = {"to": place("WH1")} if kind == pb.MOVEMENT_TYPE_RECEIPT else {"from": place("WH1")}
        request = pb.PostMovementRequest(idempotency_key=key(), type=kind, item_sku=sku, quantity=d(quantity), **sides)
        request.business_time.FromDatetime(when)
        await services.stock.PostMovement(request)

    async def as_of(moment: datetime) -> Decimal:
        request = pb.GetBalanceAsOfRequest(item_sku=sku, place=place("WH1"))
        request.as_of.FromDatetime(moment)
        return Decimal((await services.stock.GetBalanceAsOf(request)).quantity.value)

    assert await as_of(now - timedelta(days=4)) == 0
    assert await as_of(now - timedelta(days=3)) == 50
    assert await as_of(now - timedelta(days=2, minutes=30)) == 30
    assert await as_of(now - timedelta(days=1)) == 35
    assert await as_of(now) == 25
    assert (await availability(services, sku, "WH1"))["on_hand"] == 25


async def test_a_lot_is_created_once_and_only_for_a_lot_tracked_item(services) -> None:  # type: ignore[no-untyped-def]
    sku = await setup(services, lot_tracked=True)
    request = pb.CreateLotRequest(idempotency_key=key(), item_sku=sku, lot="L-7")
    assert (await services.stock.CreateLot(request)).lot == "L-7"
    error = await refused(services.stock.CreateLot(pb.CreateLotRequest(idempotency_key=key(), item_sku=sku, lot="L-7")))
    assert (error.code, error.field) == (ErrorCode.ALREADY_EXISTS, "lot")
    plain = await setup(services)
    error = await refused(
        services.stock.CreateLot(pb.CreateLotRequest(idempotency_key=key(), item_sku=plain, lot="L-8"))
    )
    assert (error.code, error.field) == (ErrorCode.INVALID_STATE, "item_sku")


async def test_history_balances_and_reservations_are_paged_forward_and_backward(services) -> None:  # type: ignore[no-untyped-def]
    sku = await setup(services)
    for n in range(5):
        await services.stock.PostMovement(
            pb.PostMovementRequest(
                idempotency_key=key(),
                type=pb.MOVEMENT_TYPE_RECEIPT,
                item_sku=sku,
                quantity=d(str(n + 1)),
                to=place("WH1" if n % 2 else "WH2"),
                document=pb.DocumentRef(type="PURCHASE_ORDER", id=f"PO-{n}"),
            )
        )
    for n in range(3):
        await services.stock.Reserve(
            pb.ReserveRequest(
                idempotency_key=key(),
                lines=[pb.ReservationLine(item_sku=sku, warehouse="WH1", quantity=d(str(n + 1)))],
                owner=pb.DocumentRef(type="SALES_ORDER", id="SO-9", line=str(n + 1)),
            )
        )

    history = [m.quantity.value for m in await movements(services, sku)]
    assert history == ["1", "2", "3", "4", "5"]
    first = await services.stock.ListMovements(pb.ListMovementsRequest(item_sku=sku, page_size=2))
    assert ([m.quantity.value for m in first.movements], first.next_page_token) == (["1", "2"], first.cursors[-1])
    # Read backward from the third movement's cursor: nearest first, and nothing before the first.
    third = await services.stock.ListMovements(
        pb.ListMovementsRequest(item_sku=sku, page_size=1, page_token=first.cursors[-1])
    )
    back = await services.stock.ListMovements(
        pb.ListMovementsRequest(item_sku=sku, page_size=5, page_token=third.cursors[0], reverse=True)
    )
    assert ([m.quantity.value for m in back.movements], back.next_page_token) == (["2", "1"], "")
    latest = await services.stock.ListMovements(pb.ListMovementsRequest(item_sku=sku, page_size=2, reverse=True))
    assert [m.quantity.value for m in latest.movements] == ["5", "4"]
    assert latest.next_page_token == latest.cursors[-1]
    in_wh1 = await services.stock.ListMovements(pb.ListMovementsRequest(item_sku=sku, warehouse="WH1"))
    assert [m.quantity.value for m in in_wh1.movements] == ["2", "4"]
    by_document = await services.stock.ListMovements(
        pb.ListMovementsRequest(document=pb.DocumentRef(type="PURCHASE_ORDER", id="PO-2"))
    )
    assert [m.item_sku for m in by_document.movements] == [sku]

    balances = await services.stock.ListBalances(pb.ListBalancesRequest(item_sku=sku, page_size=1))
    rest = await services.stock.ListBalances(
        pb.ListBalancesRequest(item_sku=sku, page_size=1, page_token=balances.next_page_token)
    )
    assert [(b.place.warehouse, b.quantity.value) for b in [*balances.balances, *rest.balances]] == [
        ("WH1", "6"),
        ("WH2", "9"),
    ]
    assert rest.next_page_token == ""
    last = await services.stock.ListBalances(pb.ListBalancesRequest(item_sku=sku, page_size=1, reverse=True))
    before = await services.stock.ListBalances(
        pb.ListBalancesRequest(item_sku=sku, page_size=1, page_token=last.cursors[0], reverse=True)
    )
    assert [b.place.warehouse for b in [*last.balances, *before.balances]] == ["WH2", "WH1"]
    assert (last.cursors, before.next_page_token) == (list(rest.cursors), "")

    owner = pb.DocumentRef(type="SALES_ORDER", id="SO-9")
    held = await services.stock.ListReservations(pb.ListReservationsRequest(owner=owner, open_only=True, page_size=2))
    assert [(r.item_sku, r.open.value, r.state) for r in held.reservations] == [(sku, "1", "OPEN"), (sku, "2", "OPEN")]
    newest = await services.stock.ListReservations(
        pb.ListReservationsRequest(owner=owner, page_size=2, page_token=held.next_page_token)
    )
    assert ([r.open.value for r in newest.reservations], newest.next_page_token) == (["3"], "")
    back_from_newest = await services.stock.ListReservations(
        pb.ListReservationsRequest(owner=owner, page_size=5, page_token=newest.cursors[0], reverse=True)
    )
    assert [r.open.value for r in back_from_newest.reservations] == ["2", "1"]

    # A token another list issued, or one made up, is refused rather than read as some position.
    for call in (
        lambda: services.stock.ListMovements(pb.ListMovementsRequest(page_token="not-a-token")),
        lambda: services.stock.ListMovements(pb.ListMovementsRequest(page_token=balances.cursors[0])),
        lambda: services.stock.ListReservations(pb.ListReservationsRequest(page_token=first.cursors[0])),
        lambda: services.stock.ListReservations(pb.ListReservationsRequest(page_token=encode_token("today", "R-1"))),
    ):
        error = await refused(call())
        assert (error.code, error.field) == (ErrorCode.INVALID_FORMAT, "page_token")
