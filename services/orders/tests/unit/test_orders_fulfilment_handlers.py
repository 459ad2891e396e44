"""The fulfilment handlers over in-memory fakes: what a stock event makes orders ask, what an
answer books, what a scan may pick and what a shipment issues, each refused before anything
is written where it breaks a rule."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from functools import partial

from orders_fakes import FakeBackorders, FakeItems, FakeOrdersRepository, FakeReleases, FakeStock, confirm

from invariant_core import identity
from invariant_core.testing import FakeService, refusal
from invariant_kernel.errors import ErrorCode
from invariant_kernel.units import ItemView
from orders.domain import commands, fulfilment
from orders.domain.picking import Shelf
from orders.domain.sales import PickFailed, SalesOrder, SalesOrderState, ShipmentPosted
from orders.service import fulfilment as fulfil
from orders.service import handlers

PICKER = identity.Identity(actor="pia", roles=frozenset({"picker"}))
BOLT = ItemView("BOLT", "EA", {"BOX": Decimal(12)})
NUT = ItemView("NUT", "EA", {})


@asynccontextmanager
async def reading_of(orders: FakeService[FakeOrdersRepository]) -> AsyncIterator[FakeOrdersRepository]:
    yield orders.repo


async def confirmed_order(
    orders: FakeService[FakeOrdersRepository], stock: FakeStock, quantity: str, granted: str
) -> SalesOrder:
    if not orders.repo.customer_rows:
        await orders.run(handlers.create_customer, commands.CreateCustomer("CITY", "City Cycles"))
    line = commands.LineInput("bolt", "", quantity, "", "main", None)
    placed = await handlers.prepare_sales_order(
        FakeItems(BOLT), stock, commands.CreateSalesOrder("city", "", "PARTIAL", (line,))
    )
    order = await orders.run(handlers.create_sales_order, placed)
    stock.grants = [Decimal(granted)]
    promised = await handlers.prepare_confirmation(
        partial(reading_of, orders), stock, commands.ConfirmSalesOrder(order.number)
    )
    asks = FakeBackorders()
    done = await confirm(orders, FakeReleases(), promised, asks)
    # The rest is asked for once more after the confirmation; stock has none of it yet.
    for number, line, asked, _ in asks.asked:
        nothing = partial(
            fulfil.backorder_answered, FakeReleases(), FakeBackorders(), number=number, line=line, asked=asked
        )
        await orders.run(
            lambda uow, repo, _, given=nothing: given(uow, repo, reservation_id="", granted=Decimal(0), cause="c-0"),
            None,
        )
    orders.relay()
    return done


async def test_a_receipt_asks_stock_for_the_waiting_lines_keyed_by_the_event() -> None:
    orders, stock, backorders = FakeService(FakeOrdersRepository()), FakeStock(), FakeBackorders()
    first = await confirmed_order(orders, stock, "10", "4")
    second = await confirmed_order(orders, stock, "3", "0")

    fill = partial(fulfil.fill_backorders, backorders)
    await orders.run(lambda uow, repo, _: fill(uow, repo, "BOLT", "MAIN", Decimal(8), "movement-1"), None)
    # Another receipt while stock has not answered yet: only what nobody asked for is asked.
    await orders.run(lambda uow, repo, _: fill(uow, repo, "BOLT", "MAIN", Decimal(8), "movement-2"), None)

    assert backorders.asked == [
        (first.number, 1, Decimal(6), "movement-1"),
        (second.number, 1, Decimal(2), "movement-1"),
        (second.number, 1, Decimal(1), "movement-2"),
    ]
    assert orders.repo.orders[second.number].lines[0].asking == Decimal(3)


async def test_stock_s_answer_is_booked_and_a_cancelled_order_s_grant_given_back() -> None:
    orders, stock, releases = FakeService(FakeOrdersRepository()), FakeStock(), FakeReleases()
    kept = await confirmed_order(orders, stock, "10", "4")
    dropped = await confirmed_order(orders, stock, "5", "0")
    fill = partial(fulfil.fill_backorders, FakeBackorders())
    await orders.run(lambda uow, repo, _: fill(uow, repo, "BOLT", "MAIN", Decimal(20), "m-1"), None)
    await orders.run(partial(handlers.cancel_sales_order, releases), commands.CancelSalesOrder(dropped.number, ""))

    answer = partial(fulfil.backorder_answered, releases, FakeBackorders())
    await orders.run(
        lambda uow, repo, _: answer(uow, repo, kept.number, 1, Decimal(6), "r-b1", Decimal(6), "c-1"), None
    )
    await orders.run(
        lambda uow, repo, _: answer(uow, repo, dropped.number, 1, Decimal(5), "r-b2", Decimal(5), "c-2"), None
    )

    [line] = orders.repo.orders[kept.number].lines
    assert (line.reserved, line.backordered, [r.reservation_id for r in line.reservations]) == (
        Decimal(10),
        Decimal(0),
        ["R-0-0", "r-b1"],
    )
    assert releases.sent == [(dropped.number, 1, "r-b2", Decimal(5))]


async def test_an_ask_answered_short_after_stock_came_in_that_no_ask_took_asks_again() -> None:
    orders, stock, backorders = FakeService(FakeOrdersRepository()), FakeStock(), FakeBackorders()
    placed = await confirmed_order(orders, stock, "3", "0")
    fill = partial(fulfil.fill_backorders, backorders)
    answer = partial(fulfil.backorder_answered, FakeReleases(), backorders)
    await orders.run(lambda uow, repo, _: fill(uow, repo, "BOLT", "MAIN", Decimal(3), "movement-1"), None)

    # A receipt of 4 comes in that no ask can take (all 3 are asked for), then stock's answer
    # to the ask: nothing, since stock answered it before the receipt was posted.
    await orders.run(lambda uow, repo, _: fill(uow, repo, "BOLT", "MAIN", Decimal(4), "movement-2"), None)
    await orders.run(lambda uow, repo, _: answer(uow, repo, placed.number, 1, Decimal(3), "", Decimal(0), "c-1"), None)
    # The ask made again, answered short too: no stock came meanwhile, so it waits.
    await orders.run(lambda uow, repo, _: answer(uow, repo, placed.number, 1, Decimal(3), "", Decimal(0), "c-2"), None)

    assert backorders.asked == [
        (placed.number, 1, Decimal(3), "movement-1"),
        (placed.number, 1, Decimal(3), "c-1"),
    ]
    [line] = orders.repo.orders[placed.number].lines
    assert (line.backordered, line.asking, line.asked_before_arrival) == (Decimal(3), Decimal(0), Decimal(0))


async def picking(quantity: str = "10") -> tuple[FakeService[FakeOrdersRepository], FakeStock, FakeItems, SalesOrder]:
    orders, stock = FakeService(FakeOrdersRepository()), FakeStock()
    order = await confirmed_order(orders, stock, quantity, quantity)
    stock.shelved["BOLT"] = [Shelf("A-01", "", Decimal(6)), Shelf("B-01", "", Decimal(20))]
    return orders, stock, FakeItems(BOLT, NUT, barcodes={"4006381333931": "BOLT", "NUT-1": "NUT"}), order


async def test_a_scan_of_another_item_or_off_the_pick_list_is_refused_and_nothing_is_picked() -> None:
    orders, stock, items, order = await picking()
    prepare = partial(fulfil.prepare_pick, partial(reading_of, orders), items, stock)

    def scan(location: str, barcode: str, quantity: str = "1") -> fulfilment.PickLine:
        return fulfilment.PickLine(order.number, 1, location, barcode, "", quantity, "")

    wrong = await refusal(prepare(scan("A-01", "NUT-1")))
    assert (wrong.code, wrong.field) == (ErrorCode.INVALID_STATE, "barcode")
    assert "expects item BOLT" in wrong.message
    off_list = await refusal(prepare(scan("C-01", "4006381333931")))
    assert (off_list.code, off_list.field) == (ErrorCode.NOT_FOUND, "location")
    assert "A-01, B-01" in off_list.message
    too_precise = await refusal(prepare(scan("A-01", "4006381333931", "0.0000001")))
    assert too_precise.field == "quantity"
    assert orders.repo.orders[order.number].picks == []

    with identity.acting(PICKER):
        picked = await orders.run(fulfil.pick_line, await prepare(scan("a-01", "4006381333931", "6")))
    assert (picked.state, picked.picks[0].actor, picked.picks[0].location) == (SalesOrderState.PICKING, "pia", "A-01")
    # What is picked and not shipped is still on the book: the list does not name it again.
    listed = await fulfil.get_pick_list(partial(reading_of, orders), items, stock, order.number)
    assert [(e.location, e.quantity) for e in listed] == [("B-01", Decimal(4))]


async def test_a_short_pick_is_recorded_with_what_the_list_named_and_published() -> None:
    orders, stock, items, order = await picking()
    short = fulfilment.ShortPick(order.number, 1, "A-01", "", "2")

    with identity.acting(PICKER):
        prepared = await fulfil.prepare_short_pick(partial(reading_of, orders), items, stock, short)
        done = await orders.run(fulfil.pick_line, prepared)

    [pick] = done.picks
    assert (pick.quantity, pick.expected, pick.actor) == (Decimal(2), Decimal(6), "pia")
    assert orders.relay() == [PickFailed(done, done.lines[0], pick)]


async def test_shipping_issues_each_pick_once_however_many_ship_it() -> None:
    orders, stock, items, order = await picking("8")
    reading = partial(reading_of, orders)
    for location, quantity in (("A-01", "6"), ("B-01", "2")):
        scan = fulfilment.PickLine(order.number, 1, location, "4006381333931", "", quantity, "")
        await orders.run(fulfil.pick_line, await fulfil.prepare_pick(reading, items, stock, scan))
    orders.relay()

    first = await fulfil.prepare_shipment(reading, stock, fulfilment.ShipSalesOrder(order.number))
    second = await fulfil.prepare_shipment(reading, stock, fulfilment.ShipSalesOrder(order.number))
    shipped = await orders.run(fulfil.ship_sales_order, first)
    again = await orders.run(fulfil.ship_sales_order, second)

    assert len(stock.issued) == 2
    assert first == second
    assert (shipped.state, shipped.lines[0].shipped) == (SalesOrderState.SHIPPED, Decimal(8))
    assert again.transitions == shipped.transitions
    [posted] = orders.relay()
    assert isinstance(posted, ShipmentPosted)
    assert [(line.item_sku, line.quantity) for line in posted.lines] == [("BOLT", Decimal(8))]
    nothing = await refusal(fulfil.prepare_shipment(reading, stock, fulfilment.ShipSalesOrder(order.number)))
    assert nothing.code is ErrorCode.INVALID_STATE


async def test_a_shortage_gives_back_what_went_missing_and_asks_for_it_again() -> None:
    orders, stock, releases, backorders = (
        FakeService(FakeOrdersRepository()),
        FakeStock(),
        FakeReleases(),
        FakeBackorders(),
    )
    order = await confirmed_order(orders, stock, "8", "8")

    found = partial(fulfil.shortage_found, backorders, releases)
    await orders.run(lambda uow, repo, _: found(uow, repo, {"R-0-0", "R-OTHER"}, Decimal(3), "shortage-1"), None)

    assert releases.sent == [(order.number, 1, "R-0-0", Decimal(3))]
    assert backorders.asked == [(order.number, 1, Decimal(3), "shortage-1")]
    [line] = orders.repo.orders[order.number].lines
    assert (line.reserved, line.backordered, line.shorted) == (Decimal(5), Decimal(3), Decimal(3))


async def test_an_empty_shelf_is_found_zero_and_a_found_quantity_is_required() -> None:
    orders, stock, items, order = await picking()
    prepare = partial(fulfil.prepare_short_pick, partial(reading_of, orders), items, stock)

    empty = await prepare(fulfilment.ShortPick(order.number, 1, "A-01", "", "0.00"))
    missing = await refusal(prepare(fulfilment.ShortPick(order.number, 1, "A-01", "", " ")))
    garbled = await refusal(prepare(fulfilment.ShortPick(order.number, 1, "A-01", "", "two")))

    assert (empty.quantity, empty.expected) == (Decimal(0), Decimal(6))
    assert (missing.code, missing.field) == (ErrorCode.REQUIRED, "found")
    assert garbled.field == "found"
