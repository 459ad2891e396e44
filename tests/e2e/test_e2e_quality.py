"""Quality through the gateway over HTTP: a receipt of 100 into QC_HOLD opens one inspection lot,
sampled as MIL-STD-105E says; an inspector's results and partial decision move 90 to AVAILABLE and
10 to REJECTED in quarantine; the NCR the decision opened returns the 10 to the supplier, and stock's
availability, balances and history and the closed NCR agree on every unit. Rejected goods reworked go
through a rework work order that orders makes, whose release takes them out of quarantine and whose
completion sends them to inspection again."""

from __future__ import annotations

from typing import Any

import pytest
from strawberry import relay

from invariant_core.testing import eventually

from e2e_support import GraphQL, code, run, token

pytestmark = pytest.mark.asyncio(loop_scope="module")

OPERATOR = token("e2e-operator", "operator")
INSPECTOR = token("e2e-inspector", "inspector")
PLANNER = token("e2e-planner", "planner")
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
  dispositions { dispositionId kind quantity state movementId workOrderId } }"""
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


async def received(graphql: GraphQL, sku: str, warehouse: str) -> str:
    """100 received into QC_HOLD at the dock: the movement's id, once quality opened its lot."""
    receipt = {
        "itemSku": sku,
        "warehouse": warehouse,
        "location": "DOCK",
        "quantity": "100",
        "status": "QC_HOLD",
        "document": {"type": "PURCHASE_ORDER", "number": "PO-E2E", "line": "1"},
    }
    movement: str = (await run(graphql, "receive", receipt, "movement { id }", OPERATOR))["movement"]["id"]

    async def opened() -> bool:
        return bool(await lots_of(graphql, sku))

    await eventually(opened, "quality opens a lot for the receipt")
    return movement


async def inspected_and_decided(graphql: GraphQL, lot_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The lot's 20 samples inspected (one rusty) and the lot decided 90 accepted, 10 rejected."""
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
        {"inspectionLotId": lot_id, "results": results},
        "inspectionLot { inspectedSamples defectiveSamples verdict }",
        INSPECTOR,
    )
    decision = {"inspectionLotId": lot_id, "outcome": "PARTIAL", "accepted": "90", "rejected": "10"}
    decided = await run(
        graphql,
        "decideInspectionLot",
        decision,
        "inspectionLot { state decision { outcome accepted rejected decidedBy planVersion } }",
        INSPECTOR,
    )
    return recorded, decided


async def located_ncr(graphql: GraphQL, sku: str) -> dict[str, Any]:
    async def located() -> bool:
        return [ncr["located"] for ncr in await ncrs_of(graphql, sku)] == [True]

    await eventually(located, "the NCR learns where stock put the rejected 10")
    [ncr] = await ncrs_of(graphql, sku)
    return ncr


async def test_a_receipt_of_100_on_hold_is_split_90_available_10_rejected_and_the_10_returned_to_the_supplier(
    graphql: GraphQL,
) -> None:
    sku, warehouse = await setting_up(graphql)
    movement = await received(graphql, sku, warehouse)
    [lot] = await lots_of(graphql, sku)
    assert (lot["state"], lot["verdict"], lot["quantity"], lot["movementId"]) == ("OPEN", "UNDECIDED", "100", movement)
    assert lot["sampling"] == {"codeLetter": "F", "sampleSize": 20, "accept": 1, "reject": 2}
    assert (lot["planVersion"], lot["document"]) == (1, {"type": "PURCHASE_ORDER", "number": "PO-E2E", "line": "1"})

    recorded, decided = await inspected_and_decided(graphql, lot["id"])
    assert recorded["inspectionLot"] == {"inspectedSamples": 20, "defectiveSamples": 1, "verdict": "ACCEPT"}
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

    ncr = await located_ncr(graphql, sku)
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


async def test_rejected_goods_are_reworked_by_a_work_order_that_takes_them_out_of_quarantine_and_back_to_inspection(
    graphql: GraphQL,
) -> None:
    sku, warehouse = await setting_up(graphql)
    await received(graphql, sku, warehouse)
    [lot] = await lots_of(graphql, sku)
    await inspected_and_decided(graphql, lot["id"])
    ncr = await located_ncr(graphql, sku)
    await run(graphql, "planDisposition", {"nonConformanceId": ncr["id"], "kind": "REWORK", "quantity": "10"}, NCR)

    async def ordered() -> bool:
        [found] = await ncrs_of(graphql, sku)
        return found["dispositions"][0]["workOrderId"] is not None

    await eventually(ordered, "orders makes the rework work order")
    [disposition] = (await ncrs_of(graphql, sku))[0]["dispositions"]
    assert (disposition["kind"], disposition["state"], disposition["movementId"]) == ("REWORK", "PLANNED", None)
    number = relay.GlobalID.from_id(disposition["workOrderId"]).node_id
    fields = """number kind state baseQuantity itemSku warehouse
      rework { document { type number line } location lot } components { itemSku required issued }"""
    found = await graphql(
        f"query W($number: String!) {{ workOrder(number: $number) {{ {fields} }} }}", {"number": number}
    )
    draft = found["data"]["workOrder"]
    assert (draft["kind"], draft["state"], draft["baseQuantity"], draft["itemSku"], draft["warehouse"]) == (
        "REWORK",
        "DRAFT",
        "10",
        sku,
        warehouse,
    )
    ncr_number = relay.GlobalID.from_id(ncr["id"]).node_id
    assert draft["rework"] == {
        "document": {"type": "NCR", "number": ncr_number, "line": disposition["dispositionId"]},
        "location": "QZ",
        "lot": "",
    }

    released = (await run(graphql, "releaseWorkOrder", {"number": number}, f"workOrder {{ {fields} }}", PLANNER))[
        "workOrder"
    ]
    assert (released["state"], released["components"]) == (
        "RELEASED",
        [{"itemSku": sku, "required": "10", "issued": "10"}],
    )

    async def carried_out() -> bool:
        [found] = await ncrs_of(graphql, sku)
        return [d["state"] for d in found["dispositions"]] == ["CARRIED_OUT"]

    await eventually(carried_out, "stock's issue to the rework order carries the rework out")
    stock = (await graphql(STOCK, {"sku": sku, "warehouse": warehouse}, as_=OPERATOR))["data"]
    assert stock["availability"] == {"available": "90", "qcHold": "0", "rejected": "0", "availableToPromise": "90"}
    issue = [edge["node"] for edge in stock["movements"]["edges"]][-1]
    assert issue == {
        "type": "ISSUE",
        "quantity": "10",
        "from": {"location": "QZ", "status": "REJECTED"},
        "to": None,
        "document": {"type": "WORK_ORDER", "number": number, "line": sku},
        "actor": "e2e-planner",
    }
    closed = (await run(graphql, "closeNonConformance", {"nonConformanceId": ncr["id"]}, NCR))["nonConformance"]
    assert (closed["state"], closed["carriedOut"]) == ("CLOSED", "10")
    assert closed["dispositions"][0]["workOrderId"] == disposition["workOrderId"]

    completion = {"number": number, "quantity": "10", "location": "DOCK"}
    completed = await run(graphql, "completeWorkOrder", completion, "workOrder { state completed }", PLANNER)
    assert completed["workOrder"] == {"state": "COMPLETED", "completed": "10"}

    async def inspected_again() -> bool:
        return len(await lots_of(graphql, sku)) == 2

    await eventually(inspected_again, "quality opens a lot for the reworked goods")
    again = next(found for found in await lots_of(graphql, sku) if found["id"] != lot["id"])
    assert (again["state"], again["quantity"], again["document"]) == (
        "OPEN",
        "10",
        {"type": "WORK_ORDER", "number": number, "line": sku},
    )
    held = (await graphql(STOCK, {"sku": sku, "warehouse": warehouse}, as_=OPERATOR))["data"]["availability"]
    assert held == {"available": "90", "qcHold": "10", "rejected": "0", "availableToPromise": "90"}
