"""Reservations and movements arriving together are written together: each keeps its own outcome."""

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
    movement,
    movements,
    place,
    receive,
    refused,
    setup,
    stock_events,
)

from invariant.stock.v1 import stock_pb2 as pb
from invariant_core import identity
from invariant_kernel.errors import ErrorCode


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


async def test_issues_arriving_together_post_all_the_shelf_can_give_and_refuse_only_the_rest(services: Any) -> None:
    sku = await setup(services)
    await receive(services, sku, 10)
    issues = [
        movement(pb.MOVEMENT_TYPE_ISSUE, sku, 1, source=place("WH1"), document=pb.DocumentRef(type="SO", id=f"SO-{n}"))
        for n in range(15)
    ]
    async with stock_events(services.events, sku) as watched:
        outcomes = await asyncio.gather(*(answer(services.stock.PostMovement(issue)) for issue in issues))
        posted = [o for o in outcomes if not isinstance(o, Refusal)]
        refusals = [o for o in outcomes if isinstance(o, Refusal)]
        assert len(posted) == 10
        assert {(r.code, r.field) for r in refusals} == {(ErrorCode.INSUFFICIENT_STOCK, "quantity")}
        await watched.settle(services, sku)
    # Each refusal, and only a refusal, is published once as an attempt on a wrong book.
    refused_orders = {issue.document.id for issue, o in zip(issues, outcomes, strict=True) if isinstance(o, Refusal)}
    assert sorted(a.document.id for a in watched.of("negative_balance.attempted")) == sorted(refused_orders)
    assert sorted(m.movement_id for m in watched.of("issue.posted")) == sorted(m.id for m in posted)
    assert (await availability(services, sku, "WH1"))["on_hand"] == Decimal(0)
    await assert_no_drift(services)


async def test_movements_posted_together_each_name_the_actor_who_asked(services: Any) -> None:
    sku = await setup(services)

    async def receive_as(actor: str, n: int) -> pb.Movement:
        request = movement(
            pb.MOVEMENT_TYPE_RECEIPT,
            sku,
            1,
            target=place("WH1"),
            document=pb.DocumentRef(type="PO", id=actor, line=str(n)),
        )
        with identity.acting(identity.Identity(actor=actor, roles=frozenset({"operator"}))):
            posted: pb.Movement = await services.stock.PostMovement(request)
        return posted

    async with stock_events(services.events, sku) as watched:
        await asyncio.gather(*(receive_as(actor, n) for n in range(6) for actor in ("ALICE", "BOB")))
        await watched.settle(services, sku)
    history = [m for m in await movements(services, sku) if m.document.type == "PO"]
    assert len(history) == 12
    assert all(m.actor == m.document.id for m in history)
    announced = {
        payload.movement_id: envelope.actor
        for (kind, payload), envelope in zip(watched.received, watched.envelopes, strict=True)
        if kind == "receipt.posted"
    }
    assert all(announced[m.id] == m.document.id for m in history)


async def test_movements_arriving_together_for_new_and_unknown_items_each_get_their_own_answer(services: Any) -> None:
    await setup(services)
    fresh = [await create_item(services) for _ in range(3)]  # stock may not have seen them yet
    receipts = [movement(pb.MOVEMENT_TYPE_RECEIPT, sku, 2, target=place("WH1")) for sku in [*fresh, "NO-SUCH-ITEM"]]
    *posted, unknown = await asyncio.gather(*(answer(services.stock.PostMovement(r)) for r in receipts))
    assert [(m.item_sku, m.quantity.value) for m in posted] == [(sku, "2") for sku in fresh]
    assert isinstance(unknown, Refusal) and (unknown.code, unknown.field) == (ErrorCode.NOT_FOUND, "item_sku")
    await assert_no_drift(services)
