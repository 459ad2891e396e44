from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from strawberry import relay

from invariant_core.testing import eventually

from support import Catalog, Service, StartGateway, bearer

GraphQL = Callable[..., Awaitable[dict[str, Any]]]
User = tuple[str, tuple[str, ...]]
SUPERVISOR: User = ("sam", ("supervisor",))
INSPECTOR: User = ("ines", ("inspector",))
OTHER_INSPECTOR: User = ("otto", ("inspector",))
PICKER: User = ("pia", ("picker",))
OPERATOR: User = ("olga", ("operator",))

PLAN = """inspectionPlan { id itemSku supplier version state createdBy activatedAt supersededAt
  characteristics { __typename code name
    ... on MeasuredCharacteristic { nominal lower upper unit }
    ... on AttributeCharacteristic { defectCodes } }
  sampling { __typename ... on FixedSampling { size accept } ... on AqlSampling { level aql } } }"""
LOT_FIELDS = """id number movementId itemSku quantity state verdict inspectedSamples defectiveSamples planId planVersion
  place { warehouse location lot } document { type number line } openedBy reason
  sampling { tableLetter codeLetter sampleSize accept reject everyUnit lotSize }
  results { sample characteristic conforming value defectCode inspector recordedAt }
  decision { outcome accepted rejected verdict planVersion decidedBy decidedAt }"""
LOT = f"inspectionLot {{ {LOT_FIELDS} }}"
LOTS = f"""query Lots($sku: String, $state: InspectionLotState) {{
  inspectionLots(itemSku: $sku, state: $state) {{ edges {{ node {{ {LOT_FIELDS} }} }} }} }}"""
AVAILABILITY = """query Availability($sku: String!) {
  availability(itemSku: $sku, warehouse: "WH1") { available qcHold rejected } }"""
FINISH = {"attribute": {"code": "FINISH", "name": "Surface finish", "defectCodes": ["SCRATCH", "RUST"]}}
DIAMETER = {
    "measured": {
        "code": "DIA",
        "name": "Shank diameter",
        "nominal": "8.00",
        "lower": "7.90",
        "upper": "8.05",
        "unit": "MM",
    }
}
AQL_2_5 = {"aql": {"aql": "2.5"}}


@pytest.fixture
async def graphql(
    start_gateway: StartGateway, catalog: Catalog, stock: Service, quality: Service
) -> AsyncIterator[GraphQL]:
    """`await graphql(query, variables, as_=INSPECTOR)` through a gateway in front of the real services.

    FRAME (PCS, inspected on receipt) is in the catalog; WH1 has a shelf A-01 and a quarantine
    location QZ-1. Every call is sam's, a supervisor, unless `as_` says otherwise.
    """
    async with start_gateway(STOCK_ADDR=stock.address, QUALITY_ADDR=quality.address) as client:

        async def send(
            query: str, variables: dict[str, Any] | None = None, *, as_: User = SUPERVISOR
        ) -> dict[str, Any]:
            reply = await client.post(
                "/graphql", json={"query": query, "variables": variables or {}}, headers=bearer(*as_)
            )
            body: dict[str, Any] = reply.json()
            return body

        frame = {"sku": "FRAME", "name": "Aluminium frame", "baseUnit": "PCS", "inspectOnReceipt": True}
        await done(send, "createItem", frame, "item { sku }")
        await done(send, "createWarehouse", {"code": "WH1", "name": "Main"}, "warehouse { code }")
        for code, kind in (("A-01", "STORAGE"), ("QZ-1", "QUARANTINE")):
            await done(send, "createLocation", {"warehouse": "WH1", "code": code, "kind": kind}, "location { code }")
        quality.counter.clear()
        yield send


async def answer(
    graphql: GraphQL, name: str, input: dict[str, Any], selection: str = LOT, *, as_: User = SUPERVISOR
) -> Any:
    """What mutation `name` answers, refused or not (its input type is named after it)."""
    kind = f"{name[0].upper()}{name[1:]}Input"
    body = await graphql(
        f"mutation Run($input: {kind}!) {{ {name}(input: $input) {{ {selection} userErrors {{ field code }} }} }}",
        {"input": input},
        as_=as_,
    )
    assert "errors" not in body, body["errors"]
    return body["data"][name]


async def done(
    graphql: GraphQL, name: str, input: dict[str, Any], selection: str = LOT, *, as_: User = SUPERVISOR
) -> Any:
    payload = await answer(graphql, name, input, selection, as_=as_)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


def refused(payload: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(error["field"], error["code"]) for error in payload["userErrors"]]


async def active_plan(graphql: GraphQL) -> dict[str, Any]:
    plan = (
        await done(
            graphql,
            "draftInspectionPlan",
            {"itemSku": "frame", "characteristics": [FINISH, DIAMETER], "sampling": AQL_2_5},
            PLAN,
        )
    )["inspectionPlan"]
    active: dict[str, Any] = (await done(graphql, "activateInspectionPlan", {"planId": plan["id"]}, PLAN))[
        "inspectionPlan"
    ]
    return active


async def lots(graphql: GraphQL, **filters: Any) -> list[dict[str, Any]]:
    found = await graphql(LOTS, {"sku": "FRAME", **filters}, as_=INSPECTOR)
    return [edge["node"] for edge in found["data"]["inspectionLots"]["edges"]]


async def received_on_hold(graphql: GraphQL, quantity: str) -> tuple[str, dict[str, Any]]:
    """A purchase receipt into QC_HOLD on A-01, and the lot quality opened for it by itself."""
    receipt = {
        "itemSku": "FRAME",
        "warehouse": "WH1",
        "location": "A-01",
        "quantity": quantity,
        "status": "QC_HOLD",
        "document": {"type": "PURCHASE_ORDER", "number": "PO-7", "line": "1"},
    }
    movement: str = (await done(graphql, "receive", receipt, "movement { id }", as_=OPERATOR))["movement"]["id"]

    async def opened() -> bool:
        return bool(await lots(graphql))

    await eventually(opened, "quality opens a lot for the receipt")
    [lot] = await lots(graphql)
    return movement, lot


def sample(number: int, good: bool = True) -> list[dict[str, Any]]:
    """Both characteristics of one sample: a good finish and diameter, or rust and an oversize shank."""
    finish = {"sample": number, "characteristic": "FINISH", "passed": good}
    if not good:
        finish["defectCode"] = "RUST"
    return [finish, {"sample": number, "characteristic": "DIA", "value": "8.00" if good else "8.10"}]


async def inspected(graphql: GraphQL, lot: dict[str, Any], defective: int = 1) -> dict[str, Any]:
    """The lot's 20 samples recorded by ines, the first `defective` of them failing."""
    results = [result for number in range(1, 21) for result in sample(number, good=number > defective)]
    recorded = {"inspectionLotId": lot["id"], "results": results, "idempotencyKey": f"ines-{lot['number']}"}
    payload: dict[str, Any] = (await done(graphql, "recordInspectionResults", recorded, as_=INSPECTOR))["inspectionLot"]
    return payload


async def test_a_plan_is_drafted_revised_and_activated_and_a_later_version_supersedes_it(graphql: GraphQL) -> None:
    drafted = {"itemSku": "frame", "characteristics": [FINISH], "sampling": {"fixed": {"size": 5}}}
    plan = (await done(graphql, "draftInspectionPlan", {**drafted, "idempotencyKey": "plan-1"}, PLAN))["inspectionPlan"]
    assert plan["id"] == str(relay.GlobalID("InspectionPlan", relay.GlobalID.from_id(plan["id"]).node_id))
    assert (plan["itemSku"], plan["supplier"], plan["version"], plan["state"], plan["createdBy"]) == (
        "FRAME",
        None,
        1,
        "DRAFT",
        "sam",
    )
    assert plan["characteristics"] == [
        {
            "__typename": "AttributeCharacteristic",
            "code": "FINISH",
            "name": "Surface finish",
            "defectCodes": ["SCRATCH", "RUST"],
        }
    ]
    assert plan["sampling"] == {"__typename": "FixedSampling", "size": 5, "accept": 0}
    again = await done(graphql, "draftInspectionPlan", {**drafted, "idempotencyKey": "plan-1"}, PLAN)
    assert again["inspectionPlan"] == plan

    revised = (
        await done(
            graphql,
            "reviseInspectionPlan",
            {"planId": plan["id"], "characteristics": [FINISH, DIAMETER], "sampling": AQL_2_5},
            PLAN,
        )
    )["inspectionPlan"]
    assert revised["characteristics"][1] == {
        "__typename": "MeasuredCharacteristic",
        "code": "DIA",
        "name": "Shank diameter",
        "nominal": "8",
        "lower": "7.9",
        "upper": "8.05",
        "unit": "MM",
    }
    assert revised["sampling"] == {"__typename": "AqlSampling", "level": "II", "aql": "2.5"}

    active = (await done(graphql, "activateInspectionPlan", {"planId": plan["id"]}, PLAN))["inspectionPlan"]
    assert (active["state"], active["activatedAt"] is not None) == ("ACTIVE", True)
    content = {"characteristics": [FINISH], "sampling": AQL_2_5}
    too_late = await answer(graphql, "reviseInspectionPlan", {"planId": plan["id"], **content}, PLAN)
    assert refused(too_late) == [("planId", "INVALID_STATE")]

    second = (await done(graphql, "draftInspectionPlan", drafted, PLAN))["inspectionPlan"]
    assert second["version"] == 2
    await done(graphql, "activateInspectionPlan", {"planId": second["id"]}, PLAN)
    listed = await graphql(
        '{ inspectionPlans(itemSku: "frame") { edges { node { version state supersededAt } } } }', as_=PICKER
    )
    versions = [edge["node"] for edge in listed["data"]["inspectionPlans"]["edges"]]
    assert [(v["version"], v["state"], v["supersededAt"] is not None) for v in versions] == [
        (1, "SUPERSEDED", True),
        (2, "ACTIVE", False),
    ]
    fetched = await graphql(
        "query P($id: ID!) { node(id: $id) { ... on InspectionPlan { version state } } inspectionPlan(id: $id) "
        "{ version } }",
        {"id": plan["id"]},
        as_=INSPECTOR,
    )
    assert fetched["data"] == {"node": {"version": 1, "state": "SUPERSEDED"}, "inspectionPlan": {"version": 1}}


async def test_a_receipt_into_qc_hold_is_one_lot_recorded_by_an_inspector_and_decided_by_a_supervisor(
    graphql: GraphQL,
) -> None:
    plan = await active_plan(graphql)
    movement, lot = await received_on_hold(graphql, "100")

    assert (lot["state"], lot["verdict"], lot["quantity"], lot["openedBy"]) == ("OPEN", "UNDECIDED", "100", "olga")
    assert (lot["movementId"], lot["planId"], lot["planVersion"]) == (movement, plan["id"], 1)
    assert lot["id"] == str(relay.GlobalID("InspectionLot", lot["number"]))
    assert lot["sampling"] == {
        "tableLetter": "F",
        "codeLetter": "F",
        "sampleSize": 20,
        "accept": 1,
        "reject": 2,
        "everyUnit": False,
        "lotSize": "100",
    }
    assert lot["place"] == {"warehouse": "WH1", "location": "A-01", "lot": None}
    assert lot["document"] == {"type": "PURCHASE_ORDER", "number": "PO-7", "line": "1"}

    recorded = await inspected(graphql, lot)
    assert (recorded["inspectedSamples"], recorded["defectiveSamples"], recorded["verdict"]) == (20, 1, "ACCEPT")
    assert {(r["inspector"], r["conforming"]) for r in recorded["results"]} == {("ines", True), ("ines", False)}
    failed = [r for r in recorded["results"] if not r["conforming"]]
    assert [(r["characteristic"], r["value"], r["defectCode"]) for r in failed] == [
        ("FINISH", None, "RUST"),
        ("DIA", "8.1", None),
    ]
    # Sent again with its key, the results are answered as they were, not recorded twice.
    assert (await inspected(graphql, lot))["results"] == recorded["results"]

    partial = {"inspectionLotId": lot["id"], "outcome": "PARTIAL", "accepted": "90", "rejected": "10"}
    by_another = await answer(graphql, "decideInspectionLot", partial, as_=OTHER_INSPECTOR)
    assert refused(by_another) == [("decidedBy", "PERMISSION_DENIED")]

    decided = (await done(graphql, "decideInspectionLot", partial))["inspectionLot"]
    assert decided["state"] == "DECIDED"
    decision = decided["decision"]
    assert (decision["outcome"], decision["accepted"], decision["rejected"]) == ("PARTIAL", "90", "10")
    assert (decision["verdict"], decision["planVersion"], decision["decidedBy"]) == ("ACCEPT", 1, "sam")

    async def moved() -> bool:
        found = await graphql(AVAILABILITY, {"sku": "FRAME"})
        return bool(found["data"]["availability"] == {"available": "90", "qcHold": "0", "rejected": "10"})

    await eventually(moved, "stock moves 90 to AVAILABLE and 10 to REJECTED")
    assert await lots(graphql, state="OPEN") == []


async def test_bad_input_is_answered_as_user_errors_naming_the_field_and_nothing_is_written(
    graphql: GraphQL, quality: Service
) -> None:
    await active_plan(graphql)
    _, lot = await received_on_hold(graphql, "100")
    lot_id = lot["id"]

    unknown = [*sample(1), {"sample": 2, "characteristic": "COLOUR", "passed": True}]
    record = {"inspectionLotId": lot_id, "results": unknown}
    assert refused(await answer(graphql, "recordInspectionResults", record, as_=INSPECTOR)) == [
        ("results[2].characteristic", "NOT_FOUND")
    ]
    outside = {"inspectionLotId": lot_id, "results": [{"sample": 21, "characteristic": "FINISH", "passed": True}]}
    assert refused(await answer(graphql, "recordInspectionResults", outside, as_=INSPECTOR)) == [
        ("results[0].sample", "OUT_OF_RANGE")
    ]
    [unchanged] = await lots(graphql)
    assert unchanged["results"] == []

    await inspected(graphql, lot)
    short = {"inspectionLotId": lot_id, "outcome": "PARTIAL", "accepted": "90", "rejected": "5"}
    assert refused(await answer(graphql, "decideInspectionLot", short, as_=INSPECTOR)) == [("rejected", "OUT_OF_RANGE")]
    await done(graphql, "decideInspectionLot", {"inspectionLotId": lot_id, "outcome": "ACCEPT"}, as_=INSPECTOR)
    twice = {"inspectionLotId": lot_id, "outcome": "REJECT"}
    assert refused(await answer(graphql, "decideInspectionLot", twice, as_=INSPECTOR)) == [
        ("inspectionLotId", "INVALID_STATE")
    ]
    nowhere = {"inspectionLotId": str(relay.GlobalID("InspectionLot", str(uuid.uuid4()))), "outcome": "ACCEPT"}
    assert refused(await answer(graphql, "decideInspectionLot", nowhere, as_=INSPECTOR)) == [
        ("inspectionLotId", "NOT_FOUND")
    ]

    quality.counter.clear()
    not_a_lot = {"inspectionLotId": lot["planId"], "outcome": "ACCEPT"}
    assert refused(await answer(graphql, "decideInspectionLot", not_a_lot, as_=INSPECTOR)) == [
        ("inspectionLotId", "INVALID_FORMAT")
    ]
    assert not quality.calls
    reversed_limits = {**DIAMETER["measured"], "lower": "8.10"}
    bad_plans = [
        (
            {"characteristics": [{"measured": reversed_limits}], "sampling": AQL_2_5},
            "characteristics[0].measured.upper",
        ),
        (
            {
                "characteristics": [FINISH, {"attribute": {**FINISH["attribute"], "defectCodes": []}}],
                "sampling": AQL_2_5,
            },
            "characteristics[1].attribute.defectCodes",
        ),
        ({"characteristics": [FINISH], "sampling": {"aql": {"aql": "3"}}}, "sampling.aql.aql"),
        ({"characteristics": [FINISH], "sampling": {"fixed": {"size": 5, "accept": 5}}}, "sampling.fixed.accept"),
    ]
    for content, field in bad_plans:
        payload = await answer(graphql, "draftInspectionPlan", {"itemSku": "FRAME", **content}, PLAN)
        assert [error["field"] for error in payload["userErrors"]] == [field], content
    plans = await graphql('{ inspectionPlans(itemSku: "FRAME") { edges { node { version } } } }')
    assert [edge["node"]["version"] for edge in plans["data"]["inspectionPlans"]["edges"]] == [1]


async def test_a_supervisor_holds_available_stock_for_inspection_by_hand(graphql: GraphQL) -> None:
    received = {"itemSku": "FRAME", "warehouse": "WH1", "location": "A-01", "quantity": "30"}
    await done(graphql, "receive", received, "movement { id }", as_=OPERATOR)
    hold = {"itemSku": "FRAME", "warehouse": "wh1", "location": "a-01", "quantity": "10", "reason": "Complaint"}

    assert refused(await answer(graphql, "holdForInspection", {**hold, "location": "B-09"})) == [
        ("location", "NOT_FOUND")
    ]
    held = (await done(graphql, "holdForInspection", hold))["inspectionLot"]
    assert (held["quantity"], held["reason"], held["document"]["type"]) == ("10", "Complaint", "MANUAL_HOLD")

    async def on_hold() -> bool:
        [lot] = await lots(graphql)
        stock = await graphql(AVAILABILITY, {"sku": "FRAME"})
        return lot["state"] == "OPEN" and stock["data"]["availability"] == {
            "available": "20",
            "qcHold": "10",
            "rejected": "0",
        }

    await eventually(on_hold, "stock holds 10 for the lot")
    [lot] = await lots(graphql)
    assert lot["movementId"] is not None
    # The default plan, version 0 (AQL 2.5, level II), judges an item without a plan of its own:
    # a lot of 10 is letter B, whose arrow leads to C's sample of 5.
    sampling = lot["sampling"]
    assert (lot["planVersion"], sampling["tableLetter"], sampling["codeLetter"], sampling["sampleSize"]) == (
        0,
        "B",
        "C",
        5,
    )


async def test_plans_and_holds_are_a_supervisors_inspection_an_inspectors_and_a_picker_only_reads(
    graphql: GraphQL, quality: Service
) -> None:
    lot = str(relay.GlobalID("InspectionLot", str(uuid.uuid4())))
    plan = {"itemSku": "FRAME", "characteristics": [FINISH], "sampling": AQL_2_5}
    hold = {"itemSku": "FRAME", "warehouse": "WH1", "location": "A-01", "quantity": "1", "reason": "Suspect"}
    attempts = [
        ("draftInspectionPlan", plan, PLAN, (PICKER, INSPECTOR)),
        ("activateInspectionPlan", {"planId": str(relay.GlobalID("InspectionPlan", "x"))}, PLAN, (PICKER, INSPECTOR)),
        ("holdForInspection", hold, LOT, (PICKER, INSPECTOR, OPERATOR)),
        ("recordInspectionResults", {"inspectionLotId": lot, "results": sample(1)}, LOT, (PICKER, OPERATOR)),
        ("decideInspectionLot", {"inspectionLotId": lot, "outcome": "ACCEPT"}, LOT, (PICKER, OPERATOR)),
    ]
    for name, input, selection, users in attempts:
        for user in users:
            payload = await answer(graphql, name, input, selection, as_=user)
            assert refused(payload) == [(None, "PERMISSION_DENIED")], (name, user)
    assert not quality.calls

    read = await graphql(
        "{ inspectionLots { edges { node { id } } } inspectionPlans { edges { node { id } } } }", as_=PICKER
    )
    assert read == {"data": {"inspectionLots": {"edges": []}, "inspectionPlans": {"edges": []}}}
