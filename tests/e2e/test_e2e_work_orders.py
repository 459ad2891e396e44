"""Work orders through the gateway over HTTP: a two-level order released against its BOM, its
short sub-assembly made by the child order release suggested, components issued by scan, an
over-issue of 10 % held for a supervisor other than its requester, completion into QC_HOLD,
and the close's material variance checked by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from e2e_support import USER_ERRORS, GraphQL, code, run, token

pytestmark = pytest.mark.asyncio(loop_scope="module")

PLANNER = token("e2e-planner", "planner")
OPERATOR = token("e2e-wo-operator", "operator")
SHIFT_LEAD = token("e2e-shift-lead", "supervisor")
PLANT_SUPERVISOR = token("e2e-plant-supervisor", "supervisor")
ORDER = """number state completed
components { itemSku required reserved shortfall hasBom issued returned overIssued }
suggestedWorkOrders { itemSku quantity warehouse }
overIssues { number componentSku quantity state requestedBy decidedBy }
variances { itemSku issued returned standard variance standardCost varianceValue }"""
ISSUE = f"""mutation Issue($input: IssueComponentsInput!) {{
  issueComponents(input: $input) {{ workOrder {{ number }} {USER_ERRORS} }} }}"""
APPROVE = f"""mutation Approve($input: ApproveOverIssueInput!) {{
  approveOverIssue(input: $input) {{ workOrder {{ {ORDER} }} {USER_ERRORS} }} }}"""
AVAILABILITY = """query Availability($sku: String!, $warehouse: String!) {
  availability(itemSku: $sku, warehouse: $warehouse) { available qcHold } }"""


async def item(graphql: GraphQL, name: str, **fields: Any) -> str:
    sku = code(f"{name}-")
    await run(graphql, "createItem", {"sku": sku, "name": name, "baseUnit": "PCS", **fields}, "item { sku }")
    return sku


async def bom(graphql: GraphQL, parent: str, *lines: dict[str, str]) -> None:
    """An active BOM for `parent` in effect from today, with these lines."""
    draft = {"parentSku": parent, "effectiveFrom": date.today().isoformat()}
    bom_id = (await run(graphql, "createBomVersion", draft, "bomVersion { id }"))["bomVersion"]["id"]
    for line in lines:
        await run(graphql, "addBomLine", {"bomId": bom_id, **line}, "bomVersion { id }")
    await run(graphql, "activateBomVersion", {"bomId": bom_id}, "bomVersion { id }")


async def made(graphql: GraphQL, sku: str, quantity: str, at: str) -> dict[str, Any]:
    """A work order for `quantity` of `sku` at `at`, entered and released by the planner."""
    entered = {"itemSku": sku, "quantity": quantity, "warehouse": at}
    number = (await run(graphql, "createWorkOrder", entered, "workOrder { number }", PLANNER))["workOrder"]["number"]
    released: dict[str, Any] = (
        await run(graphql, "releaseWorkOrder", {"number": number}, f"workOrder {{ {ORDER} }}", PLANNER)
    )["workOrder"]
    return released


def line(component: str, quantity: str, **fields: str) -> dict[str, Any]:
    return {"component": {"sku": component}, "quantity": quantity, "location": "A-01", **fields}


async def work_order(graphql: GraphQL, number: str) -> dict[str, Any]:
    found: dict[str, Any] = (
        await graphql(f"query W($number: String!) {{ workOrder(number: $number) {{ {ORDER} }} }}", {"number": number})
    )["data"]["workOrder"]
    return found


async def test_a_two_level_work_order_issued_over_by_ten_percent_on_approval_is_closed_with_its_variance(
    graphql: GraphQL,
) -> None:
    at = code("W")
    await run(graphql, "createWarehouse", {"code": at, "name": "Plant"}, "warehouse { code }")
    await run(graphql, "createLocation", {"warehouse": at, "code": "A-01"}, "location { code }")
    bolt_barcode = code("EAN")
    frame = await item(graphql, "FRAME", inspectOnProduction=True)
    sub = await item(graphql, "SUB", standardCost="12.00")
    part = await item(graphql, "PART", standardCost="2.50")
    bolt = await item(graphql, "BOLT", standardCost="0.10", barcodes=[{"code": bolt_barcode}])
    await bom(graphql, sub, {"componentSku": part, "quantity": "2"})
    await bom(
        graphql,
        frame,
        {"componentSku": sub, "quantity": "1"},
        {"componentSku": bolt, "quantity": "4", "scrapPercent": "5"},
    )
    for sku, quantity in ((sub, "6"), (part, "20"), (bolt, "100")):
        receipt = {"itemSku": sku, "quantity": quantity, "warehouse": at, "location": "A-01"}
        await run(graphql, "receive", receipt, "movement { id }", OPERATOR)

    # 10 frames need 10 sub-assemblies (6 in stock) and 10 times 4 bolts with 5 % scrap.
    order = await made(graphql, frame, "10", at)
    assert order["state"] == "RELEASED"
    components = {c["itemSku"]: c for c in order["components"]}
    assert {
        sku: (Decimal(c["required"]), Decimal(c["reserved"]), Decimal(c["shortfall"])) for sku, c in components.items()
    } == {
        sub: (Decimal(10), Decimal(6), Decimal(4)),
        bolt: (Decimal(42), Decimal(42), Decimal(0)),
    }
    assert (components[sub]["hasBom"], components[bolt]["hasBom"]) == (True, False)
    [child] = order["suggestedWorkOrders"]
    assert (child["itemSku"], Decimal(child["quantity"]), child["warehouse"]) == (sub, Decimal(4), at)

    # The second level: the suggested child order makes the 4 sub-assemblies missing.
    sub_order = await made(graphql, sub, child["quantity"], at)
    await run(
        graphql,
        "issueComponents",
        {"number": sub_order["number"], "lines": [line(part, "8")]},
        "workOrder { number }",
        OPERATOR,
    )
    completion = {"number": sub_order["number"], "quantity": "4", "location": "A-01"}
    assert (await run(graphql, "completeWorkOrder", completion, "workOrder { state }", PLANNER))["workOrder"][
        "state"
    ] == "COMPLETED"
    closed_child = await run(
        graphql, "closeWorkOrder", {"number": sub_order["number"]}, f"workOrder {{ {ORDER} }}", PLANNER
    )
    [part_variance] = closed_child["workOrder"]["variances"]
    assert (Decimal(part_variance["variance"]), Decimal(part_variance["varianceValue"])) == (Decimal(0), Decimal(0))

    number = order["number"]
    unknown = {"component": {"barcode": code("NOSUCH")}, "quantity": "1", "location": "A-01"}
    refused = (await graphql(ISSUE, {"input": {"number": number, "lines": [unknown]}}, as_=OPERATOR))["data"]
    assert [(e["field"], e["code"]) for e in refused["issueComponents"]["userErrors"]] == [
        ("lines[0].component.barcode", "NOT_FOUND")
    ]
    bolts_by_scan = {"component": {"barcode": bolt_barcode}, "quantity": "42", "location": "A-01"}
    await run(
        graphql,
        "issueComponents",
        {"number": number, "lines": [line(sub, "10"), bolts_by_scan]},
        "workOrder { number }",
        OPERATOR,
    )

    # 10 % over the requirement of 42: refused until a supervisor approves it.
    over = {"number": number, "lines": [line(bolt, "4.2")]}
    refused = (await graphql(ISSUE, {"input": over}, as_=OPERATOR))["data"]["issueComponents"]
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [("lines[0].quantity", "OUT_OF_RANGE")]
    request = {"number": number, "componentSku": bolt, "quantity": "4.2", "reason": "Threads stripped on the press"}
    asked = await run(graphql, "requestOverIssue", request, f"workOrder {{ {ORDER} }}", SHIFT_LEAD)
    [pending] = asked["workOrder"]["overIssues"]
    assert (pending["state"], pending["requestedBy"], pending["decidedBy"]) == ("PENDING", "e2e-shift-lead", None)
    waiting = (await graphql(ISSUE, {"input": over}, as_=OPERATOR))["data"]["issueComponents"]
    assert [e["code"] for e in waiting["userErrors"]] == ["OUT_OF_RANGE"]

    decision = {"input": {"number": number, "request": pending["number"], "reason": "Press fault logged"}}
    own = (await graphql(APPROVE, decision, as_=SHIFT_LEAD))["data"]["approveOverIssue"]
    assert own["workOrder"] is None
    assert [(e["field"], e["code"]) for e in own["userErrors"]] == [("request", "PERMISSION_DENIED")]
    approved = (await graphql(APPROVE, decision, as_=PLANT_SUPERVISOR))["data"]["approveOverIssue"]
    assert approved["userErrors"] == []
    [decided] = approved["workOrder"]["overIssues"]
    assert (decided["state"], decided["decidedBy"]) == ("APPROVED", "e2e-plant-supervisor")

    await run(graphql, "issueComponents", over, "workOrder { number }", OPERATOR)
    await run(
        graphql, "returnComponents", {"number": number, "lines": [line(bolt, "1.2")]}, "workOrder { number }", OPERATOR
    )
    issued = await work_order(graphql, number)
    assert [r["state"] for r in issued["overIssues"]] == ["USED"]
    bolts = next(c for c in issued["components"] if c["itemSku"] == bolt)
    assert (Decimal(bolts["issued"]), Decimal(bolts["returned"]), Decimal(bolts["overIssued"])) == (
        Decimal("46.2"),
        Decimal("1.2"),
        Decimal("4.2"),
    )

    completion = {"number": number, "quantity": "10", "location": "A-01"}
    completed = await run(graphql, "completeWorkOrder", completion, "workOrder { state completed }", PLANNER)
    assert (completed["workOrder"]["state"], Decimal(completed["workOrder"]["completed"])) == ("COMPLETED", Decimal(10))
    on_hold = (await graphql(AVAILABILITY, {"sku": frame, "warehouse": at}))["data"]["availability"]
    assert (Decimal(on_hold["qcHold"]), Decimal(on_hold["available"])) == (Decimal(10), Decimal(0))

    closed = (await run(graphql, "closeWorkOrder", {"number": number}, f"workOrder {{ id {ORDER} }}", PLANNER))[
        "workOrder"
    ]
    refetched = await graphql(
        "query N($id: ID!) { node(id: $id) { ... on WorkOrder { number state } } }", {"id": closed["id"]}
    )
    assert refetched["data"]["node"] == {"number": number, "state": "CLOSED"}
    listed = await graphql("{ workOrders(state: CLOSED, last: 100) { edges { node { number } } } }")
    assert {number, sub_order["number"]} <= {edge["node"]["number"] for edge in listed["data"]["workOrders"]["edges"]}
    assert closed["state"] == "CLOSED"
    variances = {v["itemSku"]: v for v in closed["variances"]}
    figures = ("issued", "returned", "standard", "variance", "varianceValue")
    # Bolts: 46.2 issued - 1.2 returned - 42 standard for 10 frames = 3 over, at 0.10 each = 0.30.
    assert tuple(Decimal(variances[bolt][name]) for name in figures) == (
        Decimal("46.2"),
        Decimal("1.2"),
        Decimal(42),
        Decimal(3),
        Decimal("0.30"),
    )
    # Sub-assemblies: 10 issued for 10 made, none over, so nothing of value either.
    assert tuple(Decimal(variances[sub][name]) for name in figures) == (
        Decimal(10),
        Decimal(0),
        Decimal(10),
        Decimal(0),
        Decimal(0),
    )


async def test_an_operator_neither_releases_nor_sets_tolerances_nor_approves_and_a_planner_does_not_approve(
    graphql: GraphQL,
) -> None:
    sku = await item(graphql, "KIT")
    at = code("W")
    await run(graphql, "createWarehouse", {"code": at, "name": "Plant"}, "warehouse { code }")
    entered = {"itemSku": sku, "quantity": "1", "warehouse": at}
    number = (await run(graphql, "createWorkOrder", entered, "workOrder { number }", PLANNER))["workOrder"]["number"]
    release = f"""mutation Release($input: ReleaseWorkOrderInput!) {{
      releaseWorkOrder(input: $input) {{ workOrder {{ state }} {USER_ERRORS} }} }}"""
    refused = (await graphql(release, {"input": {"number": number}}, as_=OPERATOR))["data"]["releaseWorkOrder"]
    assert [e["code"] for e in refused["userErrors"]] == ["PERMISSION_DENIED"]
    decision = {"input": {"number": number, "request": "OI-000001"}}
    for who in (OPERATOR, PLANNER):
        refused = (await graphql(APPROVE, decision, as_=who))["data"]["approveOverIssue"]
        assert [e["code"] for e in refused["userErrors"]] == ["PERMISSION_DENIED"]
    assert (await work_order(graphql, number))["state"] == "DRAFT"
    tolerance = {"itemSku": sku, "percent": "2.5"}
    kept = await run(graphql, "setIssueTolerance", tolerance, "issueTolerance { itemSku percent }", PLANNER)
    assert kept["issueTolerance"] == {"itemSku": sku, "percent": "2.5"}
    set_tolerance = f"""mutation Tolerance($input: SetIssueToleranceInput!) {{
      setIssueTolerance(input: $input) {{ issueTolerance {{ percent }} {USER_ERRORS} }} }}"""
    refused = (await graphql(set_tolerance, {"input": tolerance}, as_=OPERATOR))["data"]["setIssueTolerance"]
    assert [e["code"] for e in refused["userErrors"]] == ["PERMISSION_DENIED"]
