from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest
from strawberry import relay

from invariant_core.testing import eventually
from stock.adapters.repository import SqlStockRepository
from stock.domain import StockKey

from support import Catalog, Service, StartGateway, bearer

GraphQL = Callable[..., Awaitable[dict[str, Any]]]
User = tuple[str, tuple[str, ...]]
BUYER: User = ("bob", ("buyer",))
OPERATOR: User = ("olga", ("operator",))
DESK: User = ("dana", ("sales",))
SETUP: User = ("sam", ("supervisor",))

ORDER = """purchaseOrder { id number supplier state
  lines { line itemSku quantity unit baseQuantity expectedDate unitPrice overReceiptTolerancePercent received }
  receipts { line quantity location lot status movementId actor }
  transitions { state actor reason } }"""
SUGGESTION = """id itemSku warehouse quantity supplier packSize state availableToPromise onOrder safetyStock maxStock
purchaseOrder reason decidedBy"""
PAGE_INFO = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"
PURCHASE_ORDERS = f"""query Orders($supplier: String, $state: PurchaseOrderState, $first: Int, $after: String,
  $last: Int) {{ purchaseOrders(supplier: $supplier, state: $state, first: $first, after: $after, last: $last) {{
    edges {{ node {{ number state }} }} {PAGE_INFO} }} }}"""
SUGGESTIONS = f"""query Suggestions($state: PurchaseSuggestionState, $supplier: String) {{
  purchaseSuggestions(state: $state, warehouse: "wh1", supplier: $supplier) {{
    edges {{ node {{ {SUGGESTION} }} }} }} }}"""
ON_ORDER = 'query OnOrder($sku: String!) { onOrder(itemSku: $sku, warehouse: "wh1") { itemSku warehouse quantity } }'


@pytest.fixture
async def graphql(
    start_gateway: StartGateway, catalog: Catalog, stock: Service, orders: Service
) -> AsyncIterator[GraphQL]:
    """`await graphql(query, variables, as_=OPERATOR)` through a gateway in front of the real services.

    BOLT (PCS, a BOX of 12) and SEAL (PCS, inspected on receipt) are in the catalog, WH1 and its
    location A-01 in stock; the supplier ALU delivers BOLT in packs of 5 and SEAL in any quantity.
    Every call is bob's, a buyer, unless `as_` says otherwise.
    """
    await catalog.create_item("BOLT", units={"BOX": "12"})
    async with start_gateway(STOCK_ADDR=stock.address, ORDERS_ADDR=orders.address) as client:

        async def send(query: str, variables: dict[str, Any] | None = None, *, as_: User = BUYER) -> dict[str, Any]:
            reply = await client.post(
                "/graphql", json={"query": query, "variables": variables or {}}, headers=bearer(*as_)
            )
            body: dict[str, Any] = reply.json()
            return body

        seal = {"sku": "SEAL", "name": "Seal", "baseUnit": "PCS", "inspectOnReceipt": True}
        await done(send, "createItem", seal, "item { sku }", as_=SETUP)
        await done(send, "createWarehouse", {"code": "WH1", "name": "Main"}, "warehouse { code }", as_=SETUP)
        await done(send, "createLocation", {"warehouse": "WH1", "code": "A-01"}, "location { code }", as_=SETUP)
        items = [{"itemSku": "BOLT", "packSize": "5", "leadTimeDays": 7}, {"itemSku": "SEAL"}]
        await done(send, "createSupplier", {"code": "ALU", "name": "Alu Works", "items": items}, "supplier { code }")
        orders.counter.clear()
        yield send


async def answer(
    graphql: GraphQL, name: str, input: dict[str, Any], selection: str = ORDER, *, as_: User = BUYER
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


async def done(graphql: GraphQL, name: str, input: dict[str, Any], selection: str = ORDER, *, as_: User = BUYER) -> Any:
    payload = await answer(graphql, name, input, selection, as_=as_)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


def refused(payload: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(error["field"], error["code"]) for error in payload["userErrors"]]


async def entered(graphql: GraphQL, *lines: dict[str, Any], supplier: str = "ALU") -> dict[str, Any]:
    order: dict[str, Any] = (await done(graphql, "createPurchaseOrder", {"supplier": supplier, "lines": list(lines)}))[
        "purchaseOrder"
    ]
    return order


async def sent(graphql: GraphQL, *lines: dict[str, Any]) -> dict[str, Any]:
    order = await entered(graphql, *lines)
    sent_order: dict[str, Any] = (await done(graphql, "sendPurchaseOrder", {"number": order["number"]}))[
        "purchaseOrder"
    ]
    return sent_order


def line(sku: str, quantity: str, **fields: Any) -> dict[str, Any]:
    return {"itemSku": sku, "quantity": quantity, "warehouse": "WH1", **fields}


def receipt(number: str, *entries: tuple[int, str], **fields: Any) -> dict[str, Any]:
    return {
        "number": number,
        "lines": [{"line": n, "quantity": quantity, "location": "A-01"} for n, quantity in entries],
        **fields,
    }


async def on_order(graphql: GraphQL, sku: str) -> str:
    found = (await graphql(ON_ORDER, {"sku": sku}))["data"]["onOrder"]
    assert (found["itemSku"], found["warehouse"]) == (sku, "WH1")
    quantity: str = found["quantity"]
    return quantity


async def test_a_purchase_order_is_sent_received_with_inspected_goods_on_hold_and_closed(graphql: GraphQL) -> None:
    order = await entered(
        graphql,
        line("bolt", "2", unit="BOX", expectedDate="2026-07-01", unitPrice="30.5"),
        line("SEAL", "10", warehouse="wh1", overReceiptTolerancePercent="10"),
    )
    assert (order["state"], order["supplier"]) == ("DRAFT", "ALU")
    assert order["id"] == str(relay.GlobalID("PurchaseOrder", order["number"]))
    assert [
        (x["itemSku"], x["quantity"], x["unit"], x["baseQuantity"], x["expectedDate"], x["unitPrice"])
        for x in order["lines"]
    ] == [("BOLT", "2", "BOX", "24", "2026-07-01", "30.5"), ("SEAL", "10", "PCS", "10", None, None)]
    assert [x["overReceiptTolerancePercent"] for x in order["lines"]] == ["0", "10"]
    assert await on_order(graphql, "BOLT") == "0"

    await done(graphql, "sendPurchaseOrder", {"number": order["number"].lower()})
    assert await on_order(graphql, "BOLT") == "24"

    entries = receipt(order["number"], (1, "2"), (2, "4"))
    entries["lines"][0]["unit"] = "BOX"
    partly = (await done(graphql, "receivePurchaseOrder", entries, as_=OPERATOR))["purchaseOrder"]
    assert partly["state"] == "PARTLY_RECEIVED"
    assert [
        (x["line"], x["quantity"], x["location"], x["lot"], x["status"], x["actor"]) for x in partly["receipts"]
    ] == [
        (1, "24", "A-01", None, "AVAILABLE", "olga"),
        (2, "4", "A-01", None, "QC_HOLD", "olga"),
    ]
    assert [x["received"] for x in partly["lines"]] == ["24", "4"]
    assert (await on_order(graphql, "BOLT"), await on_order(graphql, "SEAL")) == ("0", "6")
    movement = await graphql(
        "query M($id: ID!) { node(id: $id) { ... on Movement { type to { status } document { type number line } } } }",
        {"id": partly["receipts"][1]["movementId"]},
    )
    assert movement["data"]["node"] == {
        "type": "RECEIPT",
        "to": {"status": "QC_HOLD"},
        "document": {"type": "PURCHASE_ORDER", "number": order["number"], "line": "2"},
    }
    held = await graphql('{ availability(itemSku: "SEAL", warehouse: "WH1") { available qcHold availableToPromise } }')
    assert held["data"]["availability"] == {"available": "0", "qcHold": "4", "availableToPromise": "0"}

    rest = await done(graphql, "receivePurchaseOrder", receipt(order["number"], (2, "6")), as_=OPERATOR)
    assert rest["purchaseOrder"]["state"] == "RECEIVED"
    closed = (await done(graphql, "closePurchaseOrder", {"number": order["number"], "reason": "All in"}))[
        "purchaseOrder"
    ]
    assert [(t["state"], t["actor"], t["reason"]) for t in closed["transitions"]] == [
        ("DRAFT", "bob", None),
        ("SENT", "bob", None),
        ("PARTLY_RECEIVED", "olga", None),
        ("RECEIVED", "olga", None),
        ("CLOSED", "bob", "All in"),
    ]


async def test_buyers_work_purchase_orders_and_the_floor_receives_them(graphql: GraphQL, orders: Service) -> None:
    assert refused(
        await answer(graphql, "createPurchaseOrder", {"supplier": "ALU", "lines": [line("BOLT", "1")]}, as_=OPERATOR)
    ) == [(None, "PERMISSION_DENIED")]
    order = await sent(graphql, line("BOLT", "5"))
    orders.counter.clear()
    assert refused(await answer(graphql, "receivePurchaseOrder", receipt(order["number"], (1, "1")))) == [
        (None, "PERMISSION_DENIED")
    ]
    assert refused(await answer(graphql, "cancelPurchaseOrder", {"number": order["number"]}, as_=DESK)) == [
        (None, "PERMISSION_DENIED")
    ]
    suggestion = str(relay.GlobalID("PurchaseSuggestion", "any"))
    convert = {"suggestionIds": [suggestion]}
    assert refused(await answer(graphql, "convertSuggestions", convert, as_=OPERATOR)) == [(None, "PERMISSION_DENIED")]
    dismiss = {"id": suggestion, "reason": "No"}
    assert refused(await answer(graphql, "dismissSuggestion", dismiss, "purchaseSuggestion { id }", as_=DESK)) == [
        (None, "PERMISSION_DENIED")
    ]
    assert not orders.calls

    received = await done(graphql, "receivePurchaseOrder", receipt(order["number"], (1, "5")), as_=SETUP)
    assert received["purchaseOrder"]["receipts"][0]["actor"] == "sam"


async def test_what_a_purchase_order_cannot_take_is_refused_naming_the_field(graphql: GraphQL) -> None:
    unknown = await answer(graphql, "createPurchaseOrder", {"supplier": "NOBODY", "lines": [line("BOLT", "1")]})
    assert refused(unknown) == [("supplier", "NOT_FOUND")]
    generous = {"supplier": "ALU", "lines": [line("BOLT", "1"), line("SEAL", "1", overReceiptTolerancePercent="101")]}
    assert refused(await answer(graphql, "createPurchaseOrder", generous)) == [
        ("lines[1].overReceiptTolerancePercent", "OUT_OF_RANGE")
    ]

    order = await entered(graphql, line("SEAL", "10", overReceiptTolerancePercent="10"))
    early = await answer(graphql, "receivePurchaseOrder", receipt(order["number"], (1, "1")), as_=OPERATOR)
    assert refused(early) == [("number", "INVALID_STATE")]
    await done(graphql, "sendPurchaseOrder", {"number": order["number"]})
    beyond = await answer(graphql, "receivePurchaseOrder", receipt(order["number"], (1, "5"), (1, "7")), as_=OPERATOR)
    assert refused(beyond) == [("lines[1].quantity", "OUT_OF_RANGE")]
    no_line = await answer(graphql, "receivePurchaseOrder", receipt(order["number"], (2, "1")), as_=OPERATOR)
    assert refused(no_line) == [("lines[0].line", "NOT_FOUND")]

    within = await done(graphql, "receivePurchaseOrder", receipt(order["number"], (1, "11")), as_=OPERATOR)
    assert (within["purchaseOrder"]["state"], within["purchaseOrder"]["lines"][0]["received"]) == ("RECEIVED", "11")
    too_late = await answer(graphql, "cancelPurchaseOrder", {"number": order["number"], "reason": "Late"})
    assert refused(too_late) == [("number", "INVALID_STATE")]
    nothing = await graphql(ON_ORDER, {"sku": " "})
    assert nothing["errors"][0]["extensions"] == {"code": "REQUIRED", "field": "itemSku"}


async def test_a_retried_receipt_answers_the_first_result_and_posts_once(graphql: GraphQL) -> None:
    order = await sent(graphql, line("BOLT", "24"))
    entries = receipt(order["number"], (1, "10"), idempotencyKey="dock-4-receipt-1")
    first = await done(graphql, "receivePurchaseOrder", entries, as_=OPERATOR)
    second = await done(graphql, "receivePurchaseOrder", entries, as_=OPERATOR)
    assert second == first
    assert first["purchaseOrder"]["lines"][0]["received"] == "10"
    stock = await graphql('{ availability(itemSku: "BOLT", warehouse: "WH1") { available } }')
    assert stock["data"]["availability"] == {"available": "10"}
    assert await on_order(graphql, "BOLT") == "14"


async def test_purchase_orders_are_paged_either_way_in_one_call_and_filtered_by_supplier_and_state(
    graphql: GraphQL, orders: Service
) -> None:
    await done(graphql, "createSupplier", {"code": "STEEL", "name": "Steel"}, "supplier { code }")
    numbers = [(await entered(graphql, line("BOLT", "1")))["number"] for _ in range(3)]
    await entered(graphql, line("BOLT", "1"), supplier="STEEL")
    await done(graphql, "sendPurchaseOrder", {"number": numbers[1]})

    orders.counter.clear()
    first = (await graphql(PURCHASE_ORDERS, {"supplier": "alu", "first": 2}))["data"]["purchaseOrders"]
    assert orders.calls == {"ListPurchaseOrders": 1}
    assert [edge["node"]["number"] for edge in first["edges"]] == numbers[:2]
    assert (first["pageInfo"]["hasNextPage"], first["pageInfo"]["hasPreviousPage"]) == (True, False)
    rest = await graphql(PURCHASE_ORDERS, {"supplier": "ALU", "first": 2, "after": first["pageInfo"]["endCursor"]})
    assert [edge["node"]["number"] for edge in rest["data"]["purchaseOrders"]["edges"]] == numbers[2:]
    newest = (await graphql(PURCHASE_ORDERS, {"last": 1}))["data"]["purchaseOrders"]["edges"]
    assert newest[0]["node"]["number"] not in numbers
    drafts = (await graphql(PURCHASE_ORDERS, {"supplier": "ALU", "state": "DRAFT"}))["data"]["purchaseOrders"]
    assert [edge["node"]["number"] for edge in drafts["edges"]] == [numbers[0], numbers[2]]

    missing = str(relay.GlobalID("PurchaseOrder", "PO-999999"))
    query = """query Nodes($a: ID!, $b: ID!) {
      a: node(id: $a) { __typename ... on PurchaseOrder { number state } } b: node(id: $b) { id } }"""
    found = await graphql(query, {"a": str(relay.GlobalID("PurchaseOrder", numbers[1])), "b": missing})
    assert found["data"] == {"a": {"__typename": "PurchaseOrder", "number": numbers[1], "state": "SENT"}, "b": None}
    one = await graphql("query One($n: String!) { purchaseOrder(number: $n) { number } }", {"n": numbers[0].lower()})
    assert one["data"]["purchaseOrder"] == {"number": numbers[0]}


async def below_safety(
    graphql: GraphQL, stock: Service, sku: str, *, safety: str, maximum: str, on_hand: str, issued: str
) -> dict[str, Any]:
    """Set the place's thresholds, and once stock has them take its stock from `on_hand` to below
    safety by an issue: the OPEN suggestion drafted for it."""
    limits = {"sku": sku, "warehouse": "WH1", "safetyStock": safety, "maxStock": maximum}
    await done(graphql, "setThresholds", limits, "item { sku }", as_=SETUP)

    async def stock_has_them() -> bool:
        async with stock.running.uows.reader() as uow:
            found = await SqlStockRepository(uow.session).thresholds_of([StockKey(sku, "WH1")])
        return found.get(StockKey(sku, "WH1")) == (Decimal(safety), Decimal(maximum))

    await eventually(stock_has_them, f"the thresholds of {sku} in stock")
    place = {"itemSku": sku, "warehouse": "WH1", "location": "A-01"}
    await done(graphql, "receive", {**place, "quantity": on_hand}, "movement { id }", as_=OPERATOR)
    await done(graphql, "issue", {**place, "quantity": issued}, "movement { id }", as_=OPERATOR)

    async def drafted() -> list[dict[str, Any]]:
        edges = (await graphql(SUGGESTIONS, {"state": "OPEN"}))["data"]["purchaseSuggestions"]["edges"]
        return [edge["node"] for edge in edges if edge["node"]["itemSku"] == sku]

    async def one() -> bool:
        return bool(await drafted())

    await eventually(one, f"a suggestion for {sku}")
    [suggestion] = await drafted()
    return suggestion


async def test_a_crossing_below_safety_drafts_a_suggestion_netting_what_is_on_order_that_a_buyer_converts(
    graphql: GraphQL, stock: Service
) -> None:
    await sent(graphql, line("BOLT", "7"))
    suggestion = await below_safety(graphql, stock, "BOLT", safety="10", maximum="40", on_hand="20", issued="15")
    # 40 - (5 available + 7 on order) = 28, in packs of 5.
    assert {k: v for k, v in suggestion.items() if k != "id"} == {
        "itemSku": "BOLT",
        "warehouse": "WH1",
        "quantity": "30",
        "supplier": "ALU",
        "packSize": "5",
        "state": "OPEN",
        "availableToPromise": "5",
        "onOrder": "7",
        "safetyStock": "10",
        "maxStock": "40",
        "purchaseOrder": None,
        "reason": None,
        "decidedBy": None,
    }
    fetched = await graphql(
        "query S($id: ID!) { node(id: $id) { ... on PurchaseSuggestion { quantity state } } }", {"id": suggestion["id"]}
    )
    assert fetched["data"]["node"] == {"quantity": "30", "state": "OPEN"}

    order = (await done(graphql, "convertSuggestions", {"suggestionIds": [suggestion["id"]]}))["purchaseOrder"]
    assert (order["state"], order["supplier"]) == ("DRAFT", "ALU")
    assert [(x["itemSku"], x["baseQuantity"]) for x in order["lines"]] == [("BOLT", "30")]
    converted = (await graphql(SUGGESTIONS, {"state": "CONVERTED", "supplier": "alu"}))["data"]["purchaseSuggestions"]
    [node] = [edge["node"] for edge in converted["edges"]]
    assert (node["id"], node["purchaseOrder"], node["decidedBy"]) == (suggestion["id"], order["number"], "bob")

    again = await answer(graphql, "convertSuggestions", {"suggestionIds": [suggestion["id"]]})
    assert refused(again) == [("suggestionIds[0]", "INVALID_STATE")]
    not_a_suggestion = {"suggestionIds": [suggestion["id"], order["id"]]}
    assert refused(await answer(graphql, "convertSuggestions", not_a_suggestion)) == [
        ("suggestionIds[1]", "INVALID_FORMAT")
    ]


async def test_a_dismissed_suggestion_keeps_why_and_who(graphql: GraphQL, stock: Service) -> None:
    suggestion = await below_safety(graphql, stock, "SEAL", safety="5", maximum="10", on_hand="6", issued="2")
    assert (suggestion["quantity"], suggestion["supplier"], suggestion["packSize"]) == ("6", "ALU", None)
    selection = f"purchaseSuggestion {{ {SUGGESTION} }}"
    no_reason = await answer(graphql, "dismissSuggestion", {"id": suggestion["id"], "reason": " "}, selection)
    assert refused(no_reason) == [("reason", "REQUIRED")]
    dismissed = await done(
        graphql, "dismissSuggestion", {"id": suggestion["id"], "reason": "Seals are being replaced"}, selection
    )
    assert (dismissed["purchaseSuggestion"]["state"], dismissed["purchaseSuggestion"]["decidedBy"]) == (
        "DISMISSED",
        "bob",
    )
    listed = (await graphql(SUGGESTIONS, {"state": "DISMISSED"}))["data"]["purchaseSuggestions"]["edges"]
    assert [(edge["node"]["itemSku"], edge["node"]["reason"]) for edge in listed] == [
        ("SEAL", "Seals are being replaced")
    ]
