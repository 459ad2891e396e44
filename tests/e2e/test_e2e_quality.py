"""Quality through the gateway over HTTP: a receipt of 100 into QC_HOLD opens one inspection lot,
sampled as MIL-STD-105E says; an inspector's results and partial decision move 90 to AVAILABLE and
10 to REJECTED in quarantine; the NCR the decision opened returns the 10 to the supplier, and stock's
availability, balances and history and the closed NCR agree on every unit."""

from __future__ import annotations

from typing import Any

import pytest
from strawberry import relay

from invariant_core.testing import eventually

from e2e_support import GraphQL, code, run, token

pytestmark = pytest.mark.asyncio(loop_scope="module")

OPERATOR = token("e2e-operator", "operator")
INSPECTOR = token("e2e-inspector", "inspector")
LOTS = """query Lots($sku: String!) { inspectionLots(itemSku: $sku) { edges { node {
  id number state verdict quantity movementId planVersion document { type number line }
  sampling { codeLetter sampleSize accept reject } } } } }"""
PLACE = "location status"
STOCK = f"""query Stock($sku: String!, $warehouse: String!) {{
  availability(itemSku: $sku, warehouse: $warehouse) {{ available qcHold rejected availableToPromise }}
  balances(itemSku: $sku, warehouse: $warehouse) {{ edges {{ node {{ quantity place {{ {PLACE} }} }} }} }}
  movements(itemSku: $sku) {{ edges {{ node {{
    type quantity from {{ {PLACE} }} to {{ {PLACE} }} document {{ type number line }} actor }} }} }} }}"""
NCR = """nonConformance { id number state rejected unplanned carriedOut located place { location }
  dispositions { dispositionId kind quantity state movementId } }"""
NCRS = f"""query Ncrs($sku: String!) {{ nonConformances(itemSku: $sku) {{ edges {{ node {{
  {NCR.removeprefix("nonConformance {").removesuffix("}")} }} }} }} }}"""
FINISH = {"attribute": {"code": "FINISH", "name": "Surface finish", "defectCodes": ["SCRATCH", "RUST"]}}
DIAMETER = {
    "measured": {"code": "DIA", "name": "Diameter", "nominal": "8", "lower": "7.9", "upper": "8.05", "unit": "MM"}
}


async def setting_up(graphql: GraphQL) -> tuple[str, str]:
    """A new item inspected on receipt with a plan at AQL 2.5 in force, and a warehouse with a dock and a
    quarantine location."""
    sku, warehouse = code("QA-"), code("Q")
    await run(
        graphql,
        "createItem",
        {"sku": sku, "name": "Frame", "baseUnit": "PCS", "inspectOnReceipt": True},
        "item { sku }",
    )
    await run(graphql, "createWarehouse", {"code": warehouse, "name": "Inspected"}, "warehouse { code }")
    for location, kind in (("DOCK", "STORAGE"), ("QZ", "QUARANTINE")):
        place = {"warehouse": warehouse, "code": location, "kind": kind}
        await run(graphql, "createLocation", place, "location { code }")
    plan = {"itemSku": sku, "characteristics": [FINISH, DIAMETER], "sampling": {"aql": {"aql": "2.5", "level": "II"}}}
    drafted = await run(graphql, "draftInspectionPlan", plan, "inspectionPlan { id }")
    await run(
        graphql, "activateInspectionPlan", {"planId": drafted["inspectionPlan"]["id"]}, "inspectionPlan { state }"
    )
    return sku, warehouse


async def lots_of(graphql: GraphQL, sku: str) -> list[dict[str, Any]]:
    found = await graphql(LOTS, {"sku": sku}, as_=INSPECTOR)
    return [edge["node"] for edge in found["data"]["inspectionLots"]["edges"]]


async def ncrs_of(graphql: GraphQL, sku: str) -> list[dict[str, Any]]:
    found = await graphql(NCRS, {"sku": sku}, as_=INSPECTOR)
    return [edge["node"] for edge in found["data"]["nonConformances"]["edges"]]


async def test_a_receipt_of_100_on_hold_is_split_90_available_10_rejected_and_the_10_returned_to_the_supplier(
    graphql: GraphQL,
) -> None:
    sku, warehouse = await setting_up(graphql)
    receipt = {
        "itemSku": sku,
        "warehouse": warehouse,
        "location": "DOCK",
        "quantity": "100",
        "status": "QC_HOLD",
        "document": {"type": "PURCHASE_ORDER", "number": "PO-E2E", "line": "1"},
    }
    movement = (await run(graphql, "receive", receipt, "movement { id }", OPERATOR))["movement"]["id"]

    async def opened() -> bool:
        return bool(await lots_of(graphql, sku))

    await eventually(opened, "quality opens a lot for the receipt")
    [lot] = await lots_of(graphql, sku)
    assert (lot["state"], lot["verdict"], lot["quantity"], lot["movementId"]) == ("OPEN", "UNDECIDED", "100", movement)
    assert lot["sampling"] == {"codeLetter": "F", "sampleSize": 20, "accept": 1, "reject": 2}
    assert (lot["planVersion"], lot["document"]) == (1, {"type": "PURCHASE_ORDER", "number": "PO-E2E", "line": "1"})

    results = [
        result
        for sample in range(1, 21)
        for result in (
            {
                "sample": sample,
                "characteristic": "FINISH",
                "passed": sample > 1,
                "defectCode": None if sample > 1 else "RUST",
            },
            {"sample": sample, "characteristic": "DIA", "value": "8.01"},
        )
    ]
    recorded = await run(
        graphql,
        "recordInspectionResults",
        {"inspectionLotId": lot["id"], "results": results},
        "inspectionLot { inspectedSamples defectiveSamples verdict }",
        INSPECTOR,
    )
    assert recorded["inspectionLot"] == {"inspectedSamples": 20, "defectiveSamples": 1, "verdict": "ACCEPT"}
    decision = {"inspectionLotId": lot["id"], "outcome": "PARTIAL", "accepted": "90", "rejected": "10"}
    decided = await run(
        graphql,
        "decideInspectionLot",
        decision,
        "inspectionLot { state decision { outcome accepted rejected decidedBy planVersion } }",
        INSPECTOR,
    )
    assert decided["inspectionLot"] == {
        "state": "DECIDED",
        "decision": {
            "outcome": "PARTIAL",
            "accepted": "90",
            "rejected": "10",
            "decidedBy": "e2e-inspector",
            "planVersion": 1,
        },
    }

    async def stock() -> dict[str, Any]:
        answer: dict[str, Any] = (await graphql(STOCK, {"sku": sku, "warehouse": warehouse}, as_=OPERATOR))["data"]
        return answer

    async def moved() -> bool:
        return bool((await stock())["availability"]["rejected"] == "10")

    await eventually(moved, "stock moves the decided lot")
    found = await stock()
    assert found["availability"] == {"available": "90", "qcHold": "0", "rejected": "10", "availableToPromise": "90"}
    balances = {
        (edge["node"]["place"]["location"], edge["node"]["place"]["status"]): edge["node"]["quantity"]
        for edge in found["balances"]["edges"]
    }
    assert balances == {("DOCK", "QC_HOLD"): "0", ("DOCK", "AVAILABLE"): "90", ("QZ", "REJECTED"): "10"}

    history = [edge["node"] for edge in found["movements"]["edges"]]
    assert history[0] == {
        "type": "RECEIPT",
        "quantity": "100",
        "from": None,
        "to": {"location": "DOCK", "status": "QC_HOLD"},
        "document": {"type": "PURCHASE_ORDER", "number": "PO-E2E", "line": "1"},
        "actor": "e2e-operator",
    }
    number = relay.GlobalID.from_id(lot["id"]).node_id
    assert sorted(
        (m["type"], m["quantity"], m["from"]["status"], m["to"]["location"], m["to"]["status"]) for m in history[1:]
    ) == [
        ("STATUS_CHANGE", "10", "QC_HOLD", "QZ", "REJECTED"),
        ("STATUS_CHANGE", "90", "QC_HOLD", "DOCK", "AVAILABLE"),
    ]
    assert {(m["document"]["type"], m["document"]["number"], m["actor"]) for m in history[1:]} == {
        ("INSPECTION", number, "e2e-inspector")
    }
    assert lot["number"] == number
    assert len(await lots_of(graphql, sku)) == 1

    async def located() -> bool:
        return [ncr["located"] for ncr in await ncrs_of(graphql, sku)] == [True]

    await eventually(located, "the NCR learns where stock put the rejected 10")
    [ncr] = await ncrs_of(graphql, sku)
    assert (ncr["state"], ncr["rejected"], ncr["unplanned"], ncr["place"]) == ("OPEN", "10", "10", {"location": "QZ"})
    returned = {"nonConformanceId": ncr["id"], "kind": "RETURN_TO_SUPPLIER", "quantity": "10"}
    await run(graphql, "planDisposition", returned, NCR)

    async def carried_out() -> bool:
        [found] = await ncrs_of(graphql, sku)
        return [d["state"] for d in found["dispositions"]] == ["CARRIED_OUT"]

    await eventually(carried_out, "stock issues the 10 to the supplier")
    after = await stock()
    assert after["availability"] == {"available": "90", "qcHold": "0", "rejected": "0", "availableToPromise": "90"}
    balances = {
        (edge["node"]["place"]["location"], edge["node"]["place"]["status"]): edge["node"]["quantity"]
        for edge in after["balances"]["edges"]
    }
    assert balances == {("DOCK", "QC_HOLD"): "0", ("DOCK", "AVAILABLE"): "90", ("QZ", "REJECTED"): "0"}
    [disposition] = (await ncrs_of(graphql, sku))[0]["dispositions"]
    moves = [edge["node"] for edge in after["movements"]["edges"]]
    assert moves[:3] == history
    assert moves[3:] == [
        {
            "type": "ISSUE",
            "quantity": "10",
            "from": {"location": "QZ", "status": "REJECTED"},
            "to": None,
            "document": {"type": "NCR", "number": ncr["number"], "line": disposition["dispositionId"]},
            "actor": "e2e-supervisor",
        }
    ]

    closed = (await run(graphql, "closeNonConformance", {"nonConformanceId": ncr["id"]}, NCR))["nonConformance"]
    assert (closed["state"], closed["rejected"], closed["carriedOut"], closed["unplanned"]) == (
        "CLOSED",
        "10",
        "10",
        "0",
    )
    assert [(d["kind"], d["quantity"], d["state"]) for d in closed["dispositions"]] == [
        ("RETURN_TO_SUPPLIER", "10", "CARRIED_OUT")
    ]
    assert disposition["movementId"] is not None
