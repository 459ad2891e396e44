from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gateway.auth import User, issue

from support import SECRET, Catalog, StartGateway, bearer

ITEM_QUERY = '{ item(sku: "A-1") { sku name } }'
CREATE_ITEM = """
mutation { createItem(input: {sku: "A-2", name: "Bolt", baseUnit: "PCS"}) {
  item { sku } userErrors { field message code } } }
"""


async def test_a_request_without_a_token_is_refused_as_unauthenticated_and_calls_no_service(
    start_gateway: StartGateway, catalog: Catalog
) -> None:
    async with start_gateway() as client:
        reply = (await client.post("/graphql", json={"query": ITEM_QUERY})).json()
    assert reply["data"] is None
    [error] = reply["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert "Authorization: Bearer" in error["message"]
    assert not catalog.calls


async def test_an_expired_token_is_refused_with_the_reason(start_gateway: StartGateway, catalog: Catalog) -> None:
    expired = issue(
        User("alice", frozenset({"admin"})), SECRET, timedelta(hours=1), datetime.now(UTC) - timedelta(days=1)
    )
    async with start_gateway() as client:
        reply = await client.post(
            "/graphql", json={"query": ITEM_QUERY}, headers={"Authorization": f"Bearer {expired}"}
        )
    [error] = reply.json()["errors"]
    assert (error["extensions"]["code"], error["message"]) == ("UNAUTHENTICATED", "the token has expired")
    assert not catalog.calls


async def test_a_mutation_without_a_token_writes_nothing(start_gateway: StartGateway, catalog: Catalog) -> None:
    async with start_gateway() as client:
        reply = (await client.post("/graphql", json={"query": CREATE_ITEM})).json()
    assert reply["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert not catalog.calls
    assert await catalog.get_item("A-2") is None


async def test_health_is_readable_without_a_token(start_gateway: StartGateway) -> None:
    async with start_gateway() as client:
        reply = (await client.post("/graphql", json={"query": "{ health { service status } }"})).json()
    assert "errors" not in reply
    assert {entry["service"] for entry in reply["data"]["health"]} >= {"CATALOG"}


async def test_the_user_and_the_correlation_id_reach_the_service(start_gateway: StartGateway, catalog: Catalog) -> None:
    await catalog.create_item("A-1")
    headers = {**bearer("alice", ("inspector",)), "X-Correlation-Id": "scan-42"}
    async with start_gateway() as client:
        reply = (await client.post("/graphql", json={"query": ITEM_QUERY}, headers=headers)).json()
    assert reply["data"]["item"] == {"sku": "A-1", "name": "Item A-1"}
    [caller] = catalog.counter.callers
    assert (caller.actor, caller.roles, caller.correlation_id) == ("alice", frozenset({"inspector"}), "scan-42")


async def test_the_service_records_the_user_and_the_correlation_id_of_a_change(
    start_gateway: StartGateway, catalog: Catalog
) -> None:
    headers = {**bearer("sam", ("supervisor",)), "X-Correlation-Id": "change-7"}
    async with start_gateway() as client:
        await client.post("/graphql", json={"query": CREATE_ITEM}, headers=headers)
    [entry] = await catalog.audit("A-2")
    assert (entry.action, entry.actor, entry.correlation_id) == ("CREATED", "sam", "change-7")


async def test_the_development_user_stands_in_for_a_missing_token(
    start_gateway: StartGateway, catalog: Catalog
) -> None:
    async with start_gateway(GATEWAY_DEV_USER="dev:admin") as client:
        reply = (await client.post("/graphql", json={"query": CREATE_ITEM})).json()
    assert reply["data"]["createItem"] == {"item": {"sku": "A-2"}, "userErrors": []}
    [entry] = await catalog.audit("A-2")
    assert entry.actor == "dev"


async def test_the_development_user_is_ignored_in_production(start_gateway: StartGateway, catalog: Catalog) -> None:
    async with start_gateway(GATEWAY_DEV_USER="dev:admin", ENVIRONMENT="production") as client:
        reply = (await client.post("/graphql", json={"query": ITEM_QUERY})).json()
    assert reply["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert not catalog.calls


async def test_a_reader_may_not_change_the_catalog(start_gateway: StartGateway, catalog: Catalog) -> None:
    async with start_gateway() as client:
        reply = await client.post("/graphql", json={"query": CREATE_ITEM}, headers=bearer("olga", ("operator",)))
    [user_error] = reply.json()["data"]["createItem"]["userErrors"]
    assert user_error["code"] == "PERMISSION_DENIED"
    assert "supervisor" in user_error["message"]
    assert not catalog.calls
    assert await catalog.get_item("A-2") is None


async def test_a_supervisor_creates_an_item_with_a_new_idempotency_key_made_up_for_each_request(
    start_gateway: StartGateway, catalog: Catalog
) -> None:
    async with start_gateway() as client:
        first = (await client.post("/graphql", json={"query": CREATE_ITEM}, headers=bearer())).json()
        again = (await client.post("/graphql", json={"query": CREATE_ITEM}, headers=bearer())).json()
    assert first["data"]["createItem"] == {"item": {"sku": "A-2"}, "userErrors": []}
    # Without a key the repeat is a new command, which the catalog refuses as a duplicate
    # (the same key would have returned the first result instead).
    [refusal] = again["data"]["createItem"]["userErrors"]
    assert (refusal["field"], refusal["code"]) == ("sku", "ALREADY_EXISTS")
    assert [entry.action for entry in await catalog.audit("A-2")] == ["CREATED"]
