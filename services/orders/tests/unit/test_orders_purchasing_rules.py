"""The rules of purchase orders and suggestions, on the domain alone."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from invariant_core.testing import refusal
from invariant_kernel.errors import DomainError, ErrorCode
from orders.domain.purchasing import (
    PurchaseLine,
    PurchaseOrder,
    PurchaseOrderState,
    Receipt,
    tolerance_percent,
    unit_price,
)
from orders.domain.suggestions import PlaceFigures, suggested_quantity

NOW = datetime(2026, 12, 1, 9, 0)


def order(*lines: tuple[int, int | str]) -> PurchaseOrder:
    """A SENT order of (quantity, tolerance percent) lines."""
    made = PurchaseOrder.create(
        id="po-1",
        number="PO-000001",
        supplier="ALU",
        lines=[
            PurchaseLine(n + 1, "FRAME", Decimal(q), "EA", Decimal(q), "EA", "WH1", None, None, Decimal(t))
            for n, (q, t) in enumerate(lines)
        ],
        actor="buyer",
        now=NOW,
    )
    made.send("buyer", NOW)
    return made


def came(line: int, quantity: int | str) -> Receipt:
    return Receipt(line, Decimal(quantity), "A-01", "", "AVAILABLE", f"M-{line}-{quantity}", "clerk", NOW)


def test_a_line_is_received_up_to_its_quantity_and_tolerance_and_no_further() -> None:
    po = order((10, 10), (5, 0))
    po.check_receipt([(1, Decimal(11)), (2, Decimal(5))])
    with pytest.raises(DomainError) as beyond:
        po.check_receipt([(1, Decimal(6)), (1, Decimal("5.000001"))])
    assert (beyond.value.code, beyond.value.field) == (ErrorCode.OUT_OF_RANGE, "lines[1].quantity")
    assert "line 1" in beyond.value.message


def test_what_was_received_before_counts_against_the_tolerance() -> None:
    po = order((10, 0))
    po.receive([came(1, 7)], "clerk", NOW)
    with pytest.raises(DomainError) as beyond:
        po.check_receipt([(1, Decimal(4))])
    assert beyond.value.field == "lines[0].quantity"
    po.check_receipt([(1, Decimal(3))])


def test_an_order_is_received_once_every_line_has_come_in() -> None:
    po = order((10, 0), (5, 0))
    po.receive([came(1, 10)], "clerk", NOW)
    assert po.state is PurchaseOrderState.PARTLY_RECEIVED
    po.receive([came(2, 3)], "clerk", NOW)
    assert po.state is PurchaseOrderState.PARTLY_RECEIVED
    po.receive([came(2, 2)], "clerk", NOW)
    assert po.state is PurchaseOrderState.RECEIVED
    assert [t.state for t in po.transitions] == [
        PurchaseOrderState.DRAFT,
        PurchaseOrderState.SENT,
        PurchaseOrderState.PARTLY_RECEIVED,
        PurchaseOrderState.RECEIVED,
    ]
    assert [line.open_quantity for line in po.lines] == [0, 0]


def test_an_order_with_goods_received_cannot_be_cancelled_and_a_sent_one_cannot_be_closed() -> None:
    sent = order((10, 0))
    with pytest.raises(DomainError) as closing:
        sent.close("", "buyer", NOW)
    assert closing.value.code is ErrorCode.INVALID_STATE
    sent.receive([came(1, 1)], "clerk", NOW)
    with pytest.raises(DomainError) as cancelling:
        sent.cancel("", "buyer", NOW)
    assert cancelling.value.code is ErrorCode.INVALID_STATE
    sent.close("short shipped, rest not coming", "buyer", NOW)
    assert (sent.state, sent.transitions[-1].reason) == (PurchaseOrderState.CLOSED, "short shipped, rest not coming")


def test_quality_decisions_add_up_on_their_line() -> None:
    po = order((10, 0), (5, 0))
    assert po.decided(2, Decimal(3), Decimal(1))
    assert po.decided(2, Decimal(1), Decimal(0))
    assert not po.decided(3, Decimal(1), Decimal(0))
    assert [(line.accepted, line.rejected) for line in po.lines] == [(0, 0), (4, 1)]


def test_prices_are_exact_money_and_tolerances_are_bounded_percentages() -> None:
    assert unit_price("", "p") is None
    assert unit_price("12.3456", "p") == Decimal("12.3456")
    assert tolerance_percent("", "t") == 0
    for raw, code in (
        ("12.34567", ErrorCode.TOO_PRECISE),
        ("-1", ErrorCode.OUT_OF_RANGE),
        ("x", ErrorCode.INVALID_FORMAT),
    ):
        with pytest.raises(DomainError) as refused:
            unit_price(raw, "lines[0].unit_price")
        assert (refused.value.code, refused.value.field) == (code, "lines[0].unit_price")
    with pytest.raises(DomainError) as too_much:
        tolerance_percent("150", "t")
    assert too_much.value.code is ErrorCode.OUT_OF_RANGE


@pytest.mark.parametrize(
    ("available", "on_order", "pack", "expected"),
    [
        ("3", "7", "5", "35"),  # 42 - 10 = 32, up to whole packs of 5
        ("3", "7", None, "32"),
        ("3", "7", "0.5", "32"),
        ("3", "39", "5", "0"),  # on order covers it
        ("10", "0", "5", "0"),  # no longer below safety stock
        ("-4", "0", "25", "50"),  # a shortage made it negative: 46, two packs of 25
    ],
)
def test_a_suggestion_brings_available_and_on_order_up_to_max_stock_in_whole_packs(
    available: str, on_order: str, pack: str | None, expected: str
) -> None:
    figures = PlaceFigures(Decimal(available), Decimal(10), Decimal(42))
    quantity = suggested_quantity(figures, Decimal(on_order), None if pack is None else Decimal(pack))
    assert quantity == Decimal(expected)


def test_without_max_stock_a_suggestion_refills_to_safety_stock_and_without_safety_none_is_made() -> None:
    assert suggested_quantity(PlaceFigures(Decimal(2), Decimal(10), None), Decimal(0), None) == 8
    assert suggested_quantity(PlaceFigures(Decimal(2), None, Decimal(40)), Decimal(0), None) == 0


async def test_a_receipt_on_a_line_the_order_lacks_is_refused_naming_the_entry() -> None:
    async def refuse() -> None:
        order((1, 0)).check_receipt([(9, Decimal(1))])

    refused = await refusal(refuse())
    assert (refused.code, refused.field) == (ErrorCode.NOT_FOUND, "lines[0].line")
