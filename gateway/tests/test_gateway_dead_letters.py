"""Events stock cannot apply yet, or ever: read through, dead-lettered, replayed by an admin."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import nats
import pytest
from google.type.decimal_pb2 import Decimal as PbDecimal

from gateway.app import create_app
from gateway.options import GatewayOptions
from invariant.events.v1 import counting_pb2, envelope_pb2
from invariant.stock.v1 import stock_pb2 as spb
from invariant.stock.v1 import stock_pb2_grpc
from invariant_core import identity
from invariant_core.db import utcnow
from invariant_core.messages import timestamp_message
from invariant_core.testing import DatabaseFactory, EventBus, eventually, scratch_event_bus

from support import SEEDER, Catalog, Service, bearer, gateway_settings, running, start_catalog, start_stock

APPROVED = "inventory.counting.adjustment.approved"
LETTERS = """query Letters($service: SuiteService!, $all: Boolean! = false) {
  deadLetters(service: $service, includeResolved: $all) {
    edges { node { id source eventId subject error attempts resolution resolvedBy reason actor payloadType } } } }"""
LETTER = "deadLetter { id resolution resolvedBy reason } userErrors { field code }"


class Suite:
    """A catalog, and a stock service that never hears the catalog's events: every item it
    needs, it must read through from the catalog."""

    def __init__(self, catalog: Catalog, stock: Service, events: EventBus) -> None:
        self.catalog = catalog
        self.stock = stock
        self.events = events
        self.stub = stock_pb2_grpc.StockServiceStub(stock.channel)  # type: ignore[no-untyped-call]

    async def approve(self, sku: str, variance: str) -> str:
        """Publish, as counting's relay would, an approved count with one line of `sku`; return the event id."""
        line = counting_pb2.ApprovedCountLine(
            line_id=str(uuid.uuid4()), item_sku=sku, location="A-01", variance=PbDecimal(value=variance)
        )
        line.counted_at.CopyFrom(timestamp_message(utcnow() - timedelta(minutes=5)))
        envelope = envelope_pb2.Envelope(id=str(uuid.uuid4()), type=APPROVED, producer="counting", actor="sam")
        envelope.payload.Pack(
            counting_pb2.CountAdjustmentApproved(
                count_id=str(uuid.uuid4()), warehouse="WH1", part=1, parts=1, lines=[line]
            )
        )
        client = await nats.connect(self.events.url)
        try:
            await client.jetstream().publish(
                self.events.subject(APPROVED), envelope.SerializeToString(), headers={"Nats-Msg-Id": envelope.id}
            )
        finally:
            await client.close()
        return envelope.id

    async def on_hand(self, sku: str) -> Decimal:
        async def send() -> spb.ListBalancesResponse:
            return await self.stub.ListBalances(spb.ListBalancesRequest(item_sku=sku, warehouse="WH1"))

        reply = await self.catalog.seed(send)
        return sum((Decimal(b.quantity.value) for b in reply.balances), Decimal(0))


@pytest.fixture
async def suite(new_database: DatabaseFactory, event_bus: EventBus) -> AsyncIterator[Suite]:
    async with scratch_event_bus(event_bus.url) as catalogs_own:
        catalog = await start_catalog(await new_database("catalog"), catalogs_own)
        stock = await start_stock(await new_database("stock"), event_bus, catalog.address)
        stub = stock_pb2_grpc.StockServiceStub(stock.channel)  # type: ignore[no-untyped-call]
        with identity.acting(SEEDER):
            await stub.CreateWarehouse(spb.CreateWarehouseRequest(idempotency_key="wh", code="WH1", name="Main"))
            await stub.CreateLocation(spb.CreateLocationRequest(idempotency_key="loc", warehouse="WH1", code="A-01"))
        yield Suite(catalog, stock, event_bus)
        await stock.stop()
        await catalog.stop()


async def graphql(suite: Suite, query: str, variables: dict[str, Any], roles: tuple[str, ...] = ("admin",)) -> Any:
    settings = gateway_settings(suite.catalog.address, STOCK_ADDR=suite.stock.address)
    async with running(create_app(settings, GatewayOptions.from_env(settings, {}))) as client:
        reply = await client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=bearer("ada", roles)
        )
    return reply.json()


async def test_an_event_for_an_item_stock_has_not_replicated_yet_is_applied_once_with_no_error(
    suite: Suite, caplog: pytest.LogCaptureFixture
) -> None:
    await suite.catalog.create_item("FRESH")
    caplog.set_level(logging.INFO)
    await suite.approve("FRESH", "7")

    await eventually(lambda: has(suite, "FRESH", Decimal(7)), "the gain of 7 FRESH is posted")
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert (await graphql(suite, LETTERS, {"service": "STOCK"}))["data"]["deadLetters"]["edges"] == []


async def test_an_event_for_an_item_the_catalog_does_not_know_is_a_dead_letter_at_once_and_replays_once(
    suite: Suite,
) -> None:
    event_id = await suite.approve("GHOST", "4")

    async def dead_lettered() -> bool:
        return bool((await graphql(suite, LETTERS, {"service": "STOCK"}))["data"]["deadLetters"]["edges"])

    await eventually(dead_lettered, "the approval for an unknown item is a dead letter")
    (edge,) = (await graphql(suite, LETTERS, {"service": "STOCK"}))["data"]["deadLetters"]["edges"]
    letter = edge["node"]
    assert (letter["eventId"], letter["source"], letter["subject"], letter["attempts"]) == (
        event_id,
        "stock-counting",
        APPROVED,
        1,
    )
    assert "GHOST" in letter["error"] and letter["actor"] == "sam"
    assert letter["payloadType"] == "invariant.events.v1.CountAdjustmentApproved"

    # The catalog learns the item; an admin replays the event, twice (a retry): it is applied once.
    await suite.catalog.create_item("GHOST")
    replay = f"mutation R($input: ReplayDeadLetterInput!) {{ replayDeadLetter(input: $input) {{ {LETTER} }} }}"
    for _ in range(2):
        answer = await graphql(suite, replay, {"input": {"id": letter["id"]}})
        assert answer["data"]["replayDeadLetter"]["deadLetter"] == {
            "id": letter["id"],
            "resolution": "REPLAYED",
            "resolvedBy": "ada",
            "reason": None,
        }
    await eventually(lambda: has(suite, "GHOST", Decimal(4)), "the replayed gain of 4 GHOST is posted")
    assert (await graphql(suite, LETTERS, {"service": "STOCK"}))["data"]["deadLetters"]["edges"] == []
    everything = await graphql(suite, LETTERS, {"service": "STOCK", "all": True})
    assert [e["node"]["resolution"] for e in everything["data"]["deadLetters"]["edges"]] == ["REPLAYED"]
    # Delivered again by the replay, it has no second effect.
    await suite.approve("GHOST", "0.000001")
    await eventually(lambda: has(suite, "GHOST", Decimal("4.000001")), "a later gain is posted")


async def test_only_an_admin_reads_or_discards_dead_letters_and_a_discard_needs_a_reason(suite: Suite) -> None:
    await suite.approve("NOBODY", "1")

    async def dead_lettered() -> bool:
        return bool((await graphql(suite, LETTERS, {"service": "STOCK"}))["data"]["deadLetters"]["edges"])

    await eventually(dead_lettered, "the approval for an unknown item is a dead letter")
    refused = await graphql(suite, LETTERS, {"service": "STOCK"}, roles=("supervisor",))
    assert refused["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"
    (edge,) = (await graphql(suite, LETTERS, {"service": "STOCK"}))["data"]["deadLetters"]["edges"]
    discard = f"mutation D($input: DiscardDeadLetterInput!) {{ discardDeadLetter(input: $input) {{ {LETTER} }} }}"
    target = {"id": edge["node"]["id"]}

    blank = await graphql(suite, discard, {"input": {**target, "reason": "  "}})
    assert blank["data"]["discardDeadLetter"]["userErrors"] == [{"field": "reason", "code": "REQUIRED"}]
    by_supervisor = await graphql(suite, discard, {"input": {**target, "reason": "typo"}}, roles=("supervisor",))
    assert by_supervisor["data"]["discardDeadLetter"]["userErrors"][0]["code"] == "PERMISSION_DENIED"
    done = await graphql(suite, discard, {"input": {**target, "reason": "a test count of an item never made"}})
    assert done["data"]["discardDeadLetter"]["deadLetter"]["resolution"] == "DISCARDED"
    assert (await graphql(suite, LETTERS, {"service": "STOCK"}))["data"]["deadLetters"]["edges"] == []
    replay = f"mutation R($input: ReplayDeadLetterInput!) {{ replayDeadLetter(input: $input) {{ {LETTER} }} }}"
    again = await graphql(suite, replay, {"input": target})
    assert again["data"]["replayDeadLetter"]["userErrors"] == [{"field": "id", "code": "INVALID_STATE"}]


PAGED = """query Paged($first: Int, $after: String, $last: Int, $before: String) {
  deadLetters(service: STOCK, first: $first, after: $after, last: $last, before: $before) {
    edges { node { id eventId } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""


async def test_dead_letters_are_read_forward_and_backward_and_fetched_again_by_their_id(suite: Suite) -> None:
    events = [await suite.approve(f"NEVER-{n}", "1") for n in range(3)]

    async def all_dead_lettered() -> bool:
        found = await graphql(suite, LETTERS, {"service": "STOCK"})
        return len(found["data"]["deadLetters"]["edges"]) == len(events)

    await eventually(all_dead_lettered, "the three approvals for unknown items are dead letters")
    listed = await graphql(suite, LETTERS, {"service": "STOCK"})
    everything = [edge["node"] for edge in listed["data"]["deadLetters"]["edges"]]

    async def read(**page: object) -> tuple[list[str], dict[str, Any]]:
        found = (await graphql(suite, PAGED, page))["data"]["deadLetters"]
        return [edge["node"]["id"] for edge in found["edges"]], found["pageInfo"]

    first, first_info = await read(first=2)
    rest, rest_info = await read(first=2, after=first_info["endCursor"])
    latest, latest_info = await read(last=2)
    earlier, earlier_info = await read(last=2, before=latest_info["startCursor"])
    ids = [letter["id"] for letter in everything]
    assert sorted(letter["eventId"] for letter in everything) == sorted(events)
    assert (first, rest, first_info["hasNextPage"], rest_info["hasNextPage"]) == (ids[:2], ids[2:], True, False)
    assert (latest, earlier, latest_info["hasPreviousPage"], earlier_info["hasPreviousPage"]) == (
        ids[1:],
        ids[:1],
        True,
        False,
    )

    refetch = "query N($id: ID!) { node(id: $id) { id ... on DeadLetter { service eventId } } }"
    again = await graphql(suite, refetch, {"id": ids[0]})
    assert again["data"]["node"] == {"id": ids[0], "service": "STOCK", "eventId": everything[0]["eventId"]}
    by_supervisor = await graphql(suite, refetch, {"id": ids[0]}, roles=("supervisor",))
    assert by_supervisor["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"


async def test_a_replay_given_the_id_of_another_type_is_refused_naming_it(suite: Suite) -> None:
    await suite.catalog.create_item("KNOWN")
    item = await graphql(suite, '{ item(sku: "KNOWN") { id } }', {})
    replay = f"mutation R($input: ReplayDeadLetterInput!) {{ replayDeadLetter(input: $input) {{ {LETTER} }} }}"

    refused = await graphql(suite, replay, {"input": {"id": item["data"]["item"]["id"]}})

    assert refused["data"]["replayDeadLetter"] == {
        "deadLetter": None,
        "userErrors": [{"field": "id", "code": "INVALID_FORMAT"}],
    }


async def has(suite: Suite, sku: str, quantity: Decimal) -> bool:
    return await suite.on_hand(sku) == quantity
