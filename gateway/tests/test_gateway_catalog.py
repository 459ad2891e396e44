from __future__ import annotations

from typing import Any

from support import Catalog, Line, StartGateway, bearer

PAGE = """
query Page($after: String) {
  items(prefix: "A-", first: 2, after: $after) { edges { node { sku } cursor } pageInfo { hasNextPage endCursor } }
}
"""


async def _query(start_gateway: StartGateway, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    async with start_gateway() as client:
        reply = await client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=bearer())
    body: dict[str, Any] = reply.json()
    assert "errors" not in body, body["errors"]
    data: dict[str, Any] = body["data"]
    return data


async def test_components_are_fetched_once_per_distinct_sku(start_gateway: StartGateway, catalog: Catalog) -> None:
    for sku in ("P-1", "SUB", "BOLT", "NUT"):
        await catalog.create_item(sku)
    await catalog.active_bom("SUB", [Line("BOLT", "2"), Line("NUT", "2")])
    await catalog.active_bom("P-1", [Line("BOLT", "4"), Line("NUT", "4"), Line("SUB", "1")])
    query = """{ explodeBom(parentSku: "P-1", quantity: "3") {
      requirements { component { sku } } tree { path component { name } } } }"""
    data = await _query(start_gateway, query)
    tree = data["explodeBom"]["tree"]
    assert [node["component"]["name"] for node in tree] == [
        "Item BOLT",
        "Item NUT",
        "Item SUB",
        "Item BOLT",
        "Item NUT",
    ]
    assert {requirement["component"]["sku"] for requirement in data["explodeBom"]["requirements"]} == {
        "BOLT",
        "NUT",
        "SUB",
    }
    # Eight `component` fields, three distinct SKUs: one GetItem each.
    assert catalog.calls == {"ExplodeBom": 1, "GetItem": 3}


async def test_an_unknown_item_is_null(start_gateway: StartGateway) -> None:
    data = await _query(start_gateway, '{ item(sku: "NOPE") { sku } bomVersion(id: "nope") { id } }')
    assert data == {"item": None, "bomVersion": None}


async def test_items_are_paged_through_with_cursors(start_gateway: StartGateway, catalog: Catalog) -> None:
    for sku in ("A-1", "A-2", "A-3", "A-4", "A-5", "B-1"):
        await catalog.create_item(sku)
    seen: list[str] = []
    after: str | None = None
    pages = 0
    while True:
        page = (await _query(start_gateway, PAGE, {"after": after}))["items"]
        pages += 1
        seen += [edge["node"]["sku"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ["A-1", "A-2", "A-3", "A-4", "A-5"]
    assert pages == 3


async def test_any_edge_cursor_resumes_right_after_that_edge(start_gateway: StartGateway, catalog: Catalog) -> None:
    for sku in ("A-1", "A-2", "A-3", "A-4"):
        await catalog.create_item(sku)
    first_page = (await _query(start_gateway, PAGE))["items"]
    after_first_edge = first_page["edges"][0]["cursor"]
    resumed = (await _query(start_gateway, PAGE, {"after": after_first_edge}))["items"]
    assert [edge["node"]["sku"] for edge in resumed["edges"]] == ["A-2", "A-3"]
    assert resumed["pageInfo"]["hasNextPage"] is True


async def test_a_cursor_not_made_by_the_gateway_is_refused_naming_after(start_gateway: StartGateway) -> None:
    async with start_gateway() as client:
        reply = await client.post("/graphql", json={"query": PAGE, "variables": {"after": "garbage"}}, headers=bearer())
    [error] = reply.json()["errors"]
    assert error["extensions"] == {"code": "INVALID_FORMAT", "field": "after"}


async def test_a_prefix_search_takes_percent_and_underscore_as_themselves(
    start_gateway: StartGateway, catalog: Catalog
) -> None:
    for sku in ("A-1", "AB_2", "B-3"):
        await catalog.create_item(sku)
    found = {}
    for prefix in ("%", "_", "A_", "AB_", "A"):
        data = await _query(
            start_gateway, "query S($p: String!) { items(prefix: $p) { edges { node { sku } } } }", {"p": prefix}
        )
        found[prefix] = [edge["node"]["sku"] for edge in data["items"]["edges"]]
    assert found == {"%": [], "_": [], "A_": [], "AB_": ["AB_2"], "A": ["A-1", "AB_2"]}
