"""Sales orders through the gateway over HTTP: a sales desk enters two orders for more than there
is, confirms both at once, and cancels the one that got the stock."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from invariant_core.testing import eventually

from e2e_support import USER_ERRORS, GraphQL, code, run, token

pytestmark = pytest.mark.asyncio(loop_scope="module")

DESK = token("e2e-sales", "sales")
OPERATOR = token("e2e-operator", "operator")
ORDER = "number state lines { reserved backordered reservationId }"
CONFIRM = f"""mutation Confirm($input: ConfirmSalesOrderInput!) {{
  confirmSalesOrder(input: $input) {{ salesOrder {{ {ORDER} }} {USER_ERRORS} }} }}"""
AVAILABILITY = """query Availability($sku: String!, $warehouse: String!) {
  availability(itemSku: $sku, warehouse: $warehouse) { reserved availableToPromise } }"""


async def stocked(graphql: GraphQL, quantity: str) -> tuple[str, str]:
    """A new item with `quantity` available in a new warehouse: its SKU and the warehouse's code."""
    sku, warehouse = code("SOLD-"), code("W")
    await run(graphql, "createItem", {"sku": sku, "name": "Sold item", "baseUnit": "PCS"}, "item { sku }")
    await run(graphql, "createWarehouse", {"code": warehouse, "name": "Sales stock"}, "warehouse { code }")
    await run(graphql, "createLocation", {"warehouse": warehouse, "code": "A-01"}, "location { code }")
    receipt = {"itemSku": sku, "quantity": quantity, "warehouse": warehouse, "location": "A-01"}
    await run(graphql, "receive", receipt, "movement { id }", OPERATOR)
    return sku, warehouse


async def availability(graphql: GraphQL, sku: str, warehouse: str) -> dict[str, Decimal]:
    found = (await graphql(AVAILABILITY, {"sku": sku, "warehouse": warehouse}))["data"]["availability"]
    return {name: Decimal(value) for name, value in found.items()}


async def test_two_orders_for_more_than_there_is_confirmed_at_once_get_it_once_and_a_cancellation_gives_it_back(
    graphql: GraphQL,
) -> None:
    sku, warehouse = await stocked(graphql, "12")
    customer = code("C")
    await run(graphql, "createCustomer", {"code": customer, "name": "City Cycles"}, "customer { code }", DESK)
    lines = [{"item": {"sku": sku}, "quantity": "10", "warehouse": warehouse}]
    numbers = [
        (await run(graphql, "createSalesOrder", {"customer": customer, "lines": lines}, "salesOrder { number }", DESK))[
            "salesOrder"
        ]["number"]
        for _ in range(2)
    ]

    answers = await asyncio.gather(*(graphql(CONFIRM, {"input": {"number": n}}, as_=DESK) for n in numbers))
    payloads = [answer["data"]["confirmSalesOrder"] for answer in answers]
    [confirmed] = [p["salesOrder"] for p in payloads if p["salesOrder"] is not None]
    [refused] = [p["userErrors"] for p in payloads if p["salesOrder"] is None]
    assert confirmed["state"] == "CONFIRMED"
    assert (confirmed["lines"][0]["reserved"], confirmed["lines"][0]["backordered"]) == ("10", "0")
    assert confirmed["lines"][0]["reservationId"]
    assert [(error["field"], error["code"]) for error in refused] == [("lines[0].quantity", "INSUFFICIENT_STOCK")]
    assert "available 2" in refused[0]["message"]
    assert await availability(graphql, sku, warehouse) == {"reserved": Decimal(10), "availableToPromise": Decimal(2)}

    cancelled = await run(
        graphql,
        "cancelSalesOrder",
        {"number": confirmed["number"], "reason": "The customer called"},
        "salesOrder { state }",
        DESK,
    )
    assert cancelled["salesOrder"]["state"] == "CANCELLED"

    async def released() -> bool:
        return await availability(graphql, sku, warehouse) == {
            "reserved": Decimal(0),
            "availableToPromise": Decimal(12),
        }

    await eventually(released, "the cancelled order's reservation released")
    order = await graphql(
        "query Order($number: String!) { salesOrder(number: $number) { lines { reserved } } }",
        {"number": confirmed["number"]},
        as_=DESK,
    )
    assert order["data"]["salesOrder"]["lines"] == [{"reserved": "0"}]


async def test_an_operator_without_the_sales_role_enters_no_order(graphql: GraphQL) -> None:
    sku, warehouse = await stocked(graphql, "1")
    customer = code("C")
    await run(graphql, "createCustomer", {"code": customer, "name": "Shop"}, "customer { code }", DESK)
    input: dict[str, Any] = {
        "customer": customer,
        "lines": [{"item": {"sku": sku}, "quantity": "1", "warehouse": warehouse}],
    }
    reply = await graphql(
        f"mutation Enter($input: CreateSalesOrderInput!) {{ createSalesOrder(input: $input) {{ "
        f"salesOrder {{ number }} {USER_ERRORS} }} }}",
        {"input": input},
        as_=OPERATOR,
    )
    payload = reply["data"]["createSalesOrder"]
    assert payload["salesOrder"] is None
    assert [error["code"] for error in payload["userErrors"]] == ["PERMISSION_DENIED"]
    listed = await graphql(
        "query Listed($customer: String) { salesOrders(customer: $customer) { edges { node { number } } } }",
        {"customer": customer},
        as_=OPERATOR,
    )
    assert listed["data"]["salesOrders"]["edges"] == []
