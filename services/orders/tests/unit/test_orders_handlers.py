"""The orders handlers over in-memory fakes of their ports: what they store, publish, ask of
stock and refuse."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from functools import partial

from orders_fakes import FakeBackorders, FakeItems, FakeOrdersRepository, FakeReleases, FakeStock, confirm

from invariant_core import identity
from invariant_core.coalesce import Call
from invariant_core.testing import FakeService, refusal
from invariant_kernel.errors import DomainError, ErrorCode
from invariant_kernel.units import ItemView
from orders.domain import commands
from orders.domain.sales import Cancelled, Confirmed, PromisePolicy, SalesOrder, SalesOrderState
from orders.service import handlers

DESK = identity.Identity(actor="ana", roles=frozenset({"sales"}))
BOLT = ItemView("BOLT", "EA", {"BOX": Decimal(12)})


def line(**given: object) -> commands.LineInput:
    fields: dict[str, object] = {
        "item_sku": "bolt",
        "barcode": "",
        "quantity": "2",
        "unit": "box",
        "warehouse": "main",
        "requested_date": None,
    }
    return commands.LineInput(**(fields | given))  # type: ignore[arg-type]


def placed(*lines: commands.LineInput, policy: str = "") -> commands.CreateSalesOrder:
    return commands.CreateSalesOrder("city", "PO 1", policy, lines)


async def service_with_customer() -> FakeService[FakeOrdersRepository]:
    orders = FakeService(FakeOrdersRepository())
    await orders.run(handlers.create_customer, commands.CreateCustomer("CITY", "City Cycles"))
    return orders


async def new_order(
    orders: FakeService[FakeOrdersRepository], stock: FakeStock, *lines: commands.LineInput
) -> SalesOrder:
    prepared = await handlers.prepare_sales_order(FakeItems(BOLT), stock, placed(*(lines or (line(),))))
    return await orders.run(handlers.create_sales_order, prepared)


async def confirmed(
    orders: FakeService[FakeOrdersRepository],
    stock: FakeStock,
    releases: FakeReleases,
    number: str,
    backorders: FakeBackorders | None = None,
) -> SalesOrder:
    @asynccontextmanager
    async def reading() -> AsyncIterator[FakeOrdersRepository]:
        yield orders.repo

    promised = await handlers.prepare_confirmation(reading, stock, commands.ConfirmSalesOrder(number))
    return await confirm(orders, releases, promised, backorders)


async def test_a_line_is_kept_as_entered_and_in_the_base_unit() -> None:
    orders, stock = await service_with_customer(), FakeStock()
    with identity.acting(DESK):
        order = await new_order(orders, stock)

    [kept] = orders.repo.orders[order.number].lines
    assert (kept.item_sku, kept.quantity, kept.unit, kept.base_quantity, kept.warehouse) == (
        "BOLT",
        Decimal(2),
        "BOX",
        Decimal(24),
        "MAIN",
    )
    assert (order.number, order.customer, order.policy) == ("SO-000001", "CITY", PromisePolicy.ALL_OR_NOTHING)
    assert order.transitions[0].actor == "ana"


async def test_orders_are_numbered_in_turn() -> None:
    orders, stock = await service_with_customer(), FakeStock()
    numbers = [(await new_order(orders, stock)).number for _ in range(3)]
    assert numbers == ["SO-000001", "SO-000002", "SO-000003"]


async def test_an_item_named_by_barcode_is_the_barcode_s_item() -> None:
    prepared = await handlers.prepare_sales_order(
        FakeItems(BOLT, barcodes={"4006381333931": "BOLT"}),
        FakeStock(),
        placed(line(item_sku="", barcode="4006381333931")),
    )
    assert prepared.lines[0].item_sku == "BOLT"


async def test_bad_lines_are_refused_naming_the_line_before_anything_is_written() -> None:
    items, stock = FakeItems(BOLT), FakeStock()
    cases = [
        (line(barcode="X"), ErrorCode.MUTUALLY_EXCLUSIVE, "lines[0]"),
        (line(item_sku=""), ErrorCode.REQUIRED, "lines[0].item_sku"),
        (line(item_sku="nut"), ErrorCode.NOT_FOUND, "lines[0].item_sku"),
        (line(warehouse="east"), ErrorCode.NOT_FOUND, "lines[0].warehouse"),
        (line(unit="crate"), ErrorCode.NOT_FOUND, "lines[0].unit"),
        (line(quantity="0"), ErrorCode.OUT_OF_RANGE, "lines[0].quantity"),
    ]
    for given, code, field in cases:
        refused = await refusal(handlers.prepare_sales_order(items, stock, placed(line(), given)))
        assert (refused.code, refused.field) == (code, field.replace("[0]", "[1]"))
    policy = await refusal(handlers.prepare_sales_order(items, stock, placed(line(), policy="SOME")))
    assert (policy.code, policy.field) == (ErrorCode.INVALID_FORMAT, "policy")


async def test_an_order_for_an_unknown_customer_writes_nothing() -> None:
    orders = FakeService(FakeOrdersRepository())
    prepared = await handlers.prepare_sales_order(FakeItems(BOLT), FakeStock(), placed(line()))
    refused = await refusal(orders.run(handlers.create_sales_order, prepared))
    assert (refused.code, refused.field) == (ErrorCode.NOT_FOUND, "customer")
    assert orders.repo.orders == {} and orders.repo.numbers == {}


async def test_confirming_records_stock_s_grants_and_publishes_the_order() -> None:
    orders, releases, backorders = await service_with_customer(), FakeReleases(), FakeBackorders()
    stock = FakeStock(grants=[Decimal(20)])
    order = await new_order(orders, stock)
    orders.relay()

    with identity.acting(DESK):
        done = await confirmed(orders, stock, releases, order.number, backorders)

    [kept] = orders.repo.orders[order.number].lines
    assert (kept.reserved, kept.backordered, kept.reservation_id) == (Decimal(20), Decimal(4), "R-0-0")
    # The 4 short are asked for once more after the commit: stock may have had them by then.
    assert kept.asking == Decimal(4)
    assert backorders.asked == [(order.number, 1, Decimal(4), f"confirmation/{done.id}")]
    assert done.state is SalesOrderState.CONFIRMED
    assert orders.relay() == [Confirmed(done)]
    assert releases.sent == []


async def test_two_confirmations_of_one_order_share_stock_s_one_answer() -> None:
    orders, stock, releases = await service_with_customer(), FakeStock(), FakeReleases()
    order = await new_order(orders, stock)
    first = await confirmed(orders, stock, releases, order.number)
    # The second was prepared before the first committed: stock answered it the same.
    again = await confirm(
        orders, releases, handlers.Promised(order.number, tuple(stock.answered[handlers.confirmation_key(first)]))
    )
    assert again.transitions == first.transitions
    assert len(stock.answered) == 1


async def test_an_order_cancelled_while_stock_promised_it_gives_the_promise_back() -> None:
    orders, stock, releases = await service_with_customer(), FakeStock(), FakeReleases()
    order = await new_order(orders, stock)

    @asynccontextmanager
    async def reading() -> AsyncIterator[FakeOrdersRepository]:
        yield orders.repo

    promised = await handlers.prepare_confirmation(reading, stock, commands.ConfirmSalesOrder(order.number))
    await orders.run(partial(handlers.cancel_sales_order, releases), commands.CancelSalesOrder(order.number, ""))
    answer = await confirm(orders, releases, promised)

    assert answer.state is SalesOrderState.CANCELLED
    assert releases.sent == [(order.number, 1, "R-0-0", Decimal(24))]


async def test_cancelling_a_confirmed_order_releases_what_it_holds_and_says_so() -> None:
    orders, stock, releases = await service_with_customer(), FakeStock(), FakeReleases()
    order = await new_order(orders, stock)
    await confirmed(orders, stock, releases, order.number)
    orders.relay()

    with identity.acting(DESK):
        cancelled = await orders.run(
            partial(handlers.cancel_sales_order, releases), commands.CancelSalesOrder(order.number, "late")
        )

    assert releases.sent == [(order.number, 1, "R-0-0", Decimal(24))]
    assert orders.relay() == [Cancelled(cancelled, "late")]
    await handlers.reservation_released(orders.repo, order.id, 1, "R-0-0", Decimal(0))
    assert orders.repo.orders[order.number].lines[0].reserved == 0
    refused = await refusal(
        orders.run(partial(handlers.cancel_sales_order, releases), commands.CancelSalesOrder(order.number, ""))
    )
    assert refused.code is ErrorCode.INVALID_STATE


async def test_a_taken_partner_code_is_refused() -> None:
    orders = await service_with_customer()
    refused = await refusal(orders.run(handlers.create_customer, commands.CreateCustomer("city", "Other")))
    assert (refused.code, refused.field) == (ErrorCode.ALREADY_EXISTS, "code")
    supplier = await handlers.prepare_supplier(
        FakeItems(BOLT), commands.CreateSupplier("ALU", "Alu", (commands.SuppliedItem("bolt", "1.5", 7),))
    )
    made = await orders.run(handlers.create_supplier, supplier)
    assert (made.items[0].item_sku, made.items[0].pack_size) == ("BOLT", Decimal("1.5"))
    taken = await refusal(orders.run(handlers.create_supplier, supplier))
    assert (taken.code, taken.field) == (ErrorCode.ALREADY_EXISTS, "code")


async def test_confirmations_arriving_together_are_recorded_in_one_batch_each_as_its_caller() -> None:
    orders, stock, releases = await service_with_customer(), FakeStock(), FakeReleases()
    first, second = [await new_order(orders, stock) for _ in range(2)]
    orders.relay()

    @asynccontextmanager
    async def reading() -> AsyncIterator[FakeOrdersRepository]:
        yield orders.repo

    promises = [
        await handlers.prepare_confirmation(reading, stock, commands.ConfirmSalesOrder(o.number))
        for o in (first, second)
    ]
    ben = identity.Identity(actor="ben", roles=frozenset({"sales"}))
    gone = handlers.Promised("SO-999999", ())
    calls = [Call(promises[0], DESK), Call(gone, ben), Call(promises[1], ben)]

    one, missing, two = await orders.run(partial(handlers.confirm_sales_orders, releases, FakeBackorders()), calls)

    assert isinstance(missing, DomainError) and (missing.code, missing.field) == (ErrorCode.NOT_FOUND, "number")
    assert [o.state for o in (one, two)] == [SalesOrderState.CONFIRMED] * 2
    assert [orders.repo.orders[o.number].transitions[-1].actor for o in (first, second)] == ["ana", "ben"]
    assert [(type(event), who.actor) for event, who in orders.outbox] == [(Confirmed, "ana"), (Confirmed, "ben")]
