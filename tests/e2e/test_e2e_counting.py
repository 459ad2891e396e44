"""A stock count through the gateway over HTTP: the case our users describe, from plan to posted."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest
from strawberry import relay

from e2e_support import GraphQL, code, run, token

pytestmark = pytest.mark.asyncio(loop_scope="module")

SUPERVISOR = token("sam", "supervisor")
FINANCE = token("fay", "finance")
ANN = token("ann", "operator")
BOB = token("bob", "operator")
OPERATOR = token("e2e-operator", "operator")
LINE = "id number itemSku location state round bookAtOpen counted variance varianceValue movementId"
COUNT = "id state lineCount recountsPending levelsRequired varianceValue"


def local(global_id: str) -> str:
    return relay.GlobalID.from_id(global_id).node_id


async def read(graphql: GraphQL, query: str, variables: dict[str, Any], as_: str) -> dict[str, Any]:
    reply = await graphql(query, variables, as_=as_)
    assert "errors" not in reply, reply["errors"]
    data: dict[str, Any] = reply["data"]
    return data


async def the_line(graphql: GraphQL, count_id: str, as_: str) -> dict[str, Any]:
    query = f"query Lines($id: ID!) {{ countLines(countId: $id) {{ edges {{ node {{ {LINE} }} }} }} }}"
    (edge,) = (await read(graphql, query, {"id": count_id}, as_))["countLines"]["edges"]
    node: dict[str, Any] = edge["node"]
    return node


async def count_of(graphql: GraphQL, count_id: str, as_: str = SUPERVISOR) -> dict[str, Any]:
    found: dict[str, Any] = (
        await read(graphql, f"query C($id: ID!) {{ count(id: $id) {{ {COUNT} }} }}", {"id": count_id}, as_)
    )["count"]
    return found


async def test_book_1200_shelf_1160_is_counted_blind_recounted_explained_approved_and_posted(graphql: GraphQL) -> None:
    sku, warehouse = code("WIDGET-"), code("W")
    await run(
        graphql,
        "createItem",
        {
            "sku": sku,
            "name": "Widget",
            "baseUnit": "EA",
            "standardCost": "30",
            "units": [{"unit": "BOX", "factor": "12"}],
        },
        "item { sku }",
    )
    await run(graphql, "createWarehouse", {"code": warehouse, "name": "Counted"}, "warehouse { code }")
    await run(graphql, "createLocation", {"warehouse": warehouse, "code": "A-01"}, "location { code }")
    await run(
        graphql,
        "receive",
        {"itemSku": sku, "quantity": "100", "unit": "BOX", "warehouse": warehouse, "location": "A-01"},
        "movement { id }",
        OPERATOR,
    )

    created = await run(
        graphql,
        "createCount",
        {"warehouse": warehouse, "kind": "CYCLE", "blind": True, "itemSkus": [sku], "counters": ["ann", "bob"]},
        "count { id }",
        SUPERVISOR,
    )
    count_id = created["count"]["id"]
    opened = await run(graphql, "openCount", {"countId": count_id}, f"count {{ {COUNT} }}", SUPERVISOR)
    assert (opened["count"]["state"], opened["count"]["lineCount"]) == ("OPEN", 1)

    # The counter's handheld: her open counts, the next line, no book anywhere.
    mine = await read(graphql, "{ myOpenCounts { edges { node { id } } } }", {}, ANN)
    assert count_id in [e["node"]["id"] for e in mine["myOpenCounts"]["edges"]]
    nxt = await read(
        graphql,
        f"query N($id: ID!) {{ nextLine(countId: $id) {{ remaining line {{ {LINE} }} }} }}",
        {"id": count_id},
        ANN,
    )
    line = nxt["nextLine"]["line"]
    assert (nxt["nextLine"]["remaining"], line["bookAtOpen"], line["variance"]) == (1, None, None)
    assert (await count_of(graphql, count_id, ANN))["varianceValue"] is None
    await run(
        graphql,
        "submitEntry",
        {"countId": count_id, "entryId": code("e-"), "target": {"lineId": line["id"]}, "quantity": "1160"},
        "entry { round }",
        ANN,
    )
    after_first = await run(graphql, "finishRound", {"countId": count_id}, f"count {{ {COUNT} }}", SUPERVISOR)
    assert after_first["count"]["recountsPending"] == 1

    recount = await read(
        graphql, "query R($id: ID!) { pendingRecounts(countId: $id) { edges { node { id } } } }", {"id": count_id}, BOB
    )
    assert [e["node"]["id"] for e in recount["pendingRecounts"]["edges"]] == [line["id"]]
    entry = await run(
        graphql,
        "submitEntry",
        {"countId": count_id, "entryId": code("e-"), "target": {"lineId": line["id"]}, "quantity": "1160"},
        "entry { round }",
        BOB,
    )
    assert entry["entry"]["round"] == 2
    reviewed = await run(graphql, "finishRound", {"countId": count_id}, f"count {{ {COUNT} }}", SUPERVISOR)
    assert reviewed["count"]["state"] == "REVIEW"
    line = await the_line(graphql, count_id, SUPERVISOR)
    assert (Decimal(line["bookAtOpen"]), Decimal(line["counted"]), Decimal(line["variance"])) == (1200, 1160, -40)

    reasons = [
        {"reasonCode": "GIFT_OR_SAMPLE_NOT_RECORDED", "quantity": "20"},
        {"reasonCode": "DAMAGE_NOT_RECORDED", "quantity": "10"},
        {"reasonCode": "ENTRY_ERROR", "quantity": "10"},
    ]
    await run(
        graphql,
        "explainLine",
        {"countId": count_id, "lineId": line["id"], "reasons": reasons},
        "line { id }",
        SUPERVISOR,
    )
    submitted = await run(graphql, "submitForApproval", {"countId": count_id}, f"count {{ {COUNT} }}", SUPERVISOR)
    # 40 at 30 each = 1,200: above the supervisor's 1,000, within finance's 10,000.
    assert submitted["count"]["levelsRequired"] == ["SUPERVISOR", "FINANCE"]
    await run(graphql, "approveCount", {"countId": count_id, "level": "SUPERVISOR"}, "count { state }", SUPERVISOR)
    approved = await run(graphql, "approveCount", {"countId": count_id, "level": "FINANCE"}, "count { state }", FINANCE)
    assert approved["count"]["state"] in ("APPROVED", "POSTED")

    for _ in range(300):
        if (await count_of(graphql, count_id))["state"] == "POSTED":
            break
        await asyncio.sleep(0.05)
    assert (await count_of(graphql, count_id))["state"] == "POSTED"

    availability = await read(
        graphql,
        "query A($sku: String!, $w: String!) { availability(itemSku: $sku, warehouse: $w) { available } }",
        {"sku": sku, "w": warehouse},
        SUPERVISOR,
    )
    assert Decimal(availability["availability"]["available"]) == 1160
    history = await read(
        graphql,
        "query H($sku: String!) { movements(itemSku: $sku, first: 10) { edges { node { id type quantity "
        "document { type number line } reasons { reasonCode quantity } } } } }",
        {"sku": sku},
        SUPERVISOR,
    )
    (adjustment,) = [e["node"] for e in history["movements"]["edges"] if e["node"]["type"] == "ADJUSTMENT"]
    # Stock's document names the count and its line by the counting service's own ids.
    assert adjustment["document"] == {"type": "COUNT", "number": local(count_id), "line": local(line["id"])}
    assert sorted((r["reasonCode"], Decimal(r["quantity"])) for r in adjustment["reasons"]) == sorted(
        (r["reasonCode"], Decimal(r["quantity"])) for r in reasons
    )
    assert (await the_line(graphql, count_id, SUPERVISOR))["movementId"] == adjustment["id"]

    accuracy = await read(
        graphql,
        "query Acc($w: String!) { accuracy(warehouse: $w) { group lines linesWithinTolerance valueAccuracy } }",
        {"w": warehouse},
        OPERATOR,
    )
    assert accuracy["accuracy"] == [
        {"group": warehouse, "lines": 1, "linesWithinTolerance": 0, "valueAccuracy": "0.9667"}
    ]
