from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from strawberry import relay

from support import Catalog, Service, StartGateway, bearer

GraphQL = Callable[..., Awaitable[dict[str, Any]]]
User = tuple[str, tuple[str, ...]]
SAM: User = ("sam", ("supervisor",))
OLGA: User = ("olga", ("operator",))
OTTO: User = ("otto", ("operator",))
FAY: User = ("fay", ("finance",))
IAN: User = ("ian", ("inspector",))

COUNT = """id state kind blind counters round lineCount linesCounted linesDiffering recountsPending
varianceValue absoluteVarianceValue levelsRequired tolerance { quantity percent value }"""
LINE = """id number itemSku location lot unit origin state round bookAtOpen counted variance withinTolerance
rounds { round counted counters book variance bookByStatus { status quantity } } reasons { reasonCode quantity }"""
ENTRY = "entryId lineId round duplicate"
PAYLOADS = {
    "submitEntry": f"entry {{ {ENTRY} }}",
    "submitEntries": f"entries {{ {ENTRY} }}",
    "decideLine": f"line {{ {LINE} }}",
    "explainLine": f"line {{ {LINE} }}",
    "explainLines": "explained",
    "setApprovalPolicy": "policy { warehouse supervisorLimit financeLimit }",
    "setReasonCode": "reasonCode { code name active }",
}
LINES = f"""query Lines($count: ID!, $states: [LineState!], $differing: Boolean! = false) {{
  countLines(countId: $count, states: $states, differingOnly: $differing, first: 100) {{
    edges {{ node {{ {LINE} }} }} }} }}"""
# A line's id as the graph gives it, of no line there is.
LINE_NOT_ON_IT = str(relay.GlobalID("CountLine", str(uuid.uuid4())))
NEXT_LINE = """query Next($count: ID!) {
  nextLine(countId: $count) { remaining line { number itemSku location round bookAtOpen item { name } } } }"""


@pytest.fixture
async def graphql(
    start_gateway: StartGateway, catalog: Catalog, stock: Service, counting: Service
) -> AsyncIterator[GraphQL]:
    """`await graphql(query, variables, as_=OLGA)` through a gateway in front of the real services.

    BOLT (PCS, a BOX of 12, barcode BOLT-EACH) and NUT are in the catalog; the book of WH1
    holds 10 BOLT at A-01 and 5 NUT at B-01. Every call is sam's, a supervisor, unless `as_` says otherwise.
    """
    await catalog.create_item("BOLT", units={"BOX": "12"}, barcodes=("BOLT-EACH",))
    await catalog.create_item("NUT")
    async with start_gateway(STOCK_ADDR=stock.address, COUNTING_ADDR=counting.address) as client:

        async def send(query: str, variables: dict[str, Any] | None = None, *, as_: User = SAM) -> dict[str, Any]:
            user, roles = as_
            reply = await client.post(
                "/graphql", json={"query": query, "variables": variables or {}}, headers=bearer(user, roles)
            )
            body: dict[str, Any] = reply.json()
            return body

        await succeed(send, "createWarehouse", {"code": "WH1", "name": "Main"}, "warehouse { code }")
        for location in ("A-01", "B-01"):
            await succeed(send, "createLocation", {"warehouse": "WH1", "code": location}, "location { code }")
        for sku, location, quantity in (("BOLT", "A-01", "10"), ("NUT", "B-01", "5")):
            receipt = {"itemSku": sku, "warehouse": "WH1", "location": location, "quantity": quantity}
            await succeed(send, "receive", receipt, "movement { id }")
        counting.counter.clear()
        yield send


async def mutate(
    graphql: GraphQL, name: str, input: dict[str, Any], selection: str | None = None, *, as_: User = SAM
) -> dict[str, Any]:
    """The payload of mutation `name` (its input type is named after it)."""
    input_type = f"{name[0].upper()}{name[1:]}Input"
    selection = selection or PAYLOADS.get(name, f"count {{ {COUNT} }}")
    query = (
        f"mutation Run($input: {input_type}!) {{ {name}(input: $input) {{ {selection} userErrors {{ field code }} }} }}"
    )
    body = await graphql(query, {"input": input}, as_=as_)
    assert "errors" not in body, body["errors"]
    payload: dict[str, Any] = body["data"][name]
    return payload


async def succeed(
    graphql: GraphQL, name: str, input: dict[str, Any], selection: str | None = None, *, as_: User = SAM
) -> dict[str, Any]:
    payload = await mutate(graphql, name, input, selection, as_=as_)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


async def plan(graphql: GraphQL, **fields: Any) -> dict[str, Any]:
    """A CYCLE count of WH1 in DRAFT, for olga and otto to count."""
    count: dict[str, Any] = (
        await succeed(
            graphql, "createCount", {"warehouse": "WH1", "kind": "CYCLE", "counters": ["olga", "otto"], **fields}
        )
    )["count"]
    return count


async def opened(graphql: GraphQL, **fields: Any) -> tuple[str, dict[str, str]]:
    """An open count and its line ids by item: BOLT at A-01 is line 1, NUT at B-01 line 2."""
    count_id = (await plan(graphql, **fields))["id"]
    await succeed(graphql, "openCount", {"countId": count_id})
    return count_id, {line["itemSku"]: line["id"] for line in await lines(graphql, count_id)}


async def lines(graphql: GraphQL, count_id: str, *, as_: User = SAM, **variables: Any) -> list[dict[str, Any]]:
    body = await graphql(LINES, {"count": count_id, **variables}, as_=as_)
    assert "errors" not in body, body["errors"]
    return [edge["node"] for edge in body["data"]["countLines"]["edges"]]


async def count(graphql: GraphQL, count_id: str, *, as_: User = SAM) -> dict[str, Any]:
    found: dict[str, Any] = (
        await graphql(f"query C($id: ID!) {{ count(id: $id) {{ {COUNT} }} }}", {"id": count_id}, as_=as_)
    )["data"]["count"]
    return found


def on_line(line_id: str) -> dict[str, Any]:
    """An entry's target: a line of the count."""
    return {"lineId": line_id}


def at(location: str, **item: str) -> dict[str, Any]:
    """An entry's target: the item (`sku=` or `barcode=`) found at a location."""
    return {"place": {"item": item, "location": location}}


async def enter(graphql: GraphQL, count_id: str, as_: User, **entry: Any) -> dict[str, Any]:
    """One entry with a new entryId unless given; the accepted entry."""
    input = {"countId": count_id, "entryId": str(uuid.uuid4()), **entry}
    accepted: dict[str, Any] = (await succeed(graphql, "submitEntry", input, as_=as_))["entry"]
    return accepted


async def finish_round(graphql: GraphQL, count_id: str) -> dict[str, Any]:
    finished: dict[str, Any] = (await succeed(graphql, "finishRound", {"countId": count_id}))["count"]
    return finished


def n(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


async def test_a_supervisor_plans_a_blind_cycle_count_in_draft(graphql: GraphQL) -> None:
    planned = await plan(graphql, blind=True, locations=["a-01"], tolerance={"quantity": "2"}, note="aisle A")
    assert {name: planned[name] for name in ("state", "kind", "blind", "counters", "round", "lineCount")} == {
        "state": "DRAFT",
        "kind": "CYCLE",
        "blind": True,
        "counters": ["olga", "otto"],
        "round": 1,
        "lineCount": 0,
    }
    assert planned["tolerance"] == {"quantity": "2", "percent": None, "value": None}
    listed = await graphql('{ counts(warehouse: "WH1", states: [DRAFT]) { edges { node { id } } } }')
    assert [edge["node"]["id"] for edge in listed["data"]["counts"]["edges"]] == [planned["id"]]


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"tolerance": {"quantity": "-1"}}, "tolerance.quantity", "OUT_OF_RANGE"),
        ({"tolerance": {"percent": "0.00001"}}, "tolerance.percent", "TOO_PRECISE"),
        ({"warehouse": "1 main"}, "warehouse", "INVALID_FORMAT"),
        ({"note": "n" * 2001}, "note", "OUT_OF_RANGE"),
        ({"counters": ["olga", "c" * 65]}, "counters[1]", "OUT_OF_RANGE"),
    ],
)
async def test_a_bad_count_plan_is_refused_naming_the_field_and_nothing_is_written(
    graphql: GraphQL, fields: dict[str, Any], field: str, code: str
) -> None:
    payload = await mutate(graphql, "createCount", {"warehouse": "WH1", **fields})
    assert (payload["count"], payload["userErrors"]) == (None, [{"field": field, "code": code}])
    listed = await graphql("{ counts { edges { node { id } } } }")
    assert listed["data"]["counts"]["edges"] == []


async def test_an_unknown_count_kind_is_refused_naming_it_before_the_service_is_asked(
    graphql: GraphQL, counting: Service
) -> None:
    body = await graphql('mutation { createCount(input: {warehouse: "WH1", kind: WEEKLY}) { count { id } } }')
    [error] = body["errors"]
    assert error["message"] == "Value 'WEEKLY' does not exist in 'CountKind' enum."
    assert not counting.calls


async def test_a_counter_may_not_plan_a_count_and_the_service_is_not_asked(graphql: GraphQL, counting: Service) -> None:
    payload = await mutate(graphql, "createCount", {"warehouse": "WH1"}, as_=OLGA)
    assert (payload["count"], payload["userErrors"]) == (None, [{"field": None, "code": "PERMISSION_DENIED"}])
    assert not counting.calls


async def test_only_approvers_may_approve_or_reject_and_the_service_decides_the_rest(
    graphql: GraphQL, counting: Service
) -> None:
    count_id = (await plan(graphql))["id"]
    decision = {"countId": count_id, "level": "SUPERVISOR", "comment": "recount aisle A"}
    counting.counter.clear()
    for user in (OLGA, IAN):
        for name in ("approveCount", "rejectCount"):
            payload = await mutate(graphql, name, decision, as_=user)
            assert payload["userErrors"] == [{"field": None, "code": "PERMISSION_DENIED"}]
    assert not counting.calls
    # Finance may approve at its level: the service, not the gateway, says this draft waits for nothing.
    payload = await mutate(graphql, "approveCount", {**decision, "level": "FINANCE"}, as_=FAY)
    assert payload["userErrors"] == [{"field": "countId", "code": "INVALID_STATE"}]
    assert counting.calls == {"Approve": 1}


async def test_only_those_who_count_are_given_work_to_count(graphql: GraphQL, counting: Service) -> None:
    count_id = (await plan(graphql))["id"]
    counting.counter.clear()
    for query in (
        "{ myOpenCounts { edges { node { id } } } }",
        f'{{ nextLine(countId: "{count_id}") {{ remaining }} }}',
        f'{{ pendingRecounts(countId: "{count_id}") {{ edges {{ node {{ id }} }} }} }}',
    ):
        [error] = (await graphql(query, as_=FAY))["errors"]
        assert error["extensions"] == {"code": "PERMISSION_DENIED", "field": None}
    assert not counting.calls


async def test_a_supervisor_keeps_the_reason_codes_and_the_approval_policy(graphql: GraphQL) -> None:
    codes = "query Codes($all: Boolean!) { reasonCodes(includeInactive: $all, first: 100) { edges { node { "
    codes += "code name active } } } }"

    async def listed(all: bool) -> list[dict[str, Any]]:
        return [edge["node"] for edge in (await graphql(codes, {"all": all}))["data"]["reasonCodes"]["edges"]]

    defaults = await listed(False)
    assert {"code": "COUNTING_ERROR", "name": "Counting error", "active": True} in defaults
    refused = await mutate(graphql, "setReasonCode", {"code": "MISPICK", "name": "Mispick"}, as_=OLGA)
    assert refused["userErrors"] == [{"field": None, "code": "PERMISSION_DENIED"}]
    unnamed = await mutate(graphql, "setReasonCode", {"code": "MISPICK", "name": " "})
    assert unnamed["userErrors"] == [{"field": "name", "code": "REQUIRED"}]
    made = await succeed(graphql, "setReasonCode", {"code": "mispick", "name": "Mispick", "active": False})
    assert made["reasonCode"] == {"code": "MISPICK", "name": "Mispick", "active": False}
    assert "MISPICK" not in [code["code"] for code in await listed(False)]
    assert "MISPICK" in [code["code"] for code in await listed(True)]

    policy = {"warehouse": "WH1", "supervisorLimit": "500", "financeLimit": "400"}
    inverted = await mutate(graphql, "setApprovalPolicy", policy)
    assert inverted["userErrors"] == [{"field": "financeLimit", "code": "OUT_OF_RANGE"}]
    await succeed(graphql, "setApprovalPolicy", {**policy, "financeLimit": "5000"})
    found = (await graphql('{ approvalPolicy(warehouse: "WH1") { supervisorLimit financeLimit } }'))["data"]
    assert {name: n(value) for name, value in found["approvalPolicy"].items()} == {
        "supervisorLimit": 500,
        "financeLimit": 5000,
    }


# From here on a count is opened, which reads the book from stock (StreamBalances) and
# closes rounds against it (GetBooks).


async def test_a_counter_finds_their_open_counts_and_walks_the_lines_in_location_order(graphql: GraphQL) -> None:
    count_id, line_ids = await opened(graphql, counters=["olga"])
    mine = "{ myOpenCounts { edges { node { id state } } } }"
    assert (await graphql(mine, as_=OLGA))["data"]["myOpenCounts"]["edges"] == [
        {"node": {"id": count_id, "state": "OPEN"}}
    ]
    assert (await graphql(mine, as_=OTTO))["data"]["myOpenCounts"]["edges"] == []

    first = (await graphql(NEXT_LINE, {"count": count_id}, as_=OLGA))["data"]["nextLine"]
    assert first["remaining"] == 2
    assert {name: first["line"][name] for name in ("number", "itemSku", "location", "round")} == {
        "number": 1,
        "itemSku": "BOLT",
        "location": "A-01",
        "round": 1,
    }
    assert first["line"]["item"] == {"name": "Item BOLT"}
    await enter(graphql, count_id, OLGA, target=on_line(line_ids["BOLT"]), quantity="10")
    second = (await graphql(NEXT_LINE, {"count": count_id}, as_=OLGA))["data"]["nextLine"]
    assert (second["remaining"], second["line"]["itemSku"]) == (1, "NUT")
    assert (await count(graphql, count_id, as_=OLGA))["state"] == "COUNTING"


async def test_a_counter_enters_a_shelf_by_its_barcode(graphql: GraphQL) -> None:
    count_id, line_ids = await opened(graphql)
    on_the_line = await enter(graphql, count_id, OLGA, target=at("A-01", barcode="BOLT-EACH"), quantity="1", unit="BOX")
    assert (on_the_line["lineId"], on_the_line["round"], on_the_line["duplicate"]) == (line_ids["BOLT"], 1, False)
    # Bolts where the book has none get a line of their own.
    elsewhere = await enter(graphql, count_id, OLGA, target=at("B-01", barcode="BOLT-EACH"), quantity="3")
    found = {line["id"]: line for line in await lines(graphql, count_id)}
    assert (found[elsewhere["lineId"]]["origin"], found[elsewhere["lineId"]]["location"]) == ("FOUND", "B-01")
    assert found[line_ids["BOLT"]]["state"] == "COUNTED"


async def test_the_same_entry_sent_twice_counts_once(graphql: GraphQL) -> None:
    count_id, line_ids = await opened(graphql)
    entry = {"entryId": "olga-1", "target": on_line(line_ids["BOLT"]), "quantity": "10"}
    first = await enter(graphql, count_id, OLGA, **entry)
    again = await enter(graphql, count_id, OLGA, **entry)
    assert (first["duplicate"], again["duplicate"], again["lineId"]) == (False, True, first["lineId"])
    upload = {
        "countId": count_id,
        "entries": [entry, {"entryId": "olga-2", "target": at("B-01", sku="NUT"), "quantity": "5"}],
    }
    accepted = (await succeed(graphql, "submitEntries", upload, as_=OLGA))["entries"]
    assert [(e["entryId"], e["lineId"], e["duplicate"]) for e in accepted] == [
        ("olga-1", line_ids["BOLT"], True),
        ("olga-2", line_ids["NUT"], False),
    ]
    assert (await finish_round(graphql, count_id))["state"] == "REVIEW"
    counted = {line["itemSku"]: (n(line["counted"]), n(line["variance"])) for line in await lines(graphql, count_id)}
    assert counted == {"BOLT": (10, 0), "NUT": (5, 0)}


@pytest.mark.parametrize(
    ("name", "input", "field", "code"),
    [
        (
            "submitEntry",
            {"target": at("A-01", barcode="NOPE"), "quantity": "1"},
            "target.place.item.barcode",
            "NOT_FOUND",
        ),
        ("submitEntry", {"target": at("A-01", sku=" "), "quantity": "1"}, "target.place.item.sku", "REQUIRED"),
        ("submitEntry", {"target": at(" ", sku="BOLT"), "quantity": "1"}, "target.place.location", "REQUIRED"),
        ("submitEntry", {"target": at("A-01", sku="BOLT"), "quantity": "-1"}, "quantity", "OUT_OF_RANGE"),
        ("submitEntry", {"target": at("A-01", sku="BOLT"), "quantity": "1", "unit": "CRATE"}, "unit", "NOT_FOUND"),
        ("submitEntry", {"target": on_line("nope"), "quantity": "1"}, "target.lineId", "INVALID_FORMAT"),
        ("submitEntry", {"target": on_line(LINE_NOT_ON_IT), "quantity": "1"}, "target.lineId", "NOT_FOUND"),
        (
            "submitEntry",
            {"target": at("A-01", sku="BOLT"), "quantity": "1", "countedAt": "2024-05-01T08:00:00"},
            "countedAt",
            "INVALID_FORMAT",
        ),
        (
            "submitEntries",
            {
                "entries": [
                    {"entryId": "e-1", "target": at("B-01", sku="NUT"), "quantity": "5"},
                    {"entryId": "e-2", "target": at("A-01", sku="BOLT"), "quantity": "0.0000001"},
                ]
            },
            "entries[1].quantity",
            "TOO_PRECISE",
        ),
        (
            "submitEntries",
            {"entries": [{"entryId": "e" * 65, "target": at("B-01", sku="NUT"), "quantity": "5"}]},
            "entries[0].entryId",
            "OUT_OF_RANGE",
        ),
    ],
)
async def test_a_bad_entry_is_refused_naming_the_field_and_nothing_is_counted(
    graphql: GraphQL, name: str, input: dict[str, Any], field: str, code: str
) -> None:
    count_id, _ = await opened(graphql)
    entry_id = {"entryId": str(uuid.uuid4())} if name == "submitEntry" else {}
    payload = await mutate(graphql, name, {"countId": count_id, **entry_id, **input}, as_=OLGA)
    assert payload["userErrors"] == [{"field": field, "code": code}]
    assert (await count(graphql, count_id))["state"] == "OPEN"


async def test_a_counter_sees_no_book_or_variance_of_a_blind_count_while_a_supervisor_does(graphql: GraphQL) -> None:
    count_id, line_ids = await opened(graphql, blind=True)
    before = await lines(graphql, count_id, as_=OLGA)
    assert [(line["itemSku"], line["bookAtOpen"]) for line in before] == [("BOLT", None), ("NUT", None)]
    next_line = (await graphql(NEXT_LINE, {"count": count_id}, as_=OLGA))["data"]["nextLine"]["line"]
    assert (next_line["itemSku"], next_line["bookAtOpen"]) == ("BOLT", None)
    assert [n(line["bookAtOpen"]) for line in await lines(graphql, count_id)] == [10, 5]

    await enter(graphql, count_id, OLGA, target=on_line(line_ids["BOLT"]), quantity="8")
    await enter(graphql, count_id, OLGA, target=on_line(line_ids["NUT"]), quantity="5")
    await finish_round(graphql, count_id)

    [bolt] = await lines(graphql, count_id, as_=OLGA, states=["RECOUNT"])
    assert (bolt["state"], bolt["round"], bolt["variance"], bolt["withinTolerance"]) == ("RECOUNT", 2, None, None)
    [counted] = bolt["rounds"]
    assert (
        n(counted["counted"]),
        counted["counters"],
        counted["book"],
        counted["variance"],
        counted["bookByStatus"],
    ) == (8, ["olga"], None, None, None)
    as_counter = await count(graphql, count_id, as_=OLGA)
    assert (as_counter["state"], as_counter["recountsPending"]) == ("COUNTING", 1)
    assert (as_counter["varianceValue"], as_counter["absoluteVarianceValue"], as_counter["linesDiffering"]) == (
        None,
        None,
        None,
    )
    [error] = (await graphql(LINES, {"count": count_id, "differing": True}, as_=OLGA))["errors"]
    assert error["extensions"] == {"code": "PERMISSION_DENIED", "field": "differingOnly"}

    [seen] = (await lines(graphql, count_id, states=["RECOUNT"]))[0]["rounds"]
    assert (n(seen["book"]), n(seen["variance"])) == (10, -2)
    assert (await count(graphql, count_id))["varianceValue"] is not None


async def test_a_recount_goes_to_another_counter(graphql: GraphQL) -> None:
    count_id, line_ids = await opened(graphql)
    await enter(graphql, count_id, OLGA, target=on_line(line_ids["BOLT"]), quantity="9")
    await enter(graphql, count_id, OLGA, target=on_line(line_ids["NUT"]), quantity="5")
    await finish_round(graphql, count_id)

    recounts = f'{{ pendingRecounts(countId: "{count_id}") {{ edges {{ node {{ itemSku round }} }} }} }}'
    assert (await graphql(recounts, as_=OTTO))["data"]["pendingRecounts"]["edges"] == [
        {"node": {"itemSku": "BOLT", "round": 2}}
    ]
    assert (await graphql(NEXT_LINE, {"count": count_id}, as_=OLGA))["data"]["nextLine"] == {
        "remaining": 0,
        "line": None,
    }
    again = {"countId": count_id, "entryId": str(uuid.uuid4()), "target": on_line(line_ids["BOLT"]), "quantity": "9"}
    refused = await mutate(graphql, "submitEntry", again, as_=OLGA)
    assert refused["userErrors"] == [{"field": None, "code": "PERMISSION_DENIED"}]
    assert (await graphql(NEXT_LINE, {"count": count_id}, as_=OTTO))["data"]["nextLine"]["line"]["itemSku"] == "BOLT"
    await enter(graphql, count_id, OTTO, target=on_line(line_ids["BOLT"]), quantity="9")
    # The recount agrees with the first round: the difference stands.
    assert (await finish_round(graphql, count_id))["state"] == "REVIEW"
    [bolt] = await lines(graphql, count_id, differing=True)
    assert (bolt["state"], n(bolt["counted"]), n(bolt["variance"])) == ("FINAL", 9, -1)


async def test_a_count_is_explained_approved_by_someone_who_did_not_count_and_exported(graphql: GraphQL) -> None:
    count_id, line_ids = await opened(graphql, tolerance={"quantity": "5"})
    await enter(graphql, count_id, OLGA, target=on_line(line_ids["BOLT"]), quantity="7")
    await enter(
        graphql, count_id, OLGA, target=on_line(line_ids["NUT"]), quantity="5", countedAt=datetime.now(UTC).isoformat()
    )
    reviewed = await finish_round(graphql, count_id)
    assert (reviewed["state"], reviewed["linesDiffering"]) == ("REVIEW", 1)

    unexplained = await mutate(graphql, "submitForApproval", {"countId": count_id})
    assert unexplained["userErrors"] == [{"field": "reasons", "code": "REQUIRED"}]
    reasons = [{"reasonCode": "COUNTING_ERROR", "quantity": "2"}, {"reasonCode": "GUESS", "quantity": "1"}]
    explain = {"countId": count_id, "lineId": line_ids["BOLT"], "reasons": reasons}
    unknown = await mutate(graphql, "explainLine", explain)
    assert [error["field"] for error in unknown["userErrors"]] == ["reasons[1].reasonCode"]
    reasons[1]["reasonCode"] = "DAMAGE_NOT_RECORDED"
    explained = (await succeed(graphql, "explainLine", explain))["line"]
    assert [(r["reasonCode"], n(r["quantity"])) for r in explained["reasons"]] == [
        ("COUNTING_ERROR", 2),
        ("DAMAGE_NOT_RECORDED", 1),
    ]
    waiting = (await succeed(graphql, "submitForApproval", {"countId": count_id}))["count"]
    assert (waiting["state"], waiting["levelsRequired"]) == ("AWAITING_APPROVAL", ["SUPERVISOR"])

    approval = {"countId": count_id, "level": "SUPERVISOR", "comment": "checked"}
    by_counter = await mutate(graphql, "approveCount", approval, as_=("olga", ("operator", "supervisor")))
    assert by_counter["userErrors"] == [{"field": "countId", "code": "PERMISSION_DENIED"}]
    approved = (await succeed(graphql, "approveCount", approval))["count"]
    assert approved["state"] == "APPROVED"

    query = f'{{ countAdjustmentsCsv(countId: "{count_id}") {{ filename csv }} }}'
    exported = (await graphql(query, as_=FAY))["data"]["countAdjustmentsCsv"]
    assert exported["filename"] == f"count-{relay.GlobalID.from_id(count_id).node_id}-adjustments.csv"
    header, row = exported["csv"].splitlines()
    assert header.startswith("count,warehouse,line,item,location,lot,book,counted,variance,kind")
    assert row.split(",")[3:10] == ["BOLT", "A-01", "", "10", "7", "-3", "LOSS"]


async def test_a_supervisor_explains_a_selection_of_lines_in_one_call_all_or_nothing(
    graphql: GraphQL, counting: Service
) -> None:
    count_id, line_ids = await opened(graphql, tolerance={"quantity": "5"})
    await enter(graphql, count_id, OLGA, target=on_line(line_ids["BOLT"]), quantity="7")
    await enter(graphql, count_id, OLGA, target=on_line(line_ids["NUT"]), quantity="4")
    assert (await finish_round(graphql, count_id))["linesDiffering"] == 2
    bolt = {"lineId": line_ids["BOLT"], "reasons": [{"reasonCode": "COUNTING_ERROR", "quantity": "3"}]}
    nut = {"lineId": line_ids["NUT"], "reasons": [{"reasonCode": "GUESS", "quantity": "1"}]}
    explain = {"countId": count_id, "lines": [bolt, nut], "idempotencyKey": str(uuid.uuid4())}

    counting.counter.clear()
    by_counter = await mutate(graphql, "explainLines", explain, as_=OLGA)
    assert (by_counter["explained"], by_counter["userErrors"]) == (0, [{"field": None, "code": "PERMISSION_DENIED"}])
    assert not counting.calls
    unknown = await mutate(graphql, "explainLines", explain)
    assert (unknown["explained"], unknown["userErrors"]) == (
        0,
        [{"field": "lines[1].reasons[0].reasonCode", "code": "NOT_FOUND"}],
    )
    assert all(line["reasons"] == [] for line in await lines(graphql, count_id))

    nut["reasons"] = [{"reasonCode": "DAMAGE_NOT_RECORDED", "quantity": "1"}]
    assert (await succeed(graphql, "explainLines", explain))["explained"] == 2
    assert {
        line["itemSku"]: [(r["reasonCode"], n(r["quantity"])) for r in line["reasons"]]
        for line in await lines(graphql, count_id)
    } == {"BOLT": [("COUNTING_ERROR", 3)], "NUT": [("DAMAGE_NOT_RECORDED", 1)]}
    waiting = (await succeed(graphql, "submitForApproval", {"countId": count_id}))["count"]
    assert waiting["state"] == "AWAITING_APPROVAL"
    # The same key again is the retry of a lost reply: the first answer, though the count moved on.
    assert (await succeed(graphql, "explainLines", explain))["explained"] == 2


async def test_a_count_is_cancelled_with_its_reason(graphql: GraphQL) -> None:
    count_id = (await plan(graphql))["id"]
    transitions = "transitions { fromState toState actor comment }"
    cancelled = await succeed(
        graphql, "cancelCount", {"countId": count_id, "reason": "stocktake moved"}, f"count {{ state {transitions} }}"
    )
    assert cancelled["count"]["state"] == "CANCELLED"
    assert cancelled["count"]["transitions"][-1] == {
        "fromState": "DRAFT",
        "toState": "CANCELLED",
        "actor": "sam",
        "comment": "stocktake moved",
    }
    again = await mutate(graphql, "openCount", {"countId": count_id})
    assert again["userErrors"] == [{"field": "countId", "code": "INVALID_STATE"}]


async def test_a_count_created_twice_with_one_idempotency_key_is_created_once(graphql: GraphQL) -> None:
    key = str(uuid.uuid4())
    first = await plan(graphql, idempotencyKey=key)
    again = await plan(graphql, idempotencyKey=key)
    assert again["id"] == first["id"]
    listed = await graphql("{ counts { edges { node { id } } } }")
    assert len(listed["data"]["counts"]["edges"]) == 1


async def test_a_supervisor_sets_the_cycle_policy_computes_classes_and_plans_counts(graphql: GraphQL) -> None:
    policy = "policy { warehouse aDays bDays cDays capacity largeAdjustmentValue }"
    refused = await mutate(graphql, "setCyclePolicy", {"warehouse": "WH1"}, policy, as_=OLGA)
    assert refused["userErrors"] == [{"field": None, "code": "PERMISSION_DENIED"}]
    empty = await mutate(graphql, "setCyclePolicy", {"warehouse": "WH1", "capacity": 0}, policy)
    assert empty["userErrors"] == [{"field": "capacity", "code": "OUT_OF_RANGE"}]
    await succeed(graphql, "setCyclePolicy", {"warehouse": "WH1", "aDays": 7, "capacity": 50}, policy)
    found = (await graphql('{ cyclePolicy(warehouse: "WH1") { aDays bDays capacity } }'))["data"]["cyclePolicy"]
    assert found == {"aDays": 7, "bDays": 91, "capacity": 50}

    classes = "abcClasses { warehouse computedAt classes { edges { node { itemSku abcClass issueValue } } } }"
    inverted = await mutate(
        graphql, "computeAbcClasses", {"warehouse": "WH1", "aPercent": "90", "bPercent": "80"}, classes
    )
    assert inverted["userErrors"] == [{"field": "bPercent", "code": "OUT_OF_RANGE"}]
    computed = await succeed(graphql, "computeAbcClasses", {"warehouse": "WH1"}, classes)
    assert computed["abcClasses"]["warehouse"] == "WH1" and computed["abcClasses"]["computedAt"]
    # No item is known in WH1 before it is counted.
    assert computed["abcClasses"]["classes"]["edges"] == []
    listed = (await graphql('{ abcClasses(warehouse: "WH1") { computedAt } }'))["data"]["abcClasses"]
    assert listed["computedAt"] == computed["abcClasses"]["computedAt"]

    # A count opened on WH1 makes its items known there; never counted to the end, they are due.
    await opened(graphql)
    planned_counts = "counts { id state kind itemSkus } due { itemSku triggers }"
    assert (await mutate(graphql, "planCounts", {"warehouse": "WH1"}, planned_counts, as_=OLGA))["userErrors"] == [
        {"field": None, "code": "PERMISSION_DENIED"}
    ]
    planned = await succeed(graphql, "planCounts", {"warehouse": "WH1", "counters": ["olga"]}, planned_counts)
    assert sorted((d["itemSku"], d["triggers"]) for d in planned["due"]) == [
        ("BOLT", ["NEVER_COUNTED"]),
        ("NUT", ["NEVER_COUNTED"]),
    ]
    assert [(c["state"], c["kind"], sorted(c["itemSkus"])) for c in planned["counts"]] == [
        ("DRAFT", "CYCLE", ["BOLT", "NUT"])
    ]
    again = await succeed(graphql, "planCounts", {"warehouse": "WH1"}, planned_counts)
    assert (again["counts"], again["due"]) == ([], [])


async def test_a_receipt_entered_twice_is_the_first_suspect_of_the_shortage_it_leaves(graphql: GraphQL) -> None:
    receipt = {"itemSku": "BOLT", "warehouse": "WH1", "location": "A-01", "quantity": "30"}
    receipt |= {"document": {"type": "PO", "number": "PO-1", "line": "1"}}
    for _ in range(2):  # a double entry: a new idempotency key each time
        await succeed(graphql, "receive", receipt, "movement { id }")
    count_id, line_ids = await opened(graphql, tolerance={"quantity": "50"})
    await enter(graphql, count_id, OLGA, target=on_line(line_ids["BOLT"]), quantity="40")
    await enter(graphql, count_id, OLGA, target=on_line(line_ids["NUT"]), quantity="5")
    await finish_round(graphql, count_id)

    trace = f"""{{ lineTrace(countId: "{count_id}", lineId: "{line_ids["BOLT"]}") {{
      suspects {{ kind rank explanation movements {{ movementId }} }}
      movements {{ movementId type quantity businessTime postedAt }} }} }}"""
    body = await graphql(trace)
    assert "errors" not in body, body["errors"]
    first, *others = body["data"]["lineTrace"]["suspects"]
    receipts = sorted(
        (m for m in body["data"]["lineTrace"]["movements"] if n(m["quantity"]) == 30), key=lambda m: m["postedAt"]
    )
    assert (first["kind"], first["movements"]) == (
        "MISSED_OR_DOUBLED_ENTRY",
        [{"movementId": receipts[-1]["movementId"]}],
    )
    # The ledger's movement types come through as stock's MovementType, with both times always there.
    assert [m["type"] for m in receipts] == ["RECEIPT", "RECEIPT"]
    # A traced movement's id is the ledger's Movement, fetched again by it.
    again = await graphql("query M($id: ID!) { node(id: $id) { __typename } }", {"id": receipts[-1]["movementId"]})
    assert again["data"]["node"] == {"__typename": "Movement"}
    assert all(m["businessTime"] and m["postedAt"] for m in body["data"]["lineTrace"]["movements"])
    assert "It is the second RECEIPT for PO PO-1 line 1 of the same quantity" in first["explanation"]
    assert "by the same operator" in first["explanation"]
    assert all(other["rank"] < first["rank"] for other in others)


async def test_goods_on_the_road_are_not_counted_where_they_wait_and_a_count_there_is_refused(
    graphql: GraphQL,
) -> None:
    made = await succeed(
        graphql, "createWarehouse", {"code": "WH2", "name": "Branch"}, "warehouse { inTransitLocation }"
    )
    road = made["warehouse"]["inTransitLocation"]
    await succeed(graphql, "createLocation", {"warehouse": "WH2", "code": "A-01"}, "location { code }")
    transfer = {"itemSku": "BOLT", "quantity": "4", "from": {"warehouse": "WH1", "location": "A-01"}}
    transfer |= {"to": {"warehouse": "WH2", "location": road}}
    await succeed(graphql, "transfer", transfer, "movement { id }")

    full = {"warehouse": "WH2", "kind": "CYCLE", "counters": ["olga"]}
    count_id = (await succeed(graphql, "createCount", full))["count"]["id"]
    opened = (await succeed(graphql, "openCount", {"countId": count_id}))["count"]
    assert opened["lineCount"] == 0
    there = await mutate(graphql, "createCount", {**full, "locations": [road]})
    assert there["userErrors"] == [{"field": "locations[0]", "code": "OUT_OF_RANGE"}]


async def test_held_stock_on_the_shelf_is_counted_with_the_rest_and_a_loss_comes_off_the_held_stock_first(
    graphql: GraphQL,
) -> None:
    # A return waiting for inspection sits on the same shelf as the available BOLT.
    held = {"itemSku": "BOLT", "warehouse": "WH1", "location": "A-01", "quantity": "3", "status": "QC_HOLD"}
    await succeed(graphql, "receive", held, "movement { id }")
    count_id, line_ids = await opened(graphql, blind=True, tolerance={"quantity": "5"})
    # The counter finds 12 of the 13 on the shelf (not 2 more than the 10 available).
    await enter(graphql, count_id, OLGA, target=on_line(line_ids["BOLT"]), quantity="12")
    await enter(graphql, count_id, OLGA, target=on_line(line_ids["NUT"]), quantity="5")
    await finish_round(graphql, count_id)

    by_status = "countLines(countId: $count, first: 10) { edges { node { itemSku rounds { book variance "
    by_status += "bookByStatus { status quantity } } } } }"
    query = f"query L($count: ID!) {{ {by_status} }}"
    seen = (await graphql(query, {"count": count_id}))["data"]["countLines"]["edges"][0]["node"]["rounds"][0]
    assert (n(seen["book"]), n(seen["variance"])) == (13, -1)
    assert [(part["status"], n(part["quantity"])) for part in seen["bookByStatus"]] == [
        ("AVAILABLE", 10),
        ("QC_HOLD", 3),
    ]
    reviewed = await succeed(
        graphql,
        "explainLine",
        {"countId": count_id, "lineId": line_ids["BOLT"], "reasons": [{"reasonCode": "ENTRY_ERROR", "quantity": "1"}]},
    )
    assert reviewed["line"]["variance"] == "-1"
    await succeed(graphql, "submitForApproval", {"countId": count_id})
    await succeed(graphql, "approveCount", {"countId": count_id, "level": "SUPERVISOR"})
    for _ in range(300):
        if (await count(graphql, count_id))["state"] == "POSTED":
            break
        await asyncio.sleep(0.05)
    assert (await count(graphql, count_id))["state"] == "POSTED"

    balances = '{ balances(itemSku: "BOLT", warehouse: "WH1") { edges { node { place { status } quantity } } } }'
    found = (await graphql(balances))["data"]["balances"]["edges"]
    assert sorted((edge["node"]["place"]["status"], n(edge["node"]["quantity"])) for edge in found) == [
        ("AVAILABLE", 10),
        ("QC_HOLD", 2),
    ]


async def test_a_reason_code_longer_than_its_limits_is_refused_naming_the_field(graphql: GraphQL) -> None:
    for reason, field in (
        ({"code": "C" * 41, "name": "Mixed up"}, "code"),
        ({"code": "MIX", "name": "N" * 201}, "name"),
    ):
        payload = await mutate(graphql, "setReasonCode", reason)
        assert payload["userErrors"] == [{"field": field, "code": "OUT_OF_RANGE"}]
    codes = await graphql("{ reasonCodes(includeInactive: true, first: 100) { edges { node { code } } } }")
    assert "MIX" not in [edge["node"]["code"] for edge in codes["data"]["reasonCodes"]["edges"]]


ENTRY = "mutation Enter($input: SubmitEntryInput!) { submitEntry(input: $input) { entry { lineId } } }"


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ({}, "`target` takes exactly one of `lineId` or `place` (EntryTargetInput)"),
        (
            {"lineId": "a line", "place": {"item": {"sku": "BOLT"}, "location": "A-01"}},
            "`target` takes exactly one of `lineId` or `place` (EntryTargetInput)",
        ),
        (
            {"place": {"item": {"sku": "BOLT", "barcode": "BOLT-EACH"}, "location": "A-01"}},
            "`item` takes exactly one of `sku` or `barcode` (EntryItemInput)",
        ),
    ],
)
async def test_an_entry_names_a_line_or_an_item_and_its_place_and_the_schema_refuses_neither_or_both(
    graphql: GraphQL, counting: Service, target: dict[str, Any], message: str
) -> None:
    count_id, _ = await opened(graphql)
    counting.counter.clear()
    entry = {"countId": count_id, "entryId": str(uuid.uuid4()), "quantity": "1", "target": target}
    [by_variables] = (await graphql(ENTRY, {"input": entry}, as_=OLGA))["errors"]
    literal = (
        'mutation { submitEntry(input: {countId: "c", entryId: "e", quantity: "1", target: {}}) { entry { round } } }'
    )
    [in_the_document] = (await graphql(literal, as_=OLGA))["errors"]
    assert by_variables["message"].startswith(message)
    assert in_the_document["message"].startswith("`target` takes exactly one of `lineId` or `place`")
    assert not counting.calls


async def test_a_count_and_a_line_are_fetched_again_by_the_id_the_graph_gave(
    graphql: GraphQL, counting: Service
) -> None:
    count_id, line_ids = await opened(graphql, blind=True)
    query = """query Again($count: ID!, $line: ID!) {
      count: node(id: $count) { __typename id ... on Count { state } }
      line: node(id: $line) { __typename id ... on CountLine { itemSku bookAtOpen countId } } }"""
    counting.counter.clear()
    found = (await graphql(query, {"count": count_id, "line": line_ids["BOLT"]}, as_=OLGA))["data"]
    assert found["count"] == {"__typename": "Count", "id": count_id, "state": "OPEN"}
    # As the counter may see it: a blind count's book stays hidden.
    assert found["line"] == {
        "__typename": "CountLine",
        "id": line_ids["BOLT"],
        "itemSku": "BOLT",
        "bookAtOpen": None,
        "countId": count_id,
    }
    assert counting.calls == {"GetCounts": 1, "GetLines": 1}
    gone = str(relay.GlobalID("Count", str(uuid.uuid4())))
    assert (await graphql(query, {"count": gone, "line": LINE_NOT_ON_IT}))["data"] == {"count": None, "line": None}


async def test_an_argument_given_the_id_of_another_type_or_the_services_own_id_is_refused_naming_it(
    graphql: GraphQL, counting: Service
) -> None:
    count_id, line_ids = await opened(graphql)
    counting.counter.clear()
    for query, variables, field in (
        ("query Q($id: ID!) { count(id: $id) { id } }", {"id": line_ids["BOLT"]}, "id"),
        ("query Q($id: ID!) { countLines(countId: $id) { edges { cursor } } }", {"id": line_ids["NUT"]}, "countId"),
        (
            "query Q($c: ID!, $l: ID!) { lineTrace(countId: $c, lineId: $l) { since } }",
            {"c": count_id, "l": count_id},
            "lineId",
        ),
        (
            "query Q($id: ID!) { nextLine(countId: $id) { remaining } }",
            {"id": relay.GlobalID.from_id(count_id).node_id},
            "countId",
        ),
    ):
        [error] = (await graphql(query, variables))["errors"]
        assert error["extensions"] == {"code": "INVALID_FORMAT", "field": field}, query
    opening = await mutate(graphql, "openCount", {"countId": line_ids["BOLT"]})
    assert opening["userErrors"] == [{"field": "countId", "code": "INVALID_FORMAT"}]
    explain = {"countId": count_id, "lines": [{"lineId": count_id, "reasons": []}]}
    explaining = await mutate(graphql, "explainLines", explain)
    assert explaining["userErrors"] == [{"field": "lines[0].lineId", "code": "INVALID_FORMAT"}]
    assert not counting.calls


async def pages(
    graphql: GraphQL,
    field: str,
    node: str,
    declared: str = "",
    arguments: str = "",
    *,
    within: str = "",
    **variables: Any,
) -> tuple[list[str], list[str]]:
    """The `node` field of `field`'s entries read forward two at a time, then backward two at a time;
    `field` is a field of `within` (with its arguments, `abcClasses(warehouse: "WH1")`) if given."""
    paged = f"""{field}({arguments}first: $first, after: $after, last: $last, before: $before) {{
        edges {{ node {{ {node} }} }} pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} }}"""
    query = f"""query Page({declared}$first: Int, $after: String, $last: Int, $before: String) {{
      {f"{within} {{ {paged} }}" if within else paged} }}"""

    async def read(size: str, start: str, more: str, next_start: str) -> list[str]:
        found: list[str] = []
        cursor = None
        while True:
            body = await graphql(query, {**variables, size: 2, start: cursor})
            assert "errors" not in body, body["errors"]
            page = body["data"][within.partition("(")[0]][field] if within else body["data"][field]
            nodes = [edge["node"][node] for edge in page["edges"]]
            # Edges are in the list's order either way: a page read backward comes before those read so far.
            found = found + nodes if size == "first" else nodes + found
            if not page["pageInfo"][more]:
                return found
            cursor = page["pageInfo"][next_start]

    forward = await read("first", "after", "hasNextPage", "endCursor")
    return forward, await read("last", "before", "hasPreviousPage", "startCursor")


async def test_counts_page_forward_and_backward_in_the_order_they_were_created(graphql: GraphQL) -> None:
    made = [(await plan(graphql, note=f"count {n}"))["id"] for n in range(5)]
    forward, backward = await pages(graphql, "counts", "id", arguments='warehouse: "WH1", ')
    assert forward == backward == made


async def test_a_counts_lines_page_forward_and_backward_in_location_order(graphql: GraphQL) -> None:
    for location in ("A-02", "C-01"):
        await succeed(graphql, "createLocation", {"warehouse": "WH1", "code": location}, "location { code }")
        receipt = {"itemSku": "NUT", "warehouse": "WH1", "location": location, "quantity": "1"}
        await succeed(graphql, "receive", receipt, "movement { id }")
    count_id, _ = await opened(graphql)
    in_order = [line["id"] for line in await lines(graphql, count_id)]
    forward, backward = await pages(graphql, "countLines", "id", "$count: ID!, ", "countId: $count, ", count=count_id)
    assert len(in_order) == 4 and forward == backward == in_order


async def test_reason_codes_page_forward_and_backward_in_code_order(graphql: GraphQL) -> None:
    await succeed(graphql, "setReasonCode", {"code": "MISPICK", "name": "Mispick"})
    forward, backward = await pages(graphql, "reasonCodes", "code")
    assert forward == backward == sorted(forward) and "MISPICK" in forward and len(forward) == 11


async def test_abc_classes_page_forward_and_backward_each_class_in_item_order(
    graphql: GraphQL, catalog: Catalog
) -> None:
    for sku in ("WASHER", "AXLE", "SCREW"):
        await catalog.create_item(sku)
        receipt = {"itemSku": sku, "warehouse": "WH1", "location": "A-01", "quantity": "1"}
        await succeed(graphql, "receive", receipt, "movement { id }")
    # Counted in WH1, its five items are known there; never issued, each is a C.
    await opened(graphql)
    first_two = "abcClasses { classes(first: 2) { edges { node { itemSku abcClass } } pageInfo { hasNextPage } } }"
    computed = (await succeed(graphql, "computeAbcClasses", {"warehouse": "WH1"}, first_two))["abcClasses"]
    assert computed["classes"] == {
        "edges": [{"node": {"itemSku": "AXLE", "abcClass": "C"}}, {"node": {"itemSku": "BOLT", "abcClass": "C"}}],
        "pageInfo": {"hasNextPage": True},
    }
    forward, backward = await pages(graphql, "classes", "itemSku", within='abcClasses(warehouse: "wh1")')
    assert forward == backward == ["AXLE", "BOLT", "NUT", "SCREW", "WASHER"]
