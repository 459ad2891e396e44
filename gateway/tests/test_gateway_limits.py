from __future__ import annotations

import json
import uuid
from typing import Any

from graphql import get_introspection_query
from strawberry import relay

from gateway.body_limit import MAX_BODY_BYTES

from support import Catalog, Line, StartGateway, bearer


def _errors(reply: dict[str, Any]) -> list[str]:
    return [str(error["message"]) for error in reply.get("errors", [])]


async def test_a_query_deeper_than_ten_levels_is_refused_every_time(
    start_gateway: StartGateway, catalog: Catalog
) -> None:
    # The catalog's graph is shallow, so only an abusive query nests this deep.
    deep = "sku"
    for level in range(11):
        deep = f"f{level} {{ {deep} }}"
    query = f'{{ item(sku: "A-1") {{ {deep} }} }}'
    async with start_gateway() as client:
        # The second is validated from the cache of documents seen before: still refused.
        replies = [(await client.post("/graphql", json={"query": query}, headers=bearer())).json() for _ in range(2)]
    for reply in replies:
        assert any("exceeds maximum operation depth of 10" in message for message in _errors(reply))
    assert not catalog.calls


async def test_a_query_of_ordinary_depth_is_allowed(start_gateway: StartGateway, catalog: Catalog) -> None:
    await catalog.create_item("P")
    await catalog.create_item("BOLT")
    await catalog.active_bom("P", [Line("BOLT", "4")])
    query = '{ explodeBom(parentSku: "P", quantity: "1") { tree { component { thresholds { warehouse } } } } }'
    async with start_gateway() as client:
        reply = (await client.post("/graphql", json={"query": query}, headers=bearer())).json()
    assert _errors(reply) == []
    assert catalog.calls["ExplodeBom"] == 1


async def test_more_than_fifteen_aliases_are_refused(start_gateway: StartGateway, catalog: Catalog) -> None:
    aliased = " ".join(f'a{n}: item(sku: "A-{n}") {{ sku }}' for n in range(16))
    async with start_gateway() as client:
        reply = (await client.post("/graphql", json={"query": f"{{ {aliased} }}"}, headers=bearer())).json()
    assert any("16 aliases found. Allowed: 15" in message for message in _errors(reply))
    assert not catalog.calls


async def test_more_than_two_thousand_tokens_are_refused(start_gateway: StartGateway, catalog: Catalog) -> None:
    padded = "{ " + " ".join("__typename" for _ in range(2001)) + " }"
    async with start_gateway() as client:
        reply = (await client.post("/graphql", json={"query": padded}, headers=bearer())).json()
    assert any("more than 2000 tokens" in message for message in _errors(reply))


async def test_a_page_of_more_than_a_hundred_items_is_refused_naming_first(
    start_gateway: StartGateway, catalog: Catalog
) -> None:
    async with start_gateway() as client:
        reply = (
            await client.post(
                "/graphql", json={"query": "{ items(first: 101) { edges { cursor } } }"}, headers=bearer()
            )
        ).json()
    [error] = reply["errors"]
    assert error["extensions"] == {"code": "OUT_OF_RANGE", "field": "first"}
    assert "first" in error["message"]
    assert not catalog.calls


async def test_graphiql_and_introspection_are_on_in_development(start_gateway: StartGateway) -> None:
    async with start_gateway(GATEWAY_DEV_USER="dev:admin") as client:
        page = await client.get("/graphql", headers={"Accept": "text/html"})
        reply = (await client.post("/graphql", json={"query": get_introspection_query()})).json()
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    assert "errors" not in reply
    assert reply["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_graphiql_and_introspection_are_off_in_production(start_gateway: StartGateway) -> None:
    async with start_gateway(ENVIRONMENT="production") as client:
        page = await client.get("/graphql", headers={"Accept": "text/html"})
        reply = (
            await client.post("/graphql", json={"query": "{ __schema { types { name } } }"}, headers=bearer())
        ).json()
    assert page.status_code != 200 or "graphiql" not in page.text.lower()
    assert any("introspection" in message.lower() for message in _errors(reply))


async def test_graphiql_can_be_turned_off_in_development(start_gateway: StartGateway) -> None:
    async with start_gateway(GATEWAY_GRAPHIQL="0") as client:
        page = await client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code != 200 or "graphiql" not in page.text.lower()


async def test_a_body_over_the_limit_is_refused_before_any_service_is_asked(
    start_gateway: StartGateway, catalog: Catalog
) -> None:
    huge = "x" * (MAX_BODY_BYTES + 1)
    async with start_gateway() as client:
        reply = await client.post(
            "/graphql", json={"query": '{ item(sku: "A-1") { sku } }', "variables": {"pad": huge}}, headers=bearer()
        )
    assert reply.status_code == 413
    [error] = reply.json()["errors"]
    assert error["extensions"]["code"] == "OUT_OF_RANGE" and "larger than 3 MiB" in error["message"]
    assert not catalog.calls


async def test_an_upload_of_five_thousand_entries_fits_under_the_limit() -> None:
    entries = [
        {
            "entryId": str(uuid.uuid4()),
            "target": {"lineId": str(relay.GlobalID("CountLine", str(uuid.uuid4())))},
            "quantity": "123456.123456",
            "unit": "CARTON",
            "countedAt": "2026-12-06T10:15:30.123456+00:00",
        }
        for _ in range(5000)
    ]
    query = "mutation U($input: SubmitEntriesInput!) { submitEntries(input: $input) { entries { entryId } } }"
    count_id = str(relay.GlobalID("Count", str(uuid.uuid4())))
    body = json.dumps({"query": query, "variables": {"input": {"countId": count_id, "entries": entries}}})
    assert len(body.encode()) < MAX_BODY_BYTES / 2
