from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from google.type import date_pb2
from strawberry import relay

from gateway.catalog.types import AuditAction, AuditEntity, AuditEntry
from invariant.catalog.v1 import catalog_pb2

from support import Catalog, Line, StartGateway, bearer, d

PAGE = """
query Page($after: String) {
  items(prefix: "A-", first: 2, after: $after) { edges { node { sku } cursor } pageInfo { hasNextPage endCursor } }
}
"""


async def _reply(start_gateway: StartGateway, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    async with start_gateway() as client:
        reply = await client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=bearer())
    body: dict[str, Any] = reply.json()
    return body


async def _query(start_gateway: StartGateway, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    body = await _reply(start_gateway, query, variables)
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
    nowhere = relay.to_base64("BomVersion", "no-such-version")
    data = await _query(start_gateway, f'{{ item(sku: "NOPE") {{ sku }} bomVersion(id: "{nowhere}") {{ id }} }}')
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


async def test_audit_entries_name_entity_and_action_with_enum_values(
    start_gateway: StartGateway, catalog: Catalog
) -> None:
    """Every entity and action the catalog writes comes through as a value of its enum."""
    for sku in ("P", "BOLT", "NUT"):
        await catalog.create_item(sku)
    stub = catalog.stub
    thresholds = catalog_pb2.SetThresholdsRequest(
        idempotency_key=key(), sku="P", warehouse="MAIN", safety_stock=d("1"), max_stock=d("10")
    )
    await catalog.seed(lambda: stub.SetThresholds(thresholds))
    rename = catalog_pb2.UpdateItemRequest(idempotency_key=key(), sku="P", name="Renamed")
    await catalog.seed(lambda: stub.UpdateItem(rename))
    await catalog.active_bom("P", [Line("BOLT", "2")])
    today = date.today()
    draft_request = catalog_pb2.CreateBomVersionRequest(
        idempotency_key=key(),
        parent_sku="P",
        effective_from=date_pb2.Date(year=today.year, month=today.month, day=today.day),
    )
    draft = await catalog.seed(lambda: stub.CreateBomVersion(draft_request))
    add = catalog_pb2.AddBomLineRequest(idempotency_key=key(), bom_id=draft.id, component_sku="NUT", quantity=d("1"))
    with_line = await catalog.seed(lambda: stub.AddBomLine(add))
    remove = catalog_pb2.RemoveBomLineRequest(idempotency_key=key(), bom_id=draft.id, line_id=with_line.lines[0].id)
    await catalog.seed(lambda: stub.RemoveBomLine(remove))
    obsolete = catalog_pb2.ObsoleteBomVersionRequest(idempotency_key=key(), bom_id=draft.id)
    await catalog.seed(lambda: stub.ObsoleteBomVersion(obsolete))

    query = """{
      itemAudit(sku: "P", first: 100) { edges { node { entity action at } } }
      entry: __type(name: "AuditEntry") { fields { name type { kind ofType { kind name } } } }
    }"""
    data = await _query(start_gateway, query)
    nodes = [edge["node"] for edge in data["itemAudit"]["edges"]]
    assert [(node["entity"], node["action"]) for node in nodes] == [
        ("ITEM", "CREATED"),
        ("THRESHOLDS", "UPDATED"),
        ("ITEM", "UPDATED"),
        ("BOM", "CREATED"),
        ("BOM", "LINE_ADDED"),
        ("BOM", "ACTIVATED"),
        ("BOM", "CREATED"),
        ("BOM", "LINE_ADDED"),
        ("BOM", "LINE_REMOVED"),
        ("BOM", "OBSOLETED"),
    ]
    assert {node["entity"] for node in nodes} == {entity.value for entity in AuditEntity}
    assert {node["action"] for node in nodes} == {action.value for action in AuditAction}
    assert all(datetime.fromisoformat(node["at"]) > datetime.now(UTC) - timedelta(hours=1) for node in nodes)
    types = {field["name"]: field["type"] for field in data["entry"]["fields"]}
    assert types["entity"] == {"kind": "NON_NULL", "ofType": {"kind": "ENUM", "name": "AuditEntity"}}
    assert types["action"] == {"kind": "NON_NULL", "ofType": {"kind": "ENUM", "name": "AuditAction"}}


def test_an_audit_code_the_gateway_does_not_know_fails_only_its_own_field_with_a_clear_error() -> None:
    entry = AuditEntry.from_proto(catalog_pb2.AuditEntry(id="a-1", entity="ITEM", action="MERGED"))
    assert entry.entity() is AuditEntity.ITEM
    with pytest.raises(ValueError, match=r"AuditEntry\.action: the service sent 'MERGED', which this gateway"):
        entry.action()


async def test_an_item_made_with_minimal_input_and_its_bom_have_every_non_null_value(
    start_gateway: StartGateway, catalog: Catalog
) -> None:
    before = datetime.now(UTC) - timedelta(seconds=5)
    await catalog.create_item("P")
    await catalog.create_item("BOLT")
    await catalog.active_bom("P", [Line("BOLT", "2")])
    query = """{
      item(sku: "P") { standardCost updatedAt }
      bomVersions(parentSku: "P") {
        edges { node { effectiveFrom updatedAt parent { sku } lines { component { sku } } } } }
      whereUsed(componentSku: "BOLT") { edges { node { parent { sku } } } }
    }"""
    data = await _query(start_gateway, query)
    assert data["item"]["standardCost"] == "0"
    assert datetime.fromisoformat(data["item"]["updatedAt"]) > before
    [version] = [edge["node"] for edge in data["bomVersions"]["edges"]]
    assert version["effectiveFrom"] == date.today().isoformat()
    assert datetime.fromisoformat(version["updatedAt"]) > before
    assert version["parent"] == {"sku": "P"}
    assert version["lines"] == [{"component": {"sku": "BOLT"}}]
    assert data["whereUsed"]["edges"] == [{"node": {"parent": {"sku": "P"}}}]


PAGED = """
query Paged($first: Int, $after: String, $last: Int, $before: String) {
  CONNECTION, first: $first, after: $after, last: $last, before: $before) {
    edges { node { KEY } cursor } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } }
}
"""
# Each connection read by the test: how it is asked for, and what of each node it compares.
READ = {
    "bomVersions": ('bomVersions(parentSku: "BIKE"', "version"),
    "whereUsed": ('whereUsed(componentSku: "SPOKE"', "path"),
}


async def test_bom_versions_and_where_used_are_read_forward_and_backward_in_pages(
    start_gateway: StartGateway, catalog: Catalog
) -> None:
    for sku in ("BIKE", "TRIKE", "WHEEL", "FRAME", "SPOKE"):
        await catalog.create_item(sku)
    await catalog.active_bom("WHEEL", [Line("SPOKE", "36")])
    await catalog.active_bom("FRAME", [Line("SPOKE", "4")])
    await catalog.active_bom("TRIKE", [Line("WHEEL", "3")])
    for quantity in ("1", "2", "3"):
        await catalog.active_bom("BIKE", [Line("WHEEL", quantity)])

    async def read(connection: str, **page: object) -> tuple[list[Any], dict[str, Any]]:
        field, key = READ[connection]
        query = PAGED.replace("CONNECTION", field).replace("KEY", key)
        found = (await _query(start_gateway, query, page))[connection]
        return [edge["node"][key] for edge in found["edges"]], found["pageInfo"]

    first, first_info = await read("bomVersions", first=2)
    rest, rest_info = await read("bomVersions", first=2, after=first_info["endCursor"])
    latest, latest_info = await read("bomVersions", last=2)
    earlier, earlier_info = await read("bomVersions", last=2, before=latest_info["startCursor"])
    assert (first, first_info["hasNextPage"], first_info["hasPreviousPage"]) == ([1, 2], True, False)
    assert (rest, rest_info["hasNextPage"], rest_info["hasPreviousPage"]) == ([3], False, True)
    assert (latest, latest_info["hasNextPage"], latest_info["hasPreviousPage"]) == ([2, 3], False, True)
    assert (earlier, earlier_info["hasNextPage"], earlier_info["hasPreviousPage"]) == ([1], True, False)

    # Depth-first from the component: its parents in SKU order, each followed by its own users; one entry
    # per DRAFT or ACTIVE version (BIKE's obsolete versions are not listed).
    every = [["FRAME", "SPOKE"], ["WHEEL", "SPOKE"], ["BIKE", "WHEEL", "SPOKE"], ["TRIKE", "WHEEL", "SPOKE"]]
    forward, cursor = [], None
    while True:
        page, info = await read("whereUsed", first=3, after=cursor)
        forward += page
        if not info["hasNextPage"]:
            break
        cursor = info["endCursor"]
    backward, cursor = [], None
    while True:
        page, info = await read("whereUsed", last=3, before=cursor)
        backward = page + backward
        if not info["hasPreviousPage"]:
            break
        cursor = info["startCursor"]
    assert forward == backward == every


REFETCH = """query Refetch($id: ID!) { node(id: $id) { __typename id
  ... on Item { sku } ... on BomVersion { version } ... on BomLine { componentSku } ... on AuditEntry { action } } }"""


async def test_items_bom_versions_lines_and_audit_entries_are_fetched_again_by_the_id_the_graph_gave(
    start_gateway: StartGateway, catalog: Catalog
) -> None:
    for sku in ("P", "BOLT"):
        await catalog.create_item(sku)
    await catalog.active_bom("P", [Line("BOLT", "2")])
    query = """{ item(sku: "P") { id sku }
      bomVersions(parentSku: "P") { edges { node { id version lines { id componentSku } } } }
      itemAudit(sku: "P", last: 1) { edges { node { id action } } } }"""
    data = await _query(start_gateway, query)
    [version] = [edge["node"] for edge in data["bomVersions"]["edges"]]
    [entry] = [edge["node"] for edge in data["itemAudit"]["edges"]]
    given = {
        "Item": (data["item"]["id"], {"sku": "P"}),
        "BomVersion": (version["id"], {"version": 1}),
        "BomLine": (version["lines"][0]["id"], {"componentSku": "BOLT"}),
        "AuditEntry": (entry["id"], {"action": "ACTIVATED"}),
    }
    catalog.counter.clear()

    for typename, (node_id, fields) in given.items():
        refetched = (await _query(start_gateway, REFETCH, {"id": node_id}))["node"]
        assert refetched == {"__typename": typename, "id": node_id, **fields}
    # One batch read per node, never the list it came from.
    assert catalog.calls == {"GetItems": 1, "GetBomVersions": 1, "GetBomLines": 1, "GetAuditEntries": 1}
    gone = relay.to_base64("Item", "no-such-item")
    assert (await _query(start_gateway, REFETCH, {"id": gone}))["node"] is None
    by_id = await _query(start_gateway, "query B($id: ID!) { bomVersion(id: $id) { version } }", {"id": version["id"]})
    assert by_id["bomVersion"] == {"version": 1}


async def test_an_argument_given_the_id_of_another_type_is_refused_naming_it(
    start_gateway: StartGateway, catalog: Catalog
) -> None:
    for sku in ("P", "BOLT"):
        await catalog.create_item(sku)
    await catalog.seed(
        lambda: catalog.stub.CreateBomVersion(
            catalog_pb2.CreateBomVersionRequest(idempotency_key=key(), parent_sku="P")
        )
    )
    data = await _query(
        start_gateway,
        """{ item(sku: "P") { id } bomVersions(parentSku: "P") { edges { node { id } } } }""",
    )
    item_id, bom_id = data["item"]["id"], data["bomVersions"]["edges"][0]["node"]["id"]

    query = await _reply(start_gateway, "query B($id: ID!) { bomVersion(id: $id) { id } }", {"id": item_id})
    [error] = query["errors"]
    assert error["extensions"] == {"code": "INVALID_FORMAT", "field": "id"}
    assert "Item" in error["message"] and "BomVersion" in error["message"]

    refused = {}
    mutations = {
        "addBomLine": ("AddBomLineInput", {"bomId": item_id, "componentSku": "BOLT", "quantity": "1"}),
        "removeBomLine": ("RemoveBomLineInput", {"bomId": bom_id, "lineId": bom_id}),
        "activateBomVersion": ("ActivateBomVersionInput", {"bomId": "not-an-id"}),
        "createBomVersion": (
            "CreateBomVersionInput",
            {"parentSku": "P", "effectiveFrom": date.today().isoformat(), "copyFromBomId": item_id},
        ),
    }
    for name, (input_type, fields) in mutations.items():
        mutation = f"mutation M($input: {input_type}!) {{ {name}(input: $input) {{ userErrors {{ field code }} }} }}"
        async with start_gateway() as client:
            reply = await client.post(
                "/graphql", json={"query": mutation, "variables": {"input": fields}}, headers=bearer()
            )
        refused[name] = reply.json()["data"][name]["userErrors"]
    assert refused == {
        "addBomLine": [{"field": "bomId", "code": "INVALID_FORMAT"}],
        "removeBomLine": [{"field": "lineId", "code": "INVALID_FORMAT"}],
        "activateBomVersion": [{"field": "bomId", "code": "INVALID_FORMAT"}],
        "createBomVersion": [{"field": "copyFromBomId", "code": "INVALID_FORMAT"}],
    }


def key() -> str:
    return str(uuid.uuid4())
