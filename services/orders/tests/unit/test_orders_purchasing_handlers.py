"""Purchasing's handlers over in-memory ports, run as the dispatcher runs them: what a
receipt posts to stock and books, what a crossing drafts, and what a buyer does with it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import pytest
from purchasing_fakes import FakeItems, FakePurchasingRepository, FakeReceiving, reading_of

from invariant_core import identity
from invariant_core.db import utcnow
from invariant_core.testing import FakeService, refusal
from invariant_kernel.errors import ErrorCode
from orders.domain import purchase_commands as commands
from orders.domain.purchasing import PurchaseOrder, PurchaseOrderState
from orders.domain.suggestions import PlaceFigures, SuggestionState
from orders.service import purchasing

LOCATION = ("WH1", "A-01")
FIGURES = PlaceFigures(Decimal(3), Decimal(10), Decimal(42))


@pytest.fixture(autouse=True)
def buyer() -> Iterator[None]:
    with identity.acting(identity.Identity(actor="buyer-1", roles=frozenset({"buyer"}))):
        yield


def line(
    sku: str, quantity: str, unit: str = "", warehouse: str = "wh1", tolerance: str = ""
) -> commands.PurchaseLineInput:
    return commands.PurchaseLineInput(sku, quantity, unit, warehouse, None, "2.50", tolerance)


def entry(number: int, quantity: str, lot: str = "", expiry: date | None = None) -> commands.ReceiptLineInput:
    return commands.ReceiptLineInput(number, quantity, "", "a-01", lot, expiry)


class Purchasing:
    """The handlers with their prepare steps, over one fake of each port."""

    def __init__(self, *lot_tracked: str) -> None:
        self.repo = FakePurchasingRepository()
        self.repo.add_supplier("ALU", ("FRAME", Decimal(5), 14))
        self.service = FakeService(self.repo)
        self.items = FakeItems(*lot_tracked)
        self.stock = FakeReceiving(LOCATION)

    async def create(self, *lines: commands.PurchaseLineInput, supplier: str = "alu") -> PurchaseOrder:
        placed = await purchasing.prepare_purchase_order(
            self.items, self.stock, commands.CreatePurchaseOrder(supplier, lines)
        )
        return await self.service.run(purchasing.create_purchase_order, placed)

    async def sent(self, *lines: commands.PurchaseLineInput) -> PurchaseOrder:
        number = (await self.create(*lines)).number
        return await self.service.run(purchasing.send_purchase_order, commands.SendPurchaseOrder(number))

    async def receive(self, number: str, *entries: commands.ReceiptLineInput, key: str = "r-1") -> PurchaseOrder:
        cmd = commands.ReceivePurchaseOrder(key, number, entries)
        posted = await purchasing.prepare_receipt(lambda: reading_of(self.service.repo), self.items, self.stock, cmd)
        return await self.service.run(purchasing.receive_purchase_order, posted)


async def test_a_purchase_order_keeps_its_lines_as_entered_and_in_the_base_unit() -> None:
    p = Purchasing()
    order = await p.create(line("frame", "2", "box", tolerance="5"))
    assert (order.number, order.supplier, order.state) == ("PO-000001", "ALU", PurchaseOrderState.DRAFT)
    [first] = order.lines
    assert (first.quantity, first.unit, first.base_quantity, first.warehouse) == (2, "BOX", 24, "WH1")
    assert (first.unit_price, first.tolerance_percent) == (Decimal("2.50"), 5)
    assert order.transitions[0].actor == "buyer-1"


async def test_an_unknown_supplier_or_warehouse_is_refused_naming_it_and_nothing_is_written() -> None:
    p = Purchasing()
    nobody = await refusal(p.create(line("FRAME", "1"), supplier="NOBODY"))
    assert (nobody.code, nobody.field) == (ErrorCode.NOT_FOUND, "supplier")
    nowhere = await refusal(p.create(line("FRAME", "1"), line("FRAME", "1", warehouse="WH9")))
    assert (nowhere.code, nowhere.field) == (ErrorCode.NOT_FOUND, "lines[1].warehouse")
    missing = await refusal(p.create(line("FRAME", "1"), line("NOPE", "1")))
    assert (missing.code, missing.field) == (ErrorCode.NOT_FOUND, "lines[1].item_sku")
    assert not p.service.repo.orders


async def test_a_receipt_posts_inspected_items_into_qc_hold_and_others_available_naming_the_order_line() -> None:
    p = Purchasing()
    p.repo.inspected.add("TUBE")
    order = await p.sent(line("FRAME", "10"), line("TUBE", "4"))

    received = await p.receive(order.number, entry(1, "10"), entry(2, "4"))

    assert received.state is PurchaseOrderState.RECEIVED
    posted = sorted(p.stock.posted.values(), key=lambda posting: posting[1])
    assert posted == [
        (order.number, 1, Decimal(10), ("WH1", "A-01", "", "AVAILABLE")),
        (order.number, 2, Decimal(4), ("WH1", "A-01", "", "QC_HOLD")),
    ]
    assert [(r.line, r.status, r.actor) for r in received.receipts] == [
        (1, "AVAILABLE", "buyer-1"),
        (2, "QC_HOLD", "buyer-1"),
    ]


async def test_a_retried_receipt_is_posted_to_stock_under_the_same_keys_and_booked_once() -> None:
    p = Purchasing()
    order = await p.sent(line("FRAME", "10"))

    await p.receive(order.number, entry(1, "4"), key="same")
    again = await p.receive(order.number, entry(1, "4"), key="same")

    assert len(p.stock.posted) == 1
    assert again.lines[0].received == 4
    assert len(again.receipts) == 1
    other = await p.receive(order.number, entry(1, "4"), key="another")
    assert other.lines[0].received == 8


async def test_a_lot_tracked_receipt_needs_a_lot_and_an_expiry_and_creates_the_lot() -> None:
    p = Purchasing("FRAME")
    order = await p.sent(line("FRAME", "10"))
    no_lot = await refusal(p.receive(order.number, entry(1, "10", expiry=date(2030, 1, 1))))
    no_expiry = await refusal(p.receive(order.number, entry(1, "10", lot="L7")))
    assert [no_lot.field, no_expiry.field] == ["lines[0].lot", "lines[0].expiry_date"]
    assert not p.stock.posted

    await p.receive(order.number, entry(1, "10", lot="L7", expiry=date(2030, 1, 1)))

    assert p.stock.lots == {("FRAME", "L7"): date(2030, 1, 1)}
    assert [r.lot for r in p.service.repo.orders[order.number].receipts] == ["L7"]


async def test_a_receipt_beyond_tolerance_or_to_an_unknown_location_posts_nothing() -> None:
    p = Purchasing()
    order = await p.sent(line("FRAME", "10", tolerance="10"))
    beyond = await refusal(p.receive(order.number, entry(1, "11.5")))
    assert (beyond.code, beyond.field) == (ErrorCode.OUT_OF_RANGE, "lines[0].quantity")
    draft = await p.create(line("FRAME", "1"))
    assert (await refusal(p.receive(draft.number, entry(1, "1")))).code is ErrorCode.INVALID_STATE
    p.stock.known.clear()
    nowhere = await refusal(p.receive(order.number, entry(1, "1")))
    assert (nowhere.code, nowhere.field) == (ErrorCode.NOT_FOUND, "lines[0].location")
    assert not p.stock.posted


async def test_quality_decisions_are_booked_on_the_named_line_and_unknown_lines_are_ignored() -> None:
    p = Purchasing()
    order = await p.sent(line("FRAME", "10"))
    repo = p.service.repo
    assert await purchasing.inspection_decided(repo, order.number.lower(), "1", Decimal(9), Decimal(1))
    assert not await purchasing.inspection_decided(repo, order.number, "2", Decimal(1), Decimal(0))
    assert not await purchasing.inspection_decided(repo, "PO-999999", "1", Decimal(1), Decimal(0))
    assert not await purchasing.inspection_decided(repo, order.number, "", Decimal(1), Decimal(0))
    booked = repo.orders[order.number].lines[0]
    assert (booked.accepted, booked.rejected) == (9, 1)


async def test_on_order_is_what_sent_and_partly_received_orders_still_bring() -> None:
    p = Purchasing()
    await p.create(line("FRAME", "100"))
    partly = await p.sent(line("FRAME", "10"), line("FRAME", "1", "box"))
    await p.receive(partly.number, entry(1, "4"))
    assert await purchasing.get_on_order(p.service.repo, " frame ", "wh1") == ("FRAME", "WH1", Decimal(18))


async def test_a_crossing_drafts_one_suggestion_from_the_quickest_supplier_net_of_what_is_on_order() -> None:
    p = Purchasing()
    p.repo.add_supplier("SLOW", ("FRAME", None, 30))
    await p.sent(line("FRAME", "7"))
    repo = p.service.repo

    first = await purchasing.draft_suggestion(repo, "FRAME", "WH1", FIGURES, "EA", "fact-1")
    second = await purchasing.draft_suggestion(repo, "FRAME", "WH1", FIGURES, "EA", "fact-2")

    assert first is not None and second is None
    assert (first.quantity, first.supplier, first.pack_size, first.on_order) == (35, "ALU", 5, 7)
    assert [s.cause for s in repo.suggestions.values()] == ["fact-1"]
    unsupplied = await purchasing.draft_suggestion(repo, "TUBE", "WH1", FIGURES, "EA", "fact-3")
    assert unsupplied is not None and (unsupplied.supplier, unsupplied.quantity) == ("", 39)


async def test_converted_suggestions_make_one_draft_order_expected_after_the_lead_time() -> None:
    p = Purchasing()
    repo = p.service.repo
    drafted = [await purchasing.draft_suggestion(repo, "FRAME", w, FIGURES, "EA", w) for w in ("WH1", "WH2")]
    ids = tuple(s.id for s in drafted if s is not None)

    order = await p.service.run(purchasing.convert_suggestions, commands.ConvertSuggestions(ids, ""))

    assert (order.supplier, order.state) == ("ALU", PurchaseOrderState.DRAFT)
    lead = (utcnow() + timedelta(days=14)).date()
    assert [(x.warehouse, x.base_quantity, x.expected_date) for x in order.lines] == [
        ("WH1", 40, lead),
        ("WH2", 40, lead),
    ]
    assert {(s.state, s.purchase_order, s.decided_by) for s in repo.suggestions.values()} == {
        (SuggestionState.CONVERTED, order.number, "buyer-1")
    }


async def test_a_conversion_refused_for_one_suggestion_writes_nothing() -> None:
    p = Purchasing()
    repo = p.service.repo
    kept = await purchasing.draft_suggestion(repo, "FRAME", "WH1", FIGURES, "EA", "a")
    orphan = await purchasing.draft_suggestion(repo, "TUBE", "WH1", FIGURES, "EA", "b")
    assert kept is not None and orphan is not None

    mixed = await refusal(
        p.service.run(purchasing.convert_suggestions, commands.ConvertSuggestions((kept.id, orphan.id), ""))
    )
    assert (mixed.code, mixed.field) == (ErrorCode.INVALID_STATE, "suggestion_ids[1]")
    lone = await refusal(p.service.run(purchasing.convert_suggestions, commands.ConvertSuggestions((orphan.id,), "")))
    assert (lone.code, lone.field) == (ErrorCode.REQUIRED, "supplier")
    unknown = await refusal(p.service.run(purchasing.convert_suggestions, commands.ConvertSuggestions(("nope",), "")))
    assert (unknown.code, unknown.field) == (ErrorCode.NOT_FOUND, "suggestion_ids[0]")
    assert not p.service.repo.orders
    assert {s.state for s in p.service.repo.suggestions.values()} == {SuggestionState.OPEN}

    chosen = await p.service.run(purchasing.convert_suggestions, commands.ConvertSuggestions((orphan.id,), "alu"))
    assert chosen.lines[0].expected_date is None, "the chosen supplier does not list the item: no lead time known"


async def test_a_dismissal_needs_a_reason_and_an_open_suggestion() -> None:
    p = Purchasing()
    drafted = await purchasing.draft_suggestion(p.service.repo, "FRAME", "WH1", FIGURES, "EA", "a")
    assert drafted is not None
    silent = await refusal(p.service.run(purchasing.dismiss_suggestion, commands.DismissSuggestion(drafted.id, " ")))
    assert (silent.code, silent.field) == (ErrorCode.REQUIRED, "reason")

    dismissed = await p.service.run(purchasing.dismiss_suggestion, commands.DismissSuggestion(drafted.id, "overstock"))

    assert (dismissed.state, dismissed.reason, dismissed.decided_by) == (
        SuggestionState.DISMISSED,
        "overstock",
        "buyer-1",
    )
    twice = await refusal(p.service.run(purchasing.dismiss_suggestion, commands.DismissSuggestion(drafted.id, "again")))
    assert (twice.code, twice.field) == (ErrorCode.INVALID_STATE, "id")
    fresh = await purchasing.draft_suggestion(p.service.repo, "FRAME", "WH1", FIGURES, "EA", "b")
    assert fresh is not None, "a place whose suggestion was dismissed may get a new one"
