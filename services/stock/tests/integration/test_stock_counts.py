"""A count's adjustments: gains and losses posted once per count line, whatever is redelivered."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from sqlalchemy import update
from stock_support import (
    assert_no_drift,
    availability,
    book,
    d,
    movements,
    place,
    receive,
    refused,
    reserve,
    setup,
    stock_events,
)

from invariant.stock.v1 import stock_pb2 as pb
from invariant_kernel.errors import ErrorCode
from stock.adapters.tables import availability as availability_table


def reasons(*pairs: tuple[str, int]) -> list[pb.ReasonQuantity]:
    return [pb.ReasonQuantity(reason_code=code, quantity=d(quantity)) for code, quantity in pairs]


def count(count_id: str, *lines: pb.CountAdjustment) -> pb.PostCountAdjustmentsRequest:
    return pb.PostCountAdjustmentsRequest(count_id=count_id, lines=lines)


def loss_of_40(sku: str) -> pb.CountAdjustment:
    """The users' case: 40 short = 20 gifts + 10 damaged not recorded + 10 typed wrong."""
    return pb.CountAdjustment(
        line="1",
        item_sku=sku,
        place=place("WH1"),
        variance=d("-40"),
        reasons=reasons(("GIFT_OR_SAMPLE_NOT_RECORDED", 20), ("DAMAGE_NOT_RECORDED", 10), ("ENTRY_ERROR", 10)),
    )


async def test_a_counts_gains_and_losses_post_once_per_line_however_often_they_are_sent(services: Any) -> None:
    sku = await setup(services)
    await receive(services, sku, 1200)
    gain = pb.CountAdjustment(
        line="2",
        item_sku=sku,
        place=place("WH2"),
        variance=d("+1"),
        unit="BOX",
        reasons=reasons(("RECEIPT_NOT_RECORDED", 1)),
    )
    request = count("CNT-1", loss_of_40(sku), gain)

    first = await services.stock.PostCountAdjustments(request)
    # A redelivered approval, and three more racing each other: the same movements answer.
    again = await asyncio.gather(*(services.stock.PostCountAdjustments(request) for _ in range(4)))
    assert all([m.id for m in reply.movements] == [m.id for m in first.movements] for reply in again)

    loss, found = first.movements
    assert (loss.type, getattr(loss, "from").warehouse, loss.quantity.value) == (
        pb.MOVEMENT_TYPE_ADJUSTMENT,
        "WH1",
        "40",
    )
    assert not loss.HasField("to")
    assert (loss.document.type, loss.document.id, loss.document.line) == ("COUNT", "CNT-1", "1")
    assert [(r.reason_code, r.quantity.value) for r in loss.reasons] == [
        ("GIFT_OR_SAMPLE_NOT_RECORDED", "20"),
        ("DAMAGE_NOT_RECORDED", "10"),
        ("ENTRY_ERROR", "10"),
    ]
    assert (found.to.warehouse, found.quantity.value, found.document.line) == ("WH2", "10", "2")
    assert len(await movements(services, sku)) == 3
    assert (await availability(services, sku, "WH1"))["on_hand"] == Decimal(1160)
    assert (await availability(services, sku, "WH2"))["on_hand"] == Decimal(10)
    await assert_no_drift(services)


async def test_a_count_line_posted_once_cannot_be_posted_again_with_another_adjustment(services: Any) -> None:
    sku = await setup(services)
    await receive(services, sku, 100)
    await services.stock.PostCountAdjustments(count("CNT-2", loss_of_40(sku)))
    before = await book(services, sku)
    changed = loss_of_40(sku)
    changed.variance.value = "-30"
    changed.reasons[0].quantity.value = "10"
    refusal = await refused(services.stock.PostCountAdjustments(count("CNT-2", changed)))
    assert (refusal.code, refusal.field) == (ErrorCode.IDEMPOTENCY_KEY_REUSED, "lines[0]")
    assert await book(services, sku) == before


async def test_bad_count_lines_are_refused_naming_the_line_and_nothing_is_written(services: Any) -> None:
    sku = await setup(services)
    await receive(services, sku, 100)
    before = await book(services, sku)
    good = loss_of_40(sku)

    def line(**changes: Any) -> pb.CountAdjustment:
        bad = pb.CountAdjustment()
        bad.CopyFrom(good)
        bad.line = "9"
        for name, value in changes.items():
            if name == "variance":
                bad.variance.value = value
            elif name == "place":
                bad.place.CopyFrom(value)
            elif name == "reasons":
                bad.ClearField("reasons")
                bad.reasons.extend(value)
            else:
                setattr(bad, name, value)
        return bad

    cases = [
        (line(variance="0"), ErrorCode.OUT_OF_RANGE, "lines[1].variance"),
        (line(variance="-0.0000001"), ErrorCode.TOO_PRECISE, "lines[1].variance"),
        (line(variance="NaN"), ErrorCode.INVALID_FORMAT, "lines[1].variance"),
        (line(unit="PALLET"), ErrorCode.NOT_FOUND, "lines[1].unit"),
        (line(item_sku="NO-SUCH-ITEM"), ErrorCode.NOT_FOUND, "lines[1].item_sku"),
        (line(line=""), ErrorCode.REQUIRED, "lines[1].line"),
        (line(place=place("WH1", "NOWHERE")), ErrorCode.NOT_FOUND, "lines[1].place.location"),
        (line(line="1"), ErrorCode.ALREADY_EXISTS, "lines[1].line"),
        # With the good line's 40, more than the 100 on the shelf would go.
        (
            line(variance="-61", reasons=reasons(("THEFT_OR_UNKNOWN", 61))),
            ErrorCode.INSUFFICIENT_STOCK,
            "lines[1].variance",
        ),
    ]
    for bad, code, field in cases:
        # The good first line is not posted either: a count posts whole or not at all.
        refusal = await refused(services.stock.PostCountAdjustments(count("CNT-3", good, bad)))
        assert (refusal.code, refusal.field) == (code, field), bad
    too_many = count("CNT-3", *(line(line=str(n)) for n in range(5001)))
    refusal = await refused(services.stock.PostCountAdjustments(too_many))
    assert (refusal.code, refusal.field) == (ErrorCode.OUT_OF_RANGE, "lines")
    assert await book(services, sku) == before


async def test_a_loss_below_what_is_reserved_posts_and_reports_the_shortage(services: Any) -> None:
    sku = await setup(services)
    await receive(services, sku, 100)
    held = await reserve(services, sku, 80)
    async with stock_events(services.events, sku) as seen:
        await services.stock.PostCountAdjustments(count("CNT-4", loss_of_40(sku)))
        await seen.settle(services, sku)
    assert (await availability(services, sku, "WH1"))["atp"] == Decimal(-20)
    (short,) = seen.of("shortage")
    assert list(short.reservation_ids) == [held.id]
    assert [m.document.id for m in seen.of("adjustment.posted")] == ["CNT-4"]
    await assert_no_drift(services)


async def test_the_integrity_check_reports_an_availability_bucket_that_drifted_from_the_ledger(services: Any) -> None:
    sku = await setup(services)
    await receive(services, sku, 10)

    async def shift(amount: int) -> None:
        async with services.running.uows() as uow:
            await uow.session.execute(
                update(availability_table)
                .where(availability_table.c.item_sku == sku)
                .values(qc_hold=availability_table.c.qc_hold + amount)
            )
            await uow.commit()

    await shift(3)
    report = await services.stock.CheckIntegrity(pb.CheckIntegrityRequest())
    assert [(x.kind, x.item_sku, x.place.warehouse, x.recorded.value, x.recomputed.value) for x in report.drifts] == [
        ("QC_HOLD", sku, "WH1", "3", "0")
    ]
    await shift(-3)
    await assert_no_drift(services)
