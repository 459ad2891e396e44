"""Reservations arriving together are granted together: each keeps its own outcome."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

from stock_support import (
    Refusal,
    answer,
    assert_no_drift,
    availability,
    create_item,
    d,
    key,
    receive,
    refused,
    setup,
)

from invariant.stock.v1 import stock_pb2 as pb
from invariant_core.errors import ErrorCode


def one_line(sku: str, quantity: int, idempotency_key: str = "", **fields: Any) -> pb.ReserveRequest:
    return pb.ReserveRequest(
        idempotency_key=idempotency_key or key(),
        lines=[pb.ReservationLine(item_sku=sku, warehouse="WH1", quantity=d(quantity))],
        owner=pb.DocumentRef(type="SALES_ORDER", id=f"SO-{uuid.uuid4().hex[:6]}"),
        **fields,
    )


async def test_a_refused_request_among_concurrent_ones_leaves_the_others_granted(services: Any) -> None:
    sku = await setup(services)
    await receive(services, sku, 3)
    outcomes = await asyncio.gather(
        answer(services.stock.Reserve(one_line(sku, 5))),
        *(answer(services.stock.Reserve(one_line(sku, 1))) for _ in range(3)),
    )
    too_many, *small = outcomes
    assert isinstance(too_many, Refusal) and too_many.code is ErrorCode.INSUFFICIENT_STOCK
    assert [reply.reservations[0].open.value for reply in small] == ["1", "1", "1"]
    assert (await availability(services, sku, "WH1"))["reserved"] == Decimal(3)
    await assert_no_drift(services)


async def test_the_same_request_sent_concurrently_reserves_once(services: Any) -> None:
    sku = await setup(services)
    await receive(services, sku, 10)
    request = one_line(sku, 4, idempotency_key=key())
    replies = await asyncio.gather(*(services.stock.Reserve(request) for _ in range(5)))
    assert len({reply.reservations[0].id for reply in replies}) == 1
    assert (await availability(services, sku, "WH1"))["reserved"] == Decimal(4)


async def test_an_item_just_created_in_the_catalog_can_be_reserved_and_an_unknown_one_is_named(services: Any) -> None:
    await setup(services)
    fresh = await create_item(services)  # no receipt yet: the stock service has never seen it
    reply = await services.stock.Reserve(one_line(fresh, 2, policy=pb.RESERVATION_POLICY_PARTIAL))
    (nothing,) = reply.reservations
    assert (nothing.item_sku, nothing.requested.value, nothing.open.value, nothing.state) == (
        fresh,
        "2",
        "0",
        "RELEASED",
    )

    request = one_line(fresh, 1)
    request.lines.append(pb.ReservationLine(item_sku="NO-SUCH-ITEM", warehouse="WH1", quantity=d(1)))
    refusal = await refused(services.stock.Reserve(request))
    assert (refusal.code, refusal.field) == (ErrorCode.NOT_FOUND, "lines[1].item_sku")
