"""Stock's count handlers over an in-memory repository: a count's adjustments posted once
per line and status, and an approved count split over the statuses at each place (how a
difference is split is in test_stock_count_statuses)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from decimal import Decimal

import pytest
from stock_fakes import (
    FakeStockRepository,
    StockService,
    at,
    decide,
    new_stock,
    of_type,
    receive,
    reserve,
)

from invariant_core.testing import FakeRecorder, refusal
from invariant_kernel.errors import ErrorCode, ItemsNotReplicatedError
from stock.domain import DocumentRef, Place, StockStatus, commands
from stock.domain.events import CountAdjustmentsPosted, MovementPosted, ShortageFound
from stock.service import handlers
from stock.service.ports import MovementRecord

AVAILABLE, QC_HOLD, REJECTED = StockStatus.AVAILABLE, StockStatus.QC_HOLD, StockStatus.REJECTED


def adjustment(line: str, variance: str, place: Place, reason: str = "MISCOUNT") -> commands.CountAdjustment:
    size = variance.lstrip("+-")
    return commands.CountAdjustment(line, "WIDGET", place, variance, "", [(reason, size)], None)


async def adjust(stock: StockService, *lines: commands.CountAdjustment) -> list[MovementRecord]:
    return await stock.run(handlers.post_count_adjustments, commands.PostCountAdjustments("C-1", lines))


def approved(line_id: str, variance: str, *reasons: tuple[str, str], location: str = "A") -> handlers.ApprovedCountLine:
    return handlers.ApprovedCountLine(line_id, "WIDGET", location, "", variance, reasons, None)


async def post_approved(stock: StockService, *lines: handlers.ApprovedCountLine) -> None:
    async def consume(uow: FakeRecorder, repo: FakeStockRepository, part: Sequence[handlers.ApprovedCountLine]) -> None:
        await handlers.post_approved_count(uow, repo, count_id=" C-7 ", warehouse="WH1", part=1, lines=part)

    await stock.run(consume, lines)


async def shelf_in_every_status(stock: StockService) -> None:
    """Bin A holds 10 AVAILABLE, 4 in QC_HOLD and 1 REJECTED."""
    await receive(stock, "10")
    await receive(stock, "5", at(status=QC_HOLD))
    await decide(stock, "0", "1")
    stock.relay()


async def test_count_adjustments_post_each_gain_and_loss_once_per_line_and_status() -> None:
    stock = await new_stock()
    await receive(stock, "5", at("B"))
    stock.relay()
    lines = (adjustment("1", "+2", at()), adjustment("2", "-3", at("B")))

    gain, loss = await adjust(stock, *lines)
    again = await adjust(stock, *lines)

    assert again == [gain, loss]
    assert stock.repo.movements[1:] == [gain, loss]
    assert (gain.plan.to_place, gain.plan.quantity_base, gain.document) == (
        at(),
        Decimal(2),
        DocumentRef("COUNT", "C-1", "1"),
    )
    assert (loss.plan.from_place, loss.plan.quantity_base, loss.idempotency_key) == (
        at("B"),
        Decimal(3),
        "COUNT:C-1:2:AVAILABLE",
    )
    assert [(r.reason_code, r.quantity) for r in loss.plan.reasons] == [("MISCOUNT", Decimal(3))]
    assert (stock.repo.balance("WIDGET", at()), stock.repo.balance("WIDGET", at("B"))) == (Decimal(2), Decimal(2))
    assert [(e.fact, e.movement_id) for e in of_type(MovementPosted, stock.relay())] == [
        ("movement", gain.id),
        ("adjustment", gain.id),
        ("movement", loss.id),
        ("adjustment", loss.id),
    ]


async def test_a_count_line_posted_again_with_another_adjustment_is_refused() -> None:
    stock = await new_stock()
    await adjust(stock, adjustment("1", "+2", at()))

    error = await refusal(adjust(stock, adjustment("1", "+3", at())))

    assert (error.code, error.field) == (ErrorCode.IDEMPOTENCY_KEY_REUSED, "lines[0]")
    assert stock.repo.balance("WIDGET", at()) == 2


@pytest.mark.parametrize(
    ("count_id", "lines", "code", "field"),
    [
        (" ", [adjustment("1", "+2", at())], ErrorCode.REQUIRED, "count_id"),
        ("C-1", [], ErrorCode.REQUIRED, "lines"),
        ("C-1", [adjustment(" ", "+2", at())], ErrorCode.REQUIRED, "lines[0].line"),
        (
            "C-1",
            [adjustment("1", "+2", at()), adjustment("1", "-1", at("B"))],
            ErrorCode.ALREADY_EXISTS,
            "lines[1].line",
        ),
        ("C-1", [replace(adjustment("1", "+2", at()), item_sku="GHOST")], ErrorCode.UNAVAILABLE, "lines[0].item_sku"),
    ],
)
async def test_count_adjustments_are_refused_naming_the_field_and_nothing_is_posted(
    count_id: str, lines: list[commands.CountAdjustment], code: ErrorCode, field: str
) -> None:
    stock = await new_stock()

    error = await refusal(stock.run(handlers.post_count_adjustments, commands.PostCountAdjustments(count_id, lines)))

    assert (error.code, error.field) == (code, field)
    assert stock.repo.movements == []


async def test_a_count_loss_is_never_refused_for_reservations_but_reports_the_shortage() -> None:
    stock = await new_stock()
    await receive(stock, "10")
    reservation = await reserve(stock, "8")
    stock.relay()

    [loss] = await adjust(stock, adjustment("1", "-5", at()))

    [short] = of_type(ShortageFound, stock.relay())
    assert (short.short_by, short.reservation_ids, short.movement_id) == (Decimal(3), (reservation.id,), loss.id)
    assert stock.repo.balance("WIDGET", at()) == 5


async def test_an_approved_loss_is_taken_from_rejected_then_quality_hold_then_available_stock() -> None:
    stock = await new_stock()
    await shelf_in_every_status(stock)

    await post_approved(stock, approved("L1", "-7", ("DAMAGE_NOT_RECORDED", "5"), ("THEFT_OR_UNKNOWN", "2")))

    rejected, held, available = stock.repo.movements[-3:]
    assert [(r.plan.from_place, r.plan.quantity_base) for r in (rejected, held, available)] == [
        (at(status=REJECTED), Decimal(1)),
        (at(status=QC_HOLD), Decimal(4)),
        (at(), Decimal(2)),
    ]
    assert [[(q.reason_code, q.quantity) for q in r.plan.reasons] for r in (rejected, held, available)] == [
        [("DAMAGE_NOT_RECORDED", Decimal(1))],
        [("DAMAGE_NOT_RECORDED", Decimal(4))],
        [("THEFT_OR_UNKNOWN", Decimal(2))],
    ]
    assert [stock.repo.balance("WIDGET", at(status=s)) for s in (REJECTED, QC_HOLD, AVAILABLE)] == [
        Decimal(0),
        Decimal(0),
        Decimal(8),
    ]
    events = stock.relay()
    lines = (("L1", rejected.id), ("L1", held.id), ("L1", available.id))
    assert events[-1] == CountAdjustmentsPosted("C-7", 1, lines)
    assert len(of_type(MovementPosted, events)) == 6


async def test_an_approved_count_delivered_again_posts_nothing_more_and_confirms_the_same_movements() -> None:
    stock = await new_stock()
    await shelf_in_every_status(stock)
    lines = (approved("L1", "-7"), approved("L2", "+1", location="B"))
    await post_approved(stock, *lines)
    first = stock.relay()[-1]
    ledger = list(stock.repo.movements)

    await post_approved(stock, *lines)

    assert stock.repo.movements == ledger
    assert stock.relay() == [first]
    assert isinstance(first, CountAdjustmentsPosted)
    assert [line for line, _ in first.lines] == ["L1", "L1", "L1", "L2"]


async def test_an_approved_gain_beside_held_stock_only_stays_held() -> None:
    stock = await new_stock()
    await receive(stock, "3", at("B", status=QC_HOLD))

    await post_approved(stock, approved("L1", "+2", location="B"))

    assert stock.repo.balance("WIDGET", at("B", status=QC_HOLD)) == 5
    assert stock.repo.balance("WIDGET", at("B")) == 0


async def test_an_approved_count_naming_an_item_not_replicated_is_refused_on_its_line() -> None:
    stock = await new_stock()
    ghost = replace(approved("L2", "+1"), item_sku=" ghost ")

    error = await refusal(post_approved(stock, approved("L1", "+1"), ghost))

    assert isinstance(error, ItemsNotReplicatedError)
    assert error.missing == [("GHOST", "lines[1].item_sku")]
    assert (stock.repo.movements, stock.relay()) == ([], [])


class SplitBeforeHeldStockMoved(FakeStockRepository):
    """Balances read for the split as they were before 4 of bin A's QC_HOLD stock moved."""

    async def statuses_at(
        self, warehouse: str, spots: Collection[tuple[str, str, str]]
    ) -> dict[tuple[str, str, str], dict[StockStatus, Decimal]]:
        found = await super().statuses_at(warehouse, spots)
        return {spot: statuses | {QC_HOLD: statuses.get(QC_HOLD, Decimal(0)) + 4} for spot, statuses in found.items()}


async def test_held_stock_that_moved_after_the_split_makes_the_part_wait_and_nothing_is_posted() -> None:
    stock = await new_stock(SplitBeforeHeldStockMoved())
    await receive(stock, "10")
    await receive(stock, "1", at(status=QC_HOLD))
    stock.relay()

    error = await refusal(post_approved(stock, approved("L1", "-3")))

    assert error.code is ErrorCode.UNAVAILABLE
    assert "QC_HOLD stock of WIDGET moved while count C-7 was posted" in error.message
    assert len(stock.repo.movements) == 2
    assert stock.relay() == []


async def test_an_approved_loss_of_more_available_stock_than_there_is_is_refused_as_a_negative_balance() -> None:
    stock = await new_stock()
    await receive(stock, "2")

    error = await refusal(post_approved(stock, approved("L1", "-5")))

    assert isinstance(error, handlers.NegativeBalanceError)
    assert (error.place, error.asked, error.on_hand) == (at(), Decimal(5), Decimal(2))
    assert stock.repo.balance("WIDGET", at()) == 2


async def test_an_approved_line_without_difference_posts_nothing() -> None:
    stock = await new_stock()
    await receive(stock, "2")
    stock.relay()

    await post_approved(stock, approved("L1", "0"), approved("L2", "+1"))

    [confirmed] = of_type(CountAdjustmentsPosted, stock.relay())
    assert [line for line, _ in confirmed.lines] == ["L2"]
