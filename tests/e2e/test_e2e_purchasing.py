"""Purchasing through the gateway over HTTP: a buyer orders goods the catalog inspects on receipt,
the floor receives them onto hold; a place falling below its safety stock gets exactly one
purchase suggestion, netting what is already on order, which the buyer makes a purchase order."""

from __future__ import annotations

from typing import Any

import pytest

from invariant_core.testing import eventually

from e2e_support import GraphQL, code, run, token

pytestmark = pytest.mark.asyncio(loop_scope="module")

BUYER = token("e2e-buyer", "buyer")
OPERATOR = token("e2e-operator", "operator")
ORDER = (
    "purchaseOrder { number state lines { itemSku baseQuantity warehouse received } receipts { status movementId } }"
)
SUGGESTIONS = """query Suggestions($warehouse: String!) {
  purchaseSuggestions(warehouse: $warehouse) { edges { node {
    id itemSku quantity supplier packSize state availableToPromise onOrder safetyStock maxStock purchaseOrder } } } }"""
ON_ORDER = """query OnOrder($sku: String!, $warehouse: String!) {
  onOrder(itemSku: $sku, warehouse: $warehouse) { quantity } }"""


async def new_item(graphql: GraphQL, *, inspected: bool = False) -> str:
    sku = code("BUY-")
    item = {"sku": sku, "name": "Bought item", "baseUnit": "PCS", "inspectOnReceipt": inspected}
    await run(graphql, "createItem", item, "item { sku }")
    return sku


async def new_warehouse(graphql: GraphQL) -> str:
    warehouse = code("P")
    await run(graphql, "createWarehouse", {"code": warehouse, "name": "Purchasing"}, "warehouse { code }")
    await run(graphql, "createLocation", {"warehouse": warehouse, "code": "DOCK"}, "location { code }")
    return warehouse


async def new_supplier(graphql: GraphQL, *items: dict[str, Any]) -> str:
    supplier = code("S")
    await run(
        graphql,
        "createSupplier",
        {"code": supplier, "name": "Supplier", "items": list(items)},
        "supplier { code }",
        BUYER,
    )
    return supplier


async def sent_order(graphql: GraphQL, supplier: str, sku: str, quantity: str, warehouse: str) -> dict[str, Any]:
    lines = [{"itemSku": sku, "quantity": quantity, "warehouse": warehouse}]
    order: dict[str, Any] = (
        await run(graphql, "createPurchaseOrder", {"supplier": supplier, "lines": lines}, ORDER, BUYER)
    )["purchaseOrder"]
    await run(graphql, "sendPurchaseOrder", {"number": order["number"]}, ORDER, BUYER)
    return order


async def on_order(graphql: GraphQL, sku: str, warehouse: str) -> str:
    quantity: str = (await graphql(ON_ORDER, {"sku": sku, "warehouse": warehouse}, as_=BUYER))["data"]["onOrder"][
        "quantity"
    ]
    return quantity


async def moved(graphql: GraphQL, kind: str, sku: str, warehouse: str, quantity: str) -> None:
    place = {"itemSku": sku, "warehouse": warehouse, "location": "DOCK", "quantity": quantity}
    await run(graphql, kind, place, "movement { id }", OPERATOR)


async def test_goods_received_on_a_purchase_order_for_an_inspected_item_are_on_hold_not_available(
    graphql: GraphQL,
) -> None:
    sku = await new_item(graphql, inspected=True)
    warehouse = await new_warehouse(graphql)
    supplier = await new_supplier(graphql, {"itemSku": sku, "leadTimeDays": 3})
    order = await sent_order(graphql, supplier, sku, "10", warehouse)
    assert await on_order(graphql, sku, warehouse) == "10"

    receipt = {"number": order["number"], "lines": [{"line": 1, "quantity": "10", "location": "dock"}]}
    received = (await run(graphql, "receivePurchaseOrder", receipt, ORDER, OPERATOR))["purchaseOrder"]
    assert (received["state"], received["lines"][0]["received"]) == ("RECEIVED", "10")
    assert [r["status"] for r in received["receipts"]] == ["QC_HOLD"]
    assert await on_order(graphql, sku, warehouse) == "0"

    stock = await graphql(
        """query Stock($sku: String!, $warehouse: String!, $movement: ID!) {
          availability(itemSku: $sku, warehouse: $warehouse) { available qcHold availableToPromise }
          balances(itemSku: $sku, warehouse: $warehouse) { edges { node { quantity place { location status } } } }
          node(id: $movement) { ... on Movement { type document { type number line } } } }""",
        {"sku": sku, "warehouse": warehouse, "movement": received["receipts"][0]["movementId"]},
        as_=OPERATOR,
    )
    assert stock["data"]["availability"] == {"available": "0", "qcHold": "10", "availableToPromise": "0"}
    assert stock["data"]["balances"]["edges"] == [
        {"node": {"quantity": "10", "place": {"location": "DOCK", "status": "QC_HOLD"}}}
    ]
    assert stock["data"]["node"] == {
        "type": "RECEIPT",
        "document": {"type": "PURCHASE_ORDER", "number": order["number"], "line": "1"},
    }


async def test_a_place_below_safety_stock_gets_one_suggestion_netting_what_is_on_order_made_into_a_purchase_order(
    graphql: GraphQL,
) -> None:
    sku, marker, warehouse = await new_item(graphql), await new_item(graphql), await new_warehouse(graphql)
    for item, safety, maximum in ((sku, "10", "50"), (marker, "1", "2")):
        limits = {"sku": item, "warehouse": warehouse, "safetyStock": safety, "maxStock": maximum}
        await run(graphql, "setThresholds", limits, "item { sku }")
    supplier = await new_supplier(
        graphql, {"itemSku": sku, "packSize": "10", "leadTimeDays": 5}, {"itemSku": marker, "leadTimeDays": 1}
    )
    await sent_order(graphql, supplier, sku, "12", warehouse)
    await moved(graphql, "receive", sku, warehouse, "20")
    await moved(graphql, "issue", sku, warehouse, "15")

    async def suggestions(item: str) -> list[dict[str, Any]]:
        edges = (await graphql(SUGGESTIONS, {"warehouse": warehouse}, as_=BUYER))["data"]["purchaseSuggestions"]
        return [edge["node"] for edge in edges["edges"] if edge["node"]["itemSku"] == item]

    async def drafted(item: str, quantity: str) -> None:
        """Until a suggestion for the item is there, take its place above safety and below it
        again (which nets to nothing): stock learns thresholds from the catalog's events, and
        crosses nothing before it has them."""

        async def found() -> bool:
            if await suggestions(item):
                return True
            await moved(graphql, "receive", item, warehouse, quantity)
            await moved(graphql, "issue", item, warehouse, quantity)
            return bool(await suggestions(item))

        await eventually(found, f"a purchase suggestion for {item}")

    await drafted(sku, "10")
    # Back above safety and below it again while the suggestion is open: a second crossing.
    await moved(graphql, "receive", sku, warehouse, "10")
    await moved(graphql, "issue", sku, warehouse, "10")
    # Crossings are handled in turn: once the marker's is, the second one above has been.
    await moved(graphql, "receive", marker, warehouse, "2")
    await moved(graphql, "issue", marker, warehouse, "2")
    await drafted(marker, "2")

    [suggestion] = await suggestions(sku)
    # 50 - (5 available to promise + 12 on order) = 33, in whole packs of 10.
    assert {name: value for name, value in suggestion.items() if name != "id"} == {
        "itemSku": sku,
        "quantity": "40",
        "supplier": supplier,
        "packSize": "10",
        "state": "OPEN",
        "availableToPromise": "5",
        "onOrder": "12",
        "safetyStock": "10",
        "maxStock": "50",
        "purchaseOrder": None,
    }

    order = (await run(graphql, "convertSuggestions", {"suggestionIds": [suggestion["id"]]}, ORDER, BUYER))[
        "purchaseOrder"
    ]
    assert order["state"] == "DRAFT"
    assert order["lines"] == [{"itemSku": sku, "baseQuantity": "40", "warehouse": warehouse, "received": "0"}]
    [converted] = await suggestions(sku)
    assert (converted["state"], converted["purchaseOrder"]) == ("CONVERTED", order["number"])
    await run(graphql, "sendPurchaseOrder", {"number": order["number"]}, ORDER, BUYER)
    assert await on_order(graphql, sku, warehouse) == "52"
