from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from strawberry import relay

from support import Catalog, Service, StartGateway, bearer

GraphQL = Callable[..., Awaitable[dict[str, Any]]]
User = tuple[str, tuple[str, ...]]
DESK: User = ("dana", ("sales",))
BUYER: User = ("bob", ("buyer",))
OPERATOR: User = ("olga", ("operator",))

ORDER = """id number customer customerReference policy state createdAt
lines { line itemSku quantity unit baseQuantity baseUnit warehouse requestedDate reserved backordered reservationId }
transitions { state actor reason }"""
PAYLOADS = {
    "createCustomer": "customer { code name }",
    "createSupplier": "supplier { code name items { itemSku packSize leadTimeDays } }",
}
PAGE_INFO = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"
SALES_ORDERS = f"""query Orders($customer: String, $state: SalesOrderState, $first: Int, $after: String, $last: Int) {{
  salesOrders(customer: $customer, state: $state, first: $first, after: $after, last: $last) {{
    edges {{ node {{ number state }} }} {PAGE_INFO} }} }}"""
RESERVATION = """query Reservation($id: ID!) { node(id: $id) { ... on Reservation { owner { type number } open } } }"""


@pytest.fixture
async def graphql(
    start_gateway: StartGateway, catalog: Catalog, stock: Service, orders: Service
) -> AsyncIterator[GraphQL]:
    """`await graphql(query, variables, as_=BUYER)` through a gateway in front of the real services.

    BOLT (PCS, a BOX of 12, barcode BOLT-EACH) is in the catalog, 24 of them in WH1; the customer
    CITY exists. Every call is dana's, of the sales desk, unless `as_` says otherwise.
    """
    await catalog.create_item("BOLT", units={"BOX": "12"}, barcodes=("BOLT-EACH",))
    async with start_gateway(STOCK_ADDR=stock.address, ORDERS_ADDR=orders.address) as client:

        async def send(query: str, variables: dict[str, Any] | None = None, *, as_: User = DESK) -> dict[str, Any]:
            user, roles = as_
            reply = await client.post(
                "/graphql", json={"query": query, "variables": variables or {}}, headers=bearer(user, roles)
            )
            body: dict[str, Any] = reply.json()
            return body

        setup: User = ("sam", ("supervisor",))
        await done(send, "createWarehouse", {"code": "WH1", "name": "Main"}, "warehouse { code }", as_=setup)
        await done(send, "createLocation", {"warehouse": "WH1", "code": "A-01"}, "location { code }", as_=setup)
        receipt = {"itemSku": "BOLT", "warehouse": "WH1", "location": "A-01", "quantity": "24"}
        await done(send, "receive", receipt, "movement { id }", as_=setup)
        await done(send, "createCustomer", {"code": "city", "name": "City Cycles"})
        orders.counter.clear()
        yield send


async def answer(
    graphql: GraphQL, name: str, input: dict[str, Any], selection: str | None = None, *, as_: User = DESK
) -> dict[str, Any]:
    """What mutation `name` answers, refused or not (its input type is named after it)."""
    input_type = f"{name[0].upper()}{name[1:]}Input"
    wanted = selection or PAYLOADS.get(name, f"salesOrder {{ {ORDER} }}")
    body = await graphql(
        f"mutation Run($input: {input_type}!) {{ {name}(input: $input) {{ {wanted} userErrors {{ field code }} }} }}",
        {"input": input},
        as_=as_,
    )
    assert "errors" not in body, body["errors"]
    payload: dict[str, Any] = body["data"][name]
    return payload


async def done(
    graphql: GraphQL, name: str, input: dict[str, Any], selection: str | None = None, *, as_: User = DESK
) -> dict[str, Any]:
    payload = await answer(graphql, name, input, selection, as_=as_)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


def line(quantity: str, **fields: Any) -> dict[str, Any]:
    return {"item": {"sku": "BOLT"}, "quantity": quantity, "warehouse": "WH1", **fields}


async def entered(graphql: GraphQL, *lines: dict[str, Any], **fields: Any) -> dict[str, Any]:
    order: dict[str, Any] = (
        await done(graphql, "createSalesOrder", {"customer": "CITY", "lines": list(lines), **fields})
    )["salesOrder"]
    return order


async def test_an_order_entered_by_barcode_and_in_boxes_is_confirmed_with_a_reservation_per_line(
    graphql: GraphQL, orders: Service
) -> None:
    order = await entered(
        graphql,
        {"item": {"barcode": "BOLT-EACH"}, "quantity": "4", "warehouse": "wh1", "requestedDate": "2026-06-01"},
        line("1", unit="BOX"),
        customerReference="PO 4711",
    )
    assert (order["state"], order["policy"], order["customerReference"]) == ("DRAFT", "ALL_OR_NOTHING", "PO 4711")
    assert order["id"] == str(relay.GlobalID("SalesOrder", order["number"]))
    assert [
        (x["itemSku"], x["quantity"], x["unit"], x["baseQuantity"], x["requestedDate"]) for x in order["lines"]
    ] == [
        ("BOLT", "4", "PCS", "4", "2026-06-01"),
        ("BOLT", "1", "BOX", "12", None),
    ]
    assert [x["reservationId"] for x in order["lines"]] == [None, None]

    confirmed = (await done(graphql, "confirmSalesOrder", {"number": order["number"].lower()}))["salesOrder"]
    assert confirmed["state"] == "CONFIRMED"
    assert [(x["reserved"], x["backordered"]) for x in confirmed["lines"]] == [("4", "0"), ("12", "0")]
    assert [(t["state"], t["actor"]) for t in confirmed["transitions"]] == [("DRAFT", "dana"), ("CONFIRMED", "dana")]
    reservation = (await graphql(RESERVATION, {"id": confirmed["lines"][1]["reservationId"]}))["data"]["node"]
    assert reservation == {"owner": {"type": "SALES_ORDER", "number": order["number"]}, "open": "12"}


async def test_a_confirmation_stock_cannot_meet_is_refused_naming_the_line_and_the_order_stays_a_draft(
    graphql: GraphQL,
) -> None:
    order = await entered(graphql, line("20"), line("5"))
    refused = await answer(graphql, "confirmSalesOrder", {"number": order["number"]})
    assert refused == {"salesOrder": None, "userErrors": [{"field": "lines[1].quantity", "code": "INSUFFICIENT_STOCK"}]}
    found = await graphql("query Get($n: String!) { salesOrder(number: $n) { state } }", {"n": order["number"]})
    assert found["data"]["salesOrder"] == {"state": "DRAFT"}


async def test_a_partial_order_takes_what_there_is_and_backorders_the_rest(graphql: GraphQL) -> None:
    order = await entered(graphql, line("30"), policy="PARTIAL")
    confirmed = (await done(graphql, "confirmSalesOrder", {"number": order["number"]}))["salesOrder"]
    assert (confirmed["policy"], confirmed["lines"][0]["reserved"], confirmed["lines"][0]["backordered"]) == (
        "PARTIAL",
        "24",
        "6",
    )


async def test_a_cancelled_order_records_why_and_who(graphql: GraphQL) -> None:
    order = await entered(graphql, line("2"))
    cancelled = (await done(graphql, "cancelSalesOrder", {"number": order["number"], "reason": "Duplicate"}))[
        "salesOrder"
    ]
    assert cancelled["transitions"][-1] == {"state": "CANCELLED", "actor": "dana", "reason": "Duplicate"}
    again = await answer(graphql, "cancelSalesOrder", {"number": order["number"]})
    assert again["userErrors"] == [{"field": "number", "code": "INVALID_STATE"}]


async def test_a_retried_command_answers_the_first_result_without_doing_it_twice(
    graphql: GraphQL, orders: Service
) -> None:
    input = {"customer": "CITY", "lines": [line("1")], "idempotencyKey": "desk-order-1"}
    first = (await done(graphql, "createSalesOrder", input))["salesOrder"]
    second = (await done(graphql, "createSalesOrder", input))["salesOrder"]
    assert second == first
    listed = await graphql(SALES_ORDERS, {"customer": "city"})
    assert [edge["node"]["number"] for edge in listed["data"]["salesOrders"]["edges"]] == [first["number"]]


async def test_a_line_names_its_item_by_exactly_one_of_sku_and_barcode(graphql: GraphQL, orders: Service) -> None:
    both = await graphql(
        'mutation { createSalesOrder(input: { customer: "CITY", lines: [{ item: { sku: "BOLT", barcode: "X" }, '
        'quantity: "1", warehouse: "WH1" }] }) { userErrors { field } } }'
    )
    assert "`item` takes exactly one of `sku` or `barcode`" in both["errors"][0]["message"]
    empty = await answer(graphql, "createSalesOrder", {"customer": "CITY", "lines": [line("1", item={"sku": " "})]})
    assert empty["userErrors"] == [{"field": "lines[0].item.sku", "code": "REQUIRED"}]
    assert not orders.calls
    unknown = await answer(
        graphql, "createSalesOrder", {"customer": "CITY", "lines": [line("1"), line("1", item={"barcode": "NOPE"})]}
    )
    assert unknown["userErrors"] == [{"field": "lines[1].item.barcode", "code": "NOT_FOUND"}]


async def test_only_the_sales_desk_and_its_seniors_enter_orders_and_only_buyers_and_managers_create_suppliers(
    graphql: GraphQL, orders: Service
) -> None:
    refused = await answer(graphql, "createSalesOrder", {"customer": "CITY", "lines": [line("1")]}, as_=OPERATOR)
    assert refused["userErrors"] == [{"field": None, "code": "PERMISSION_DENIED"}]
    customer = await answer(graphql, "createCustomer", {"code": "SHOP", "name": "Shop"}, as_=BUYER)
    assert customer["userErrors"] == [{"field": None, "code": "PERMISSION_DENIED"}]
    supplier = {"code": "ALU", "name": "Alu Works", "items": [{"itemSku": "bolt", "packSize": "5", "leadTimeDays": 7}]}
    assert (await answer(graphql, "createSupplier", supplier))["userErrors"] == [
        {"field": None, "code": "PERMISSION_DENIED"}
    ]
    assert not orders.calls
    made = (await done(graphql, "createSupplier", supplier, as_=BUYER))["supplier"]
    assert made == {
        "code": "ALU",
        "name": "Alu Works",
        "items": [{"itemSku": "BOLT", "packSize": "5", "leadTimeDays": 7}],
    }
    listed = await graphql("{ suppliers { edges { node { code items { itemSku } } } } }", as_=OPERATOR)
    assert listed["data"]["suppliers"]["edges"] == [{"node": {"code": "ALU", "items": [{"itemSku": "BOLT"}]}}]


async def test_sales_orders_are_paged_either_way_and_filtered_by_customer_and_state(
    graphql: GraphQL, orders: Service
) -> None:
    await done(graphql, "createCustomer", {"code": "SHOP", "name": "Shop"})
    numbers = [(await entered(graphql, line("1")))["number"] for _ in range(3)]
    await entered(graphql, line("1"), customer="SHOP")
    await done(graphql, "confirmSalesOrder", {"number": numbers[1]})

    first = (await graphql(SALES_ORDERS, {"customer": "CITY", "first": 2}))["data"]["salesOrders"]
    assert [edge["node"]["number"] for edge in first["edges"]] == numbers[:2]
    assert (first["pageInfo"]["hasNextPage"], first["pageInfo"]["hasPreviousPage"]) == (True, False)
    rest = await graphql(SALES_ORDERS, {"customer": "CITY", "first": 2, "after": first["pageInfo"]["endCursor"]})
    assert [edge["node"]["number"] for edge in rest["data"]["salesOrders"]["edges"]] == numbers[2:]
    newest = (await graphql(SALES_ORDERS, {"last": 1}))["data"]["salesOrders"]["edges"]
    assert newest[0]["node"]["number"] not in numbers
    drafts = (await graphql(SALES_ORDERS, {"customer": "CITY", "state": "DRAFT"}))["data"]["salesOrders"]["edges"]
    assert [edge["node"]["number"] for edge in drafts] == [numbers[0], numbers[2]]
    customers = (await graphql("{ customers(last: 1) { edges { node { code name } } } }"))["data"]["customers"]
    assert customers["edges"] == [{"node": {"code": "SHOP", "name": "Shop"}}]


async def test_node_fetches_an_order_again_by_its_id_and_null_for_one_that_does_not_exist(graphql: GraphQL) -> None:
    order = await entered(graphql, line("1"))
    missing = str(relay.GlobalID("SalesOrder", "SO-999999"))
    query = """query Nodes($a: ID!, $b: ID!) {
      a: node(id: $a) { __typename id ... on SalesOrder { number state } } b: node(id: $b) { id } }"""
    found = (await graphql(query, {"a": order["id"], "b": missing}))["data"]
    assert found == {
        "a": {"__typename": "SalesOrder", "id": order["id"], "number": order["number"], "state": "DRAFT"},
        "b": None,
    }
