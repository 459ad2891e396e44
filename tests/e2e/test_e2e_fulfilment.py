"""Sales order fulfilment through the gateway over HTTP: a backorder filled by the next receipt,
a picker's scan refused for the wrong barcode, and a short pick that leaves its place out of the
pick list while the order ships in part, and has counting plan a spot count of that place."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from invariant_core.testing import eventually

from e2e_support import USER_ERRORS, GraphQL, code, run, token

pytestmark = pytest.mark.asyncio(loop_scope="module")

DESK = token("e2e-fulfilment-desk", "sales")
PICKER = token("e2e-picker", "picker")
OPERATOR = token("e2e-fulfilment-operator", "operator")
SUPERVISOR = token("e2e-fulfilment-supervisor", "supervisor")
COUNTER = token("e2e-counter", "operator")
LINES = "lines { reserved backordered picked shipped }"
PICK = f"""mutation Pick($input: PickLineInput!) {{
  pickLine(input: $input) {{ salesOrder {{ state {LINES} }} {USER_ERRORS} }} }}"""
PICK_LIST = """query PickList($number: String!) {
  pickList(number: $number) { number entries { line itemSku location lot quantity unit } } }"""
ORDER = f"""query Order($number: String!) {{ salesOrder(number: $number) {{ state {LINES} }} }}"""
AVAILABILITY = """query Availability($sku: String!, $warehouse: String!) {
  availability(itemSku: $sku, warehouse: $warehouse) { available qcHold reserved } }"""


async def item(graphql: GraphQL, barcode: str | None = None) -> str:
    """A new item, in PCS, with `barcode` when one is given: its SKU."""
    sku = code("FUL-")
    barcodes = [{"code": barcode}] if barcode else []
    await run(
        graphql, "createItem", {"sku": sku, "name": "Shipped", "baseUnit": "PCS", "barcodes": barcodes}, "item { sku }"
    )
    return sku


async def warehouse(graphql: GraphQL, *locations: str) -> str:
    """A new warehouse with these locations: its code."""
    found = code("W")
    await run(graphql, "createWarehouse", {"code": found, "name": "Dispatch"}, "warehouse { code }")
    for location in locations:
        await run(graphql, "createLocation", {"warehouse": found, "code": location}, "location { code }")
    return found


async def receive(graphql: GraphQL, sku: str, at: str, location: str, quantity: str) -> None:
    receipt = {"itemSku": sku, "quantity": quantity, "warehouse": at, "location": location}
    await run(graphql, "receive", receipt, "movement { id }", OPERATOR)


async def counted(graphql: GraphQL, sku: str, at: str) -> None:
    """`sku` counted in warehouse `at`, every shelf found as the book says, and the count posted."""
    count = {"warehouse": at, "kind": "SPOT", "blind": False, "itemSkus": [sku], "counters": ["e2e-counter"]}
    count_id = (await run(graphql, "createCount", count, "count { id }", SUPERVISOR))["count"]["id"]
    await run(graphql, "openCount", {"countId": count_id}, "count { id }", SUPERVISOR)
    query = "query Lines($id: ID!) { countLines(countId: $id) { edges { node { id bookAtOpen } } } }"
    for edge in (await graphql(query, {"id": count_id}, as_=SUPERVISOR))["data"]["countLines"]["edges"]:
        line = edge["node"]
        entry = {"countId": count_id, "entryId": code("e-"), "target": {"lineId": line["id"]}}
        await run(graphql, "submitEntry", entry | {"quantity": line["bookAtOpen"]}, "entry { round }", COUNTER)
    await run(graphql, "finishRound", {"countId": count_id}, "count { state }", SUPERVISOR)
    await run(graphql, "submitForApproval", {"countId": count_id}, "count { state }", SUPERVISOR)

    async def posted() -> bool:
        state = "query C($id: ID!) { count(id: $id) { state } }"
        return bool((await graphql(state, {"id": count_id}, as_=SUPERVISOR))["data"]["count"]["state"] == "POSTED")

    await eventually(posted, "the count posted", within=60)


async def confirmed(graphql: GraphQL, sku: str, at: str, quantity: str, policy: str = "ALL_OR_NOTHING") -> str:
    """A new customer's order for `quantity` of `sku`, confirmed by the sales desk: its number."""
    customer = code("C")
    await run(graphql, "createCustomer", {"code": customer, "name": "Trade customer"}, "customer { code }", DESK)
    order = {
        "customer": customer,
        "policy": policy,
        "lines": [{"item": {"sku": sku}, "quantity": quantity, "warehouse": at}],
    }
    number: str = (await run(graphql, "createSalesOrder", order, "salesOrder { number }", DESK))["salesOrder"]["number"]
    await run(graphql, "confirmSalesOrder", {"number": number}, "salesOrder { state }", DESK)
    return number


async def line(graphql: GraphQL, number: str) -> dict[str, Decimal]:
    [found] = (await graphql(ORDER, {"number": number}, as_=DESK))["data"]["salesOrder"]["lines"]
    return {name: Decimal(value) for name, value in found.items()}


async def pick_list(graphql: GraphQL, number: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = (await graphql(PICK_LIST, {"number": number}, as_=PICKER))["data"]["pickList"][
        "entries"
    ]
    return entries


async def stock(graphql: GraphQL, sku: str, at: str) -> dict[str, Decimal]:
    found = (await graphql(AVAILABILITY, {"sku": sku, "warehouse": at}))["data"]["availability"]
    return {name: Decimal(value) for name, value in found.items()}


async def test_a_partial_orders_backorder_is_filled_by_the_next_receipt(graphql: GraphQL) -> None:
    sku, at = await item(graphql), await warehouse(graphql, "A-01")
    await receive(graphql, sku, at, "A-01", "4")
    number = await confirmed(graphql, sku, at, "10", "PARTIAL")
    assert await line(graphql, number) == {
        "reserved": Decimal(4),
        "backordered": Decimal(6),
        "picked": Decimal(0),
        "shipped": Decimal(0),
    }

    await receive(graphql, sku, at, "A-01", "6")

    async def filled() -> bool:
        found = await line(graphql, number)
        return (found["reserved"], found["backordered"]) == (Decimal(10), Decimal(0))

    await eventually(filled, "the backorder reserved from the receipt")
    assert await stock(graphql, sku, at) == {"available": Decimal(10), "qcHold": Decimal(0), "reserved": Decimal(10)}


async def test_a_pick_with_another_items_barcode_is_refused_naming_the_barcode_and_the_right_scan_ships_it(
    graphql: GraphQL,
) -> None:
    barcode = code("EAN")
    sku, other = await item(graphql, barcode), await item(graphql, code("EAN"))
    [other_barcode] = [
        b["code"]
        for b in (await graphql("query I($sku: String!) { item(sku: $sku) { barcodes { code } } }", {"sku": other}))[
            "data"
        ]["item"]["barcodes"]
    ]
    at = await warehouse(graphql, "A-01")
    await receive(graphql, sku, at, "A-01", "5")
    number = await confirmed(graphql, sku, at, "5")
    assert await pick_list(graphql, number) == [
        {"line": 1, "itemSku": sku, "location": "A-01", "lot": None, "quantity": "5", "unit": "PCS"}
    ]
    scan = {"number": number, "line": 1, "location": "A-01", "quantity": "5"}

    refused = (await graphql(PICK, {"input": {**scan, "barcode": other_barcode}}, as_=PICKER))["data"]["pickLine"]
    assert refused["salesOrder"] is None
    [error] = refused["userErrors"]
    assert (error["field"], error["code"]) == ("barcode", "INVALID_STATE")
    assert sku in error["message"]
    assert await line(graphql, number) == {
        "reserved": Decimal(5),
        "backordered": Decimal(0),
        "picked": Decimal(0),
        "shipped": Decimal(0),
    }

    picked = await run(graphql, "pickLine", {**scan, "barcode": barcode}, f"salesOrder {{ state {LINES} }}", PICKER)
    assert picked["salesOrder"]["state"] == "PICKING"
    assert Decimal(picked["salesOrder"]["lines"][0]["picked"]) == 5
    shipped = await run(graphql, "shipSalesOrder", {"number": number}, f"salesOrder {{ state {LINES} }}", PICKER)
    assert shipped["salesOrder"]["state"] == "SHIPPED"
    assert Decimal(shipped["salesOrder"]["lines"][0]["shipped"]) == 5
    assert await stock(graphql, sku, at) == {"available": Decimal(0), "qcHold": Decimal(0), "reserved": Decimal(0)}

    rma = {"number": number, "line": 1, "quantity": "2", "location": "A-01", "reason": "Dented on arrival"}
    returned = await run(graphql, "createReturn", rma, "customerReturn { id number orderNumber quantity }", DESK)
    assert returned["customerReturn"]["orderNumber"] == number
    assert returned["customerReturn"]["number"].startswith("RMA-")

    async def on_hold() -> bool:
        return await stock(graphql, sku, at) == {"available": Decimal(0), "qcHold": Decimal(2), "reserved": Decimal(0)}

    await eventually(on_hold, "the returned goods in QC_HOLD, none of them available")
    # The desk finds the return again: by its order, and by its id; with stock's movement once posted.
    selection = "number quantity reason movementId"
    returns = f"""query Returns($order: String!) {{
      customerReturns(salesOrder: $order, first: 5) {{ edges {{ node {{ {selection} }} }} }} }}"""
    found: dict[str, Any] = {}

    async def posted() -> bool:
        nonlocal found
        listed = (await graphql(returns, {"order": number}, as_=DESK))["data"]["customerReturns"]["edges"]
        [found] = [edge["node"] for edge in listed]
        return found["movementId"] is not None

    await eventually(posted, "the return shows stock's movement")
    assert (found["number"], found["quantity"], found["reason"]) == (
        returned["customerReturn"]["number"],
        "2",
        "Dented on arrival",
    )
    node = "query Node($id: ID!) { node(id: $id) { ... on CustomerReturn { number } } }"
    again = (await graphql(node, {"id": returned["customerReturn"]["id"]}, as_=DESK))["data"]["node"]
    assert again == {"number": found["number"]}
    closed = await run(graphql, "closeSalesOrder", {"number": number}, "salesOrder { state lines { returned } }", DESK)
    assert closed["salesOrder"] == {"state": "CLOSED", "lines": [{"returned": "2"}]}


async def test_a_short_pick_leaves_its_place_out_of_the_pick_list_ships_in_part_and_has_the_place_counted(
    graphql: GraphQL,
) -> None:
    barcode = code("EAN")
    sku, at = await item(graphql, barcode), await warehouse(graphql, "A-01", "A-02")
    await receive(graphql, sku, at, "A-01", "3")
    await receive(graphql, sku, at, "A-02", "5")
    await counted(graphql, sku, at)
    number = await confirmed(graphql, sku, at, "8")
    assert [(e["location"], e["quantity"]) for e in await pick_list(graphql, number)] == [("A-01", "3"), ("A-02", "5")]

    scan = {"number": number, "line": 1, "location": "A-01", "barcode": barcode, "quantity": "3"}
    await run(graphql, "pickLine", scan, "salesOrder { state }", PICKER)
    short = {"number": number, "line": 1, "location": "A-02", "found": "2"}
    shorted = await run(graphql, "shortPick", short, "salesOrder { picks { location quantity expected } }", PICKER)
    assert shorted["salesOrder"]["picks"] == [
        {"location": "A-01", "quantity": "3", "expected": None},
        {"location": "A-02", "quantity": "2", "expected": "5"},
    ]
    assert await pick_list(graphql, number) == []

    shipped = await run(graphql, "shipSalesOrder", {"number": number}, f"salesOrder {{ state {LINES} }}", PICKER)
    assert shipped["salesOrder"]["state"] == "PARTLY_SHIPPED"
    [shipped_line] = shipped["salesOrder"]["lines"]
    assert (Decimal(shipped_line["shipped"]), Decimal(shipped_line["picked"])) == (Decimal(5), Decimal(0))
    assert (await stock(graphql, sku, at))["available"] == 3

    # The failed pick reaches counting as an event: once it has, planning makes a blind spot
    # count of the place the picker found short, and of that item alone (counted at all its
    # places before, it is due for nothing else).
    selection = "counts { kind locations itemSkus blind state counters } due { itemSku triggers }"
    planned: dict[str, Any] = {}

    async def spot_count_planned() -> bool:
        nonlocal planned
        plan = {"warehouse": at, "counters": ["e2e-counter"]}
        planned = await run(graphql, "planCounts", plan, selection, SUPERVISOR)
        return bool(planned["counts"])

    await eventually(spot_count_planned, "counting plans a spot count where the pick failed", within=60)
    assert planned["due"] == [{"itemSku": sku, "triggers": ["FAILED_PICK"]}]
    assert planned["counts"] == [
        {
            "kind": "SPOT",
            "locations": ["A-02"],
            "itemSkus": [sku],
            "blind": True,
            "state": "DRAFT",
            "counters": ["e2e-counter"],
        }
    ]


async def test_the_sales_desk_does_not_pick_and_a_picker_does_not_close(graphql: GraphQL) -> None:
    sku, at = await item(graphql, code("EAN")), await warehouse(graphql, "A-01")
    await receive(graphql, sku, at, "A-01", "1")
    number = await confirmed(graphql, sku, at, "1")
    scan = {"number": number, "line": 1, "location": "A-01", "barcode": "ANY", "quantity": "1"}
    refused = (await graphql(PICK, {"input": scan}, as_=DESK))["data"]["pickLine"]
    assert [error["code"] for error in refused["userErrors"]] == ["PERMISSION_DENIED"]
    close = f"""mutation Close($input: CloseSalesOrderInput!) {{
      closeSalesOrder(input: $input) {{ salesOrder {{ state }} {USER_ERRORS} }} }}"""
    refused = (await graphql(close, {"input": {"number": number}}, as_=PICKER))["data"]["closeSalesOrder"]
    assert [error["code"] for error in refused["userErrors"]] == ["PERMISSION_DENIED"]
    assert (await line(graphql, number))["picked"] == 0
    assert (await graphql(PICK_LIST, {"number": "SO-999999"}, as_=PICKER))["data"] == {"pickList": None}
