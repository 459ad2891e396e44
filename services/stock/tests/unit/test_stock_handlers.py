"""Stock's handlers for places, lots and movements over an in-memory repository: what they
store, publish and refuse (which movements are allowed at all is in test_stock_movements)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from stock_fakes import (
    DOCUMENT,
    Balance,
    StockService,
    at,
    decimals,
    movement,
    new_stock,
    of_type,
    post,
    receive,
    reserve,
)

from invariant_core import identity
from invariant_core.coalesce import Call
from invariant_core.db import utcnow
from invariant_core.testing import FakeRecorder, refusal
from invariant_kernel.errors import DomainError, ErrorCode, ItemsNotReplicatedError
from stock.domain import (
    LocationKind,
    LocationView,
    MovementType,
    StockKey,
    StockStatus,
    WarehouseView,
    commands,
)
from stock.domain.events import MovementPosted, NegativeBalanceAttempted, ShortageFound, ThresholdCrossed
from stock.service import handlers
from stock.service.ports import Availability

RECEIPT, ISSUE, TRANSFER, SCRAP = MovementType.RECEIPT, MovementType.ISSUE, MovementType.TRANSFER, MovementType.SCRAP
QC_HOLD = StockStatus.QC_HOLD
KEY = StockKey("WIDGET", "WH1")
STOCKER = identity.Identity(actor="stocker-1", roles=frozenset({"operator"}), correlation_id="c-1")


def promisable(stock: StockService, key: StockKey = KEY) -> Decimal:
    return stock.repo.availability[key].to_promise


async def test_a_warehouse_is_created_with_its_in_transit_location() -> None:
    stock = await new_stock()

    view = await stock.run(handlers.create_warehouse, commands.CreateWarehouse(" wh3 ", " North ", True))

    assert view == WarehouseView("WH3", True, "IN_TRANSIT")
    assert stock.repo.warehouse_rows["WH3"] == (view, "North")
    assert stock.repo.location_rows[("WH3", "IN_TRANSIT")] == LocationView("WH3", "IN_TRANSIT", LocationKind.IN_TRANSIT)
    assert stock.relay() == []


@pytest.mark.parametrize(
    ("command", "code", "field"),
    [
        (commands.CreateWarehouse("wh1", "Again", False), ErrorCode.ALREADY_EXISTS, "code"),
        (commands.CreateWarehouse("WH3", "  ", False), ErrorCode.REQUIRED, "name"),
    ],
)
async def test_a_warehouse_code_is_taken_once_and_a_name_is_required(
    command: commands.CreateWarehouse, code: ErrorCode, field: str
) -> None:
    stock = await new_stock()

    error = await refusal(stock.run(handlers.create_warehouse, command))

    assert (error.code, error.field) == (code, field)
    assert sorted(stock.repo.warehouse_rows) == ["WH1", "WH2"]
    assert stock.repo.warehouse_rows["WH1"][1] == "Warehouse WH1"


async def test_a_location_is_added_to_a_known_warehouse_under_its_normalised_code() -> None:
    stock = await new_stock()

    view = await stock.run(handlers.create_location, commands.CreateLocation("wh1", " r1-02 ", LocationKind.RECEIVING))

    assert view == LocationView("WH1", "R1-02", LocationKind.RECEIVING)
    assert stock.repo.location_rows[("WH1", "R1-02")] == view


@pytest.mark.parametrize(
    ("command", "code", "field"),
    [
        (commands.CreateLocation("WH9", "C", LocationKind.STORAGE), ErrorCode.NOT_FOUND, "warehouse"),
        (commands.CreateLocation("WH1", "C", LocationKind.IN_TRANSIT), ErrorCode.INVALID_STATE, "kind"),
        (commands.CreateLocation("WH1", "a", LocationKind.STORAGE), ErrorCode.ALREADY_EXISTS, "code"),
    ],
)
async def test_a_location_is_refused_naming_the_field_and_nothing_is_written(
    command: commands.CreateLocation, code: ErrorCode, field: str
) -> None:
    stock = await new_stock()
    before = dict(stock.repo.location_rows)

    error = await refusal(stock.run(handlers.create_location, command))

    assert (error.code, error.field) == (code, field)
    assert stock.repo.location_rows == before


async def test_a_lot_of_a_lot_tracked_item_is_created_once_with_its_expiry() -> None:
    stock = await new_stock()
    expiry = utcnow().date() + timedelta(days=90)

    item, lot = await stock.run(handlers.create_lot, commands.CreateLot(" resin ", "L-7", expiry))
    error = await refusal(stock.run(handlers.create_lot, commands.CreateLot("RESIN", "L-7", None)))

    assert (item.sku, lot) == ("RESIN", "L-7")
    assert stock.repo.lot_rows == {("RESIN", "L-7"): expiry}
    assert (error.code, error.field) == (ErrorCode.ALREADY_EXISTS, "lot")


async def test_a_lot_is_refused_for_an_item_without_lots_or_not_replicated_yet() -> None:
    stock = await new_stock()

    untracked = await refusal(stock.run(handlers.create_lot, commands.CreateLot("WIDGET", "L-1", None)))
    unknown = await refusal(stock.run(handlers.create_lot, commands.CreateLot("GHOST", "L-1", None)))

    assert (untracked.code, untracked.field) == (ErrorCode.INVALID_STATE, "item_sku")
    assert isinstance(unknown, ItemsNotReplicatedError)
    assert unknown.missing == [("GHOST", "item_sku")]
    assert stock.repo.lot_rows == {}


async def test_a_receipt_raises_the_balance_and_what_can_be_promised_and_is_published_as_a_receipt() -> None:
    stock = await new_stock()

    with identity.acting(STOCKER):
        record = await post(stock, replace(movement(RECEIPT, "2", target=at()), unit="box"))

    assert stock.repo.movements == [record]
    assert (record.sequence, record.actor, record.plan.quantity_base, record.plan.unit) == (
        1,
        "stocker-1",
        Decimal(24),
        "BOX",
    )
    assert stock.repo.balances == {("WIDGET", at()): Balance(Decimal(24), False)}
    assert stock.repo.balance_days == {("WIDGET", at(), record.business_time.date()): Decimal(24)}
    assert stock.repo.availability[KEY] == Availability(KEY, *decimals(24, 0, 0, 0, 0))
    posted = MovementPosted(
        fact="movement",
        movement_id=record.id,
        sequence=1,
        type=RECEIPT,
        item_sku="WIDGET",
        quantity=Decimal(24),
        from_place=None,
        to_place=at(),
        document=DOCUMENT,
        reason_code="",
        reasons=(),
        business_time=record.business_time,
        reservation_id="",
    )
    assert stock.outbox == [(posted, STOCKER), (replace(posted, fact="receipt"), STOCKER)]


async def test_a_receipt_into_quality_hold_is_on_hand_but_cannot_be_promised() -> None:
    stock = await new_stock()

    await receive(stock, "10", at(status=QC_HOLD))

    assert stock.repo.balance("WIDGET", at(status=QC_HOLD)) == 10
    assert (stock.repo.availability[KEY].qc_hold, promisable(stock)) == decimals(10, 0)


@pytest.mark.parametrize(
    "command",
    [
        movement(ISSUE, "5", source=at()),
        movement(SCRAP, "5", source=at()),
        movement(TRANSFER, "5", source=at(), target=at("B")),
    ],
)
async def test_a_movement_that_would_take_a_balance_below_zero_is_refused_and_writes_nothing(
    command: commands.PostMovement,
) -> None:
    stock = await new_stock()
    await receive(stock, "3")
    stock.relay()

    error = await refusal(post(stock, command))

    assert isinstance(error, handlers.NegativeBalanceError)
    assert (error.code, error.field, error.item_sku, error.place) == (
        ErrorCode.INSUFFICIENT_STOCK,
        "quantity",
        "WIDGET",
        at(),
    )
    assert (error.asked, error.on_hand, error.movement_type) == (Decimal(5), Decimal(3), command.type)
    assert stock.repo.balances == {("WIDGET", at()): Balance(Decimal(3), False)}
    assert stock.repo.availability[KEY] == Availability(KEY, *decimals(3, 0, 0, 0, 0))
    assert len(stock.repo.movements) == 1
    assert stock.relay() == []


async def test_a_refused_negative_balance_is_recorded_as_an_attempt_and_other_refusals_are_not() -> None:
    stock = await new_stock()
    await receive(stock, "3")
    error = await refusal(post(stock, movement(SCRAP, "5", source=at())))
    recorder = FakeRecorder()

    assert handlers.report_negative_balance_attempt(recorder, error) is True
    assert handlers.report_negative_balance_attempt(recorder, DomainError(ErrorCode.REQUIRED, "?", "x")) is False

    [attempt] = recorder.events
    assert isinstance(attempt, NegativeBalanceAttempted)
    assert (attempt.item_sku, attempt.place, attempt.asked, attempt.on_hand) == ("WIDGET", at(), Decimal(5), Decimal(3))
    assert (attempt.movement_type, attempt.document) == (SCRAP, DOCUMENT)


async def test_a_warehouse_that_allows_negative_stock_lets_an_issue_take_its_balance_below_zero() -> None:
    stock = await new_stock()

    await post(stock, movement(ISSUE, "5", source=at(warehouse="WH2")))

    assert stock.repo.balances == {("WIDGET", at(warehouse="WH2")): Balance(Decimal(-5), True)}
    assert stock.repo.availability[StockKey("WIDGET", "WH2")].available == -5


@pytest.mark.parametrize(
    "command",
    [
        movement(ISSUE, "5", source=at()),
        movement(TRANSFER, "5", source=at(), target=at("IN_TRANSIT", warehouse="WH2")),
    ],
)
async def test_an_issue_or_a_transfer_out_of_the_warehouse_may_not_take_stock_that_reservations_hold(
    command: commands.PostMovement,
) -> None:
    stock = await new_stock()
    await receive(stock, "10")
    await reserve(stock, "8")
    stock.relay()

    error = await refusal(post(stock, command))

    assert not isinstance(error, handlers.NegativeBalanceError)
    assert (error.code, error.field) == (ErrorCode.INSUFFICIENT_STOCK, "quantity")
    assert "2 available to promise, 5 asked" in error.message
    assert (stock.repo.balance("WIDGET", at()), stock.repo.availability[KEY].reserved) == decimals(10, 8)
    assert stock.relay() == []


async def test_scrap_takes_stock_that_reservations_hold_and_reports_each_new_or_deeper_shortage_once() -> None:
    stock = await new_stock()
    await receive(stock, "10")
    held = await reserve(stock, "8")
    stock.relay()

    first = await post(stock, movement(SCRAP, "5", source=at()))
    [found] = of_type(ShortageFound, stock.relay())
    second = await post(stock, movement(SCRAP, "1", source=at()))
    [deeper] = of_type(ShortageFound, stock.relay())
    await receive(stock, "1")

    assert (found.available_on_hand, found.reserved, found.short_by) == decimals(5, 8, 3)
    assert (found.reservation_ids, found.movement_id) == ((held.id,), first.id)
    assert (deeper.short_by, deeper.movement_id) == (Decimal(4), second.id)
    assert of_type(ShortageFound, stock.relay()) == []


async def test_movements_posted_together_are_each_posted_as_their_caller() -> None:
    stock = await new_stock()
    alice, bob = identity.Identity(actor="alice"), identity.Identity(actor="bob")
    calls = [
        Call(movement(RECEIPT, "10", target=at()), alice),
        Call(movement(RECEIPT, "1", target=at(), sku="GHOST"), bob),
        Call(movement(ISSUE, "4", source=at()), bob),
    ]

    received, unknown, issued = await stock.run(handlers.post_requested, calls)

    assert isinstance(unknown, ItemsNotReplicatedError)
    assert unknown.missing == [("GHOST", "item_sku")]
    assert not isinstance(received, Exception)
    assert not isinstance(issued, Exception)
    assert [(r.sequence, r.actor) for r in (received, issued)] == [(1, "alice"), (2, "bob")]
    assert stock.repo.balance("WIDGET", at()) == 6
    assert [(event.movement_id, who.actor) for event, who in stock.outbox if isinstance(event, MovementPosted)] == [
        (received.id, "alice"),
        (received.id, "alice"),
        (issued.id, "bob"),
        (issued.id, "bob"),
    ]


async def test_a_transfer_to_another_warehouse_is_in_transit_there_and_no_longer_available_here() -> None:
    stock = await new_stock()
    await receive(stock, "10")
    on_the_road = at("IN_TRANSIT", warehouse="WH2")

    await post(stock, movement(TRANSFER, "4", source=at(), target=on_the_road))

    assert (stock.repo.balance("WIDGET", at()), stock.repo.balance("WIDGET", on_the_road)) == decimals(6, 4)
    there = stock.repo.availability[StockKey("WIDGET", "WH2")]
    assert (promisable(stock), there.in_transit, there.available) == decimals(6, 4, 0)


async def test_a_receipt_of_a_lot_tracked_item_creates_the_lot_it_brings() -> None:
    stock = await new_stock()

    await receive(stock, "3", at(lot="L-9"), sku="RESIN")
    await receive(stock, "2", at(lot="L-9"), sku="RESIN")

    assert stock.repo.lot_rows == {("RESIN", "L-9"): None}
    assert stock.repo.balance("RESIN", at(lot="L-9")) == 5
    assert all(not record.plan.new_lots for record in stock.repo.movements)


async def test_a_correction_names_a_movement_the_ledger_holds() -> None:
    stock = await new_stock()
    wrong = await post(stock, movement(RECEIPT, "10", target=at()))
    correcting = replace(movement(SCRAP, "10", source=at()), corrects_movement_id=wrong.id)

    error = await refusal(post(stock, replace(correcting, corrects_movement_id="no-such-movement")))
    correction = await post(stock, correcting)

    assert (error.code, error.field) == (ErrorCode.NOT_FOUND, "corrects_movement_id")
    assert stock.repo.movements == [wrong, correction]
    assert correction.corrects_movement_id == wrong.id
    assert stock.repo.balance("WIDGET", at()) == 0


async def test_a_movement_may_be_dated_in_the_past_but_not_in_the_future() -> None:
    stock = await new_stock()
    last_week = utcnow() - timedelta(days=7)
    receipt = movement(RECEIPT, "10", target=at())

    record = await post(stock, replace(receipt, business_time=last_week))
    error = await refusal(post(stock, replace(receipt, business_time=utcnow() + timedelta(hours=1))))

    assert record.business_time == last_week
    assert stock.repo.balance_days == {("WIDGET", at(), last_week.date()): Decimal(10)}
    assert (error.code, error.field) == (ErrorCode.OUT_OF_RANGE, "business_time")
    assert stock.repo.movements == [record]


async def test_crossing_safety_and_maximum_stock_is_reported_once_each_way() -> None:
    stock = await new_stock()
    await stock.repo.save_thresholds("WIDGET", "WH1", Decimal(5), Decimal(20))

    def crossings() -> list[tuple[str, int, int]]:
        return [(c.kind, int(c.level), int(c.available_to_promise)) for c in of_type(ThresholdCrossed, stock.relay())]

    await receive(stock, "10")
    assert crossings() == [("BACK_ABOVE_SAFETY", 5, 10)]
    await post(stock, movement(ISSUE, "6", source=at()))
    assert crossings() == [("BELOW_SAFETY", 5, 4)]
    await post(stock, movement(ISSUE, "1", source=at()))
    assert crossings() == []
    await receive(stock, "30")
    assert crossings() == [("BACK_ABOVE_SAFETY", 5, 33), ("ABOVE_MAX", 20, 33)]
    await receive(stock, "30", at(status=QC_HOLD))
    assert crossings() == []


async def test_a_transfer_between_bins_of_a_warehouse_may_move_stock_that_reservations_hold() -> None:
    stock = await new_stock()
    await receive(stock, "10")
    await reserve(stock, "10")

    await post(stock, movement(TRANSFER, "10", source=at(), target=at("B")))

    assert (stock.repo.balance("WIDGET", at()), stock.repo.balance("WIDGET", at("B"))) == decimals(0, 10)
    assert (stock.repo.availability[KEY].available, stock.repo.availability[KEY].reserved) == decimals(10, 10)
