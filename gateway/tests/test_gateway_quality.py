from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import nats
import pytest
from strawberry import relay

from invariant.events.v1 import envelope_pb2
from invariant.events.v1 import orders_pb2 as order_events
from invariant.stock.v1 import stock_pb2 as spb
from invariant.stock.v1 import stock_pb2_grpc
from invariant_core import identity
from invariant_core.db import utcnow
from invariant_core.messages import timestamp_message
from invariant_core.testing import EventBus, eventually

from support import SEEDER, Catalog, Service, StartGateway, bearer, d

GraphQL = Callable[..., Awaitable[dict[str, Any]]]
User = tuple[str, tuple[str, ...]]
SUPERVISOR: User = ("sam", ("supervisor",))
INSPECTOR: User = ("ines", ("inspector",))
OTHER_INSPECTOR: User = ("otto", ("inspector",))
PICKER: User = ("pia", ("picker",))
OPERATOR: User = ("olga", ("operator",))
MANAGER: User = ("mia", ("manager",))
OTHER_MANAGER: User = ("max", ("manager",))

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

        frame = {
            "sku": "FRAME",
            "name": "Aluminium frame",
            "baseUnit": "PCS",
            "inspectOnReceipt": True,
            "standardCost": "12.50",
        }
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
    ncr = str(relay.GlobalID("NonConformance", str(uuid.uuid4())))
    disposition = {"nonConformanceId": ncr}
    recall = {"start": {"stockLot": {"itemSku": "FRAME", "lot": "L-1"}}, "reason": "Suspect"}
    attempts = [
        ("draftInspectionPlan", plan, PLAN, (PICKER, INSPECTOR)),
        ("activateInspectionPlan", {"planId": str(relay.GlobalID("InspectionPlan", "x"))}, PLAN, (PICKER, INSPECTOR)),
        ("holdForInspection", hold, LOT, (PICKER, INSPECTOR, OPERATOR)),
        ("recordInspectionResults", {"inspectionLotId": lot, "results": sample(1)}, LOT, (PICKER, OPERATOR)),
        ("decideInspectionLot", {"inspectionLotId": lot, "outcome": "ACCEPT"}, LOT, (PICKER, OPERATOR)),
        ("updateNonConformance", {"nonConformanceId": ncr, "rootCause": "Wet store"}, NCR, (PICKER, OPERATOR)),
        ("planDisposition", {**disposition, "kind": "SCRAP", "quantity": "1"}, NCR, (PICKER, INSPECTOR, OPERATOR)),
        ("withdrawDisposition", {**disposition, "dispositionId": "d"}, NCR, (PICKER, INSPECTOR)),
        ("approveUseAsIs", {**disposition, "dispositionId": "d"}, NCR, (PICKER, INSPECTOR, SUPERVISOR)),
        ("closeNonConformance", disposition, NCR, (PICKER, INSPECTOR)),
        ("holdRecalledLots", recall, "inspectionLots { id }", (PICKER, INSPECTOR, OPERATOR)),
    ]
    for name, input, selection, users in attempts:
        for user in users:
            payload = await answer(graphql, name, input, selection, as_=user)
            assert refused(payload) == [(None, "PERMISSION_DENIED")], (name, user)
    assert not quality.calls

    read = await graphql(
        "{ inspectionLots { edges { node { id } } } inspectionPlans { edges { node { id } } } "
        "nonConformances { edges { node { id } } } "
        'qualityFigures(dimension: OPERATOR, fromMonth: "2026-01", toMonth: "2026-02") { key } }',
        as_=PICKER,
    )
    assert read == {
        "data": {
            "inspectionLots": {"edges": []},
            "inspectionPlans": {"edges": []},
            "nonConformances": {"edges": []},
            "qualityFigures": [],
        }
    }


NCR_FIELDS = """id number inspectionLotId itemSku supplier located rejected state photos rootCause unplanned carriedOut
  openedBy closedBy closedAt place { warehouse location lot } defects { code count }
  dispositions { dispositionId kind quantity state plannedBy approvedBy requested refusal movementId carriedOutBy }"""
NCR = f"nonConformance {{ {NCR_FIELDS} }}"
NCRS = f"""query Ncrs($supplier: String, $state: NonConformanceState) {{
  nonConformances(itemSku: "frame", supplier: $supplier, state: $state) {{ edges {{ node {{ {NCR_FIELDS} }} }} }} }}"""


def stock_stub(stock: Service) -> stock_pb2_grpc.StockServiceStub:
    return stock_pb2_grpc.StockServiceStub(stock.channel)  # type: ignore[no-untyped-call]


async def post(stock: Service, request: spb.PostMovementRequest) -> spb.Movement:
    """A movement posted at stock as orders posts it (a supplier's receipt, a work order's issue), not counted."""
    with identity.acting(SEEDER):
        try:
            movement: spb.Movement = await stock_stub(stock).PostMovement(request)
            return movement
        finally:
            stock.counter.clear()


async def ncrs(graphql: GraphQL, **filters: Any) -> list[dict[str, Any]]:
    found = await graphql(NCRS, filters, as_=PICKER)
    return [edge["node"] for edge in found["data"]["nonConformances"]["edges"]]


async def rejected_ten(graphql: GraphQL, stock: Service) -> tuple[dict[str, Any], dict[str, Any]]:
    """ACME's 100 FRAME received into QC_HOLD on A-01, inspected by ines and decided 90/10 by sam; the lot and the
    NCR the decision opened, once stock has put the 10 aside in quarantine."""
    await active_plan(graphql)
    receipt = spb.PostMovementRequest(
        idempotency_key=str(uuid.uuid4()),
        type=spb.MOVEMENT_TYPE_RECEIPT,
        item_sku="FRAME",
        quantity=d("100"),
        to=spb.StockPlace(warehouse="WH1", location="A-01", status=spb.STOCK_STATUS_QC_HOLD),
        document=spb.DocumentRef(type="PURCHASE_ORDER", id="PO-7", line="1"),
        supplier="ACME",
    )
    await post(stock, receipt)

    async def opened() -> bool:
        return bool(await lots(graphql))

    await eventually(opened, "quality opens a lot for the receipt")
    [lot] = await lots(graphql)
    await inspected(graphql, lot)
    partial = {"inspectionLotId": lot["id"], "outcome": "PARTIAL", "accepted": "90", "rejected": "10"}
    await done(graphql, "decideInspectionLot", partial)

    async def located() -> bool:
        return [ncr["located"] for ncr in await ncrs(graphql)] == [True]

    await eventually(located, "stock puts the rejected 10 aside in quarantine")
    [ncr] = await ncrs(graphql)
    return lot, ncr


async def stock_of_frame(graphql: GraphQL) -> dict[str, str]:
    found: dict[str, str] = (await graphql(AVAILABILITY, {"sku": "FRAME"}))["data"]["availability"]
    return found


async def test_a_90_10_decision_opens_an_ncr_whose_return_to_supplier_issues_the_10_and_lets_it_close(
    graphql: GraphQL, stock: Service
) -> None:
    lot, ncr = await rejected_ten(graphql, stock)
    assert (ncr["itemSku"], ncr["supplier"], ncr["rejected"], ncr["state"], ncr["openedBy"]) == (
        "FRAME",
        "ACME",
        "10",
        "OPEN",
        "sam",
    )
    assert (ncr["inspectionLotId"], ncr["unplanned"], ncr["carriedOut"], ncr["dispositions"]) == (
        lot["id"],
        "10",
        "0",
        [],
    )
    assert ncr["id"] == str(relay.GlobalID("NonConformance", ncr["number"]))
    assert ncr["place"] == {"warehouse": "WH1", "location": "QZ-1", "lot": None}
    # Sample 1 failed both characteristics: rust on the finish, an oversize diameter.
    assert sorted((defect["code"], defect["count"]) for defect in ncr["defects"]) == [("DIA", 1), ("RUST", 1)]
    assert await ncrs(graphql, supplier="acme", state="OPEN") == [ncr]
    assert await ncrs(graphql, supplier="BETA") == []

    found = (
        await done(
            graphql,
            "updateNonConformance",
            {"nonConformanceId": ncr["id"], "rootCause": "Bar stock from a wet store", "photos": ["s3://qa/1.jpg"]},
            NCR,
            as_=INSPECTOR,
        )
    )["nonConformance"]
    assert (found["rootCause"], found["photos"]) == ("Bar stock from a wet store", ["s3://qa/1.jpg"])

    nothing_planned = await answer(graphql, "closeNonConformance", {"nonConformanceId": ncr["id"]}, NCR)
    assert refused(nothing_planned) == [("dispositions", "INVALID_STATE")]
    beyond = {"nonConformanceId": ncr["id"], "kind": "RETURN_TO_SUPPLIER", "quantity": "11"}
    assert refused(await answer(graphql, "planDisposition", beyond, NCR)) == [("quantity", "OUT_OF_RANGE")]
    assert (await ncrs(graphql))[0]["dispositions"] == []

    returned = {**beyond, "quantity": "10", "idempotencyKey": f"return-{ncr['number']}"}
    planned = (await done(graphql, "planDisposition", returned, NCR))["nonConformance"]
    again = (await done(graphql, "planDisposition", returned, NCR))["nonConformance"]
    [disposition] = again["dispositions"]
    assert disposition["dispositionId"] == planned["dispositions"][0]["dispositionId"]
    assert (disposition["kind"], disposition["quantity"], disposition["plannedBy"]) == (
        "RETURN_TO_SUPPLIER",
        "10",
        "sam",
    )

    async def carried_out() -> bool:
        [found] = await ncrs(graphql)
        return bool(found["dispositions"][0]["state"] == "CARRIED_OUT")

    await eventually(carried_out, "stock issues the 10 to the supplier")
    [found] = await ncrs(graphql)
    [disposition] = found["dispositions"]
    assert (found["carriedOut"], found["unplanned"], disposition["requested"]) == ("10", "0", True)
    assert await stock_of_frame(graphql) == {"available": "90", "qcHold": "0", "rejected": "0"}
    movement = await graphql(
        "query M($id: ID!) { node(id: $id) { ... on Movement { type quantity document { type number line } } } }",
        {"id": disposition["movementId"]},
    )
    assert movement["data"]["node"] == {
        "type": "ISSUE",
        "quantity": "10",
        "document": {"type": "NCR", "number": ncr["number"], "line": disposition["dispositionId"]},
    }

    closed = (await done(graphql, "closeNonConformance", {"nonConformanceId": ncr["id"]}, NCR))["nonConformance"]
    assert (closed["state"], closed["closedBy"]) == ("CLOSED", "sam")
    fetched = await graphql(
        "query N($id: ID!) { node(id: $id) { ... on NonConformance { state } } nonConformance(id: $id) { state } }",
        {"id": ncr["id"]},
        as_=PICKER,
    )
    assert fetched["data"] == {"node": {"state": "CLOSED"}, "nonConformance": {"state": "CLOSED"}}

    month = dt.datetime.now(dt.UTC).strftime("%Y-%m")
    figures = await graphql(
        """query F($month: String!) { qualityFigures(dimension: SUPPLIER, fromMonth: $month, toMonth: $month) {
          key month inspectionLotIds lotsInspected lotsAccepted unitsInspected unitsRejected defectPpm
          topDefects { code count } rejectCosts { inspectionLotId rejected standardCost cost } rejectCost
          openedNonConformanceIds closedNonConformanceIds } }""",
        {"month": month},
        as_=PICKER,
    )
    [row] = figures["data"]["qualityFigures"]
    assert (row["key"], row["month"], row["inspectionLotIds"]) == ("ACME", month, [lot["id"]])
    assert (row["lotsInspected"], row["lotsAccepted"], row["unitsInspected"], row["unitsRejected"]) == (
        1,
        0,
        "100",
        "10",
    )
    assert row["defectPpm"] == "100000"
    assert row["rejectCosts"] == [
        {"inspectionLotId": lot["id"], "rejected": "10", "standardCost": "12.5", "cost": "125"}
    ]
    assert row["rejectCost"] == "125"
    assert (row["openedNonConformanceIds"], row["closedNonConformanceIds"]) == ([ncr["id"]], [ncr["id"]])


async def test_use_as_is_is_refused_to_the_manager_who_asked_and_approved_by_another(
    graphql: GraphQL, stock: Service
) -> None:
    _, ncr = await rejected_ten(graphql, stock)
    use = {"nonConformanceId": ncr["id"], "kind": "USE_AS_IS", "quantity": "10"}
    first = (await done(graphql, "planDisposition", use, NCR, as_=MANAGER))["nonConformance"]["dispositions"][0]
    assert (first["state"], first["requested"]) == ("PLANNED", False)
    withdrawn = (
        await done(
            graphql,
            "withdrawDisposition",
            {"nonConformanceId": ncr["id"], "dispositionId": first["dispositionId"]},
            NCR,
        )
    )["nonConformance"]
    assert (withdrawn["dispositions"][0]["state"], withdrawn["unplanned"]) == ("WITHDRAWN", "10")

    asked = (await done(graphql, "planDisposition", use, NCR, as_=MANAGER))["nonConformance"]["dispositions"][1]
    approval = {"nonConformanceId": ncr["id"], "dispositionId": asked["dispositionId"]}
    assert refused(await answer(graphql, "approveUseAsIs", approval, NCR, as_=MANAGER)) == [
        ("approvedBy", "PERMISSION_DENIED")
    ]
    assert refused(await answer(graphql, "approveUseAsIs", approval, NCR)) == [(None, "PERMISSION_DENIED")]
    approved = (await done(graphql, "approveUseAsIs", approval, NCR, as_=OTHER_MANAGER))["nonConformance"]
    assert approved["dispositions"][1]["approvedBy"] == "max"

    async def used() -> bool:
        return await stock_of_frame(graphql) == {"available": "100", "qcHold": "0", "rejected": "0"}

    await eventually(used, "stock makes the 10 AVAILABLE where they are")

    async def accounted() -> bool:
        return [found["carriedOut"] for found in await ncrs(graphql)] == ["10"]

    await eventually(accounted, "the NCR learns of stock's movement")
    closed = await done(graphql, "closeNonConformance", {"nonConformanceId": ncr["id"]}, NCR, as_=MANAGER)
    assert closed["nonConformance"]["state"] == "CLOSED"


def lot_on_shelf(lot: str) -> spb.StockPlace:
    return spb.StockPlace(warehouse="WH1", location="A-01", lot=lot, status=spb.STOCK_STATUS_AVAILABLE)


async def moved(
    stock: Service, kind: int, sku: str, lot: str, quantity: str, document: spb.DocumentRef
) -> spb.Movement:
    """A receipt into, or an issue from, a lot on A-01 by `document`."""
    request = spb.PostMovementRequest(
        idempotency_key=str(uuid.uuid4()), type=kind, item_sku=sku, quantity=d(quantity), document=document
    )
    if kind == spb.MOVEMENT_TYPE_RECEIPT:
        request.to.CopyFrom(lot_on_shelf(lot))
    else:
        getattr(request, "from").CopyFrom(lot_on_shelf(lot))
    return await post(stock, request)


async def shipped(stock: Service, events: EventBus, number: str, customer: str, lot: str, quantity: str) -> None:
    """Stock's issue of a FIN lot for a sales order, then orders' shipment.posted of the real contract."""
    issue = await moved(
        stock, spb.MOVEMENT_TYPE_ISSUE, "FIN", lot, quantity, spb.DocumentRef(type="SALES_ORDER", id=number, line="1")
    )
    envelope = envelope_pb2.Envelope(
        id=str(uuid.uuid4()), type="inventory.orders.shipment.posted", producer="orders", actor="pia"
    )
    envelope.occurred_at.CopyFrom(timestamp_message(utcnow()))
    line = order_events.ShippedLineFact(line=1, item_sku="FIN", warehouse="WH1", lot=lot, quantity=d(quantity))
    fact = order_events.ShipmentPosted(
        order_id=str(uuid.uuid4()),
        number=number,
        customer=customer,
        shipment=1,
        lines=[line],
        movement_ids=[issue.id],
        complete=True,
    )
    envelope.payload.Pack(fact)
    client = await nats.connect(events.url)
    try:
        await client.jetstream().publish(
            events.subject(envelope.type), envelope.SerializeToString(), headers={"Nats-Msg-Id": envelope.id}
        )
    finally:
        await client.close()


RECALL = """query R($start: TraceStartInput!) { recall(start: $start) {
  customers lines { customer itemSku lot quantity salesOrders } hold { itemSku lot level } } }"""
TRACE = """lots { itemSku lot level } workOrders uses { workOrder itemSku lot quantity }
  receipts { supplier supplierLot itemSku lot purchaseOrder line quantity }
  shipments { itemSku lot salesOrder customer quantity } suppliers"""


async def test_a_supplier_lot_is_traced_to_two_customers_recalled_and_its_unshipped_units_held(
    graphql: GraphQL, catalog: Catalog, stock: Service, event_bus: EventBus
) -> None:
    """COMP lot C-1 (ACME's A-77): WO-1 consumes 50 of it (60 issued, 10 returned) into 30 of SUB S-1; WO-2
    consumes 20 of S-1 into 20 of FIN F-1; F-1 ships 8 to CUST-A and 5 to CUST-B."""
    for sku in ("COMP", "SUB", "FIN"):
        await catalog.create_item(sku, lot_tracked=True)
    receipt, issue = spb.MOVEMENT_TYPE_RECEIPT, spb.MOVEMENT_TYPE_ISSUE
    bought = spb.PostMovementRequest(
        idempotency_key=str(uuid.uuid4()),
        type=receipt,
        item_sku="COMP",
        quantity=d("100"),
        to=lot_on_shelf("C-1"),
        document=spb.DocumentRef(type="PURCHASE_ORDER", id="PO-1", line="1"),
        supplier="ACME",
        supplier_lot="A-77",
    )
    await post(stock, bought)
    wo1, wo2 = spb.DocumentRef(type="WORK_ORDER", id="WO-1"), spb.DocumentRef(type="WORK_ORDER", id="WO-2")
    await moved(stock, issue, "COMP", "C-1", "60", wo1)
    await moved(stock, receipt, "COMP", "C-1", "10", wo1)
    await moved(stock, receipt, "SUB", "S-1", "30", wo1)
    await moved(stock, issue, "SUB", "S-1", "20", wo2)
    await moved(stock, receipt, "FIN", "F-1", "20", wo2)
    await shipped(stock, event_bus, "SO-1", "CUST-A", "F-1", "8")
    await shipped(stock, event_bus, "SO-2", "CUST-B", "F-1", "5")
    start = {"supplierLot": {"itemSku": "comp", "supplier": "ACME", "supplierLot": "A-77"}}

    async def recorded() -> bool:
        found = await graphql(RECALL, {"start": start}, as_=PICKER)
        return "errors" not in found and len(found["data"]["recall"]["customers"]) == 2

    await eventually(recorded, "quality records the genealogy")
    recall = (await graphql(RECALL, {"start": start}, as_=PICKER))["data"]["recall"]
    assert recall["customers"] == ["CUST-A", "CUST-B"]
    assert recall["lines"] == [
        {"customer": "CUST-A", "itemSku": "FIN", "lot": "F-1", "quantity": "8", "salesOrders": ["SO-1"]},
        {"customer": "CUST-B", "itemSku": "FIN", "lot": "F-1", "quantity": "5", "salesOrders": ["SO-2"]},
    ]
    assert sorted((lot["itemSku"], lot["lot"]) for lot in recall["hold"]) == [
        ("COMP", "C-1"),
        ("FIN", "F-1"),
        ("SUB", "S-1"),
    ]

    forward = (
        await graphql(
            f"query F($start: TraceStartInput!) {{ traceForward(start: $start) {{ {TRACE} }} }}",
            {"start": {"stockLot": {"itemSku": "COMP", "lot": "C-1"}}},
            as_=INSPECTOR,
        )
    )["data"]["traceForward"]
    assert forward["lots"] == [
        {"itemSku": "COMP", "lot": "C-1", "level": 0},
        {"itemSku": "SUB", "lot": "S-1", "level": 1},
        {"itemSku": "FIN", "lot": "F-1", "level": 2},
    ]
    assert sorted((use["workOrder"], use["lot"], use["quantity"]) for use in forward["uses"]) == [
        ("WO-1", "C-1", "50"),
        ("WO-2", "S-1", "20"),
    ]
    assert sorted((s["customer"], s["salesOrder"], s["quantity"]) for s in forward["shipments"]) == [
        ("CUST-A", "SO-1", "8"),
        ("CUST-B", "SO-2", "5"),
    ]

    backward = (await graphql(f'{{ traceBackward(itemSku: "fin", lot: "F-1") {{ {TRACE} }} }}', as_=PICKER))["data"][
        "traceBackward"
    ]
    assert [(lot["itemSku"], lot["lot"], lot["level"]) for lot in backward["lots"]] == [
        ("SUB", "S-1", 1),
        ("COMP", "C-1", 2),
    ]
    assert (sorted(backward["workOrders"]), backward["suppliers"]) == (["WO-1", "WO-2"], ["ACME"])
    assert backward["receipts"] == [
        {
            "supplier": "ACME",
            "supplierLot": "A-77",
            "itemSku": "COMP",
            "lot": "C-1",
            "purchaseOrder": "PO-1",
            "line": "1",
            "quantity": "100",
        }
    ]
    unknown = await graphql('{ traceBackward(itemSku: "FIN", lot: "F-9") { suppliers } }', as_=PICKER)
    assert [(e["extensions"]["field"], e["extensions"]["code"]) for e in unknown["errors"]] == [("lot", "NOT_FOUND")]

    hold = {"start": start, "reason": "ACME recall of A-77", "idempotencyKey": "recall-a-77"}
    selection = "inspectionLots { id itemSku quantity reason place { lot } }"
    assert refused(await answer(graphql, "holdRecalledLots", hold, selection, as_=PICKER)) == [
        (None, "PERMISSION_DENIED")
    ]
    held = (await done(graphql, "holdRecalledLots", hold, selection))["inspectionLots"]
    assert sorted((lot["itemSku"], lot["place"]["lot"], lot["quantity"], lot["reason"]) for lot in held) == [
        ("COMP", "C-1", "50", "ACME recall of A-77"),
        ("FIN", "F-1", "7", "ACME recall of A-77"),
        ("SUB", "S-1", "10", "ACME recall of A-77"),
    ]
    again = (await done(graphql, "holdRecalledLots", hold, selection))["inspectionLots"]
    assert sorted(lot["id"] for lot in again) == sorted(lot["id"] for lot in held)

    async def on_hold() -> bool:
        found = await graphql(
            '{ a: availability(itemSku: "COMP", warehouse: "WH1") { available qcHold } '
            'b: availability(itemSku: "SUB", warehouse: "WH1") { available qcHold } '
            'c: availability(itemSku: "FIN", warehouse: "WH1") { available qcHold } }'
        )
        return bool(
            found["data"]
            == {
                "a": {"available": "0", "qcHold": "50"},
                "b": {"available": "0", "qcHold": "10"},
                "c": {"available": "0", "qcHold": "7"},
            }
        )

    await eventually(on_hold, "stock holds every unshipped unit, and nothing shipped")
