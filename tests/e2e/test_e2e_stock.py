"""Stock through the gateway over HTTP: receive, reserve, transfer between warehouses, issue."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from e2e_support import GraphQL, code, run, token

pytestmark = pytest.mark.asyncio(loop_scope="module")

PLACE = "warehouse location lot status"
MOVEMENT = f"id type quantity enteredUnit from {{ {PLACE} }} to {{ {PLACE} }} actor businessTime reservationId"
AVAILABILITY = """query Availability($sku: String!, $warehouse: String!) {
  availability(itemSku: $sku, warehouse: $warehouse) {
    available qcHold rejected inTransit reserved availableToPromise } }"""
HISTORY = f"""query History($sku: String!) {{
  movements(itemSku: $sku, first: 50) {{ edges {{ node {{ {MOVEMENT} }} }} pageInfo {{ hasNextPage }} }} }}"""
BALANCE_AS_OF = """query AsOf($sku: String!, $place: StockPlaceInput!, $at: DateTime!) {
  balanceAsOf(itemSku: $sku, place: $place, asOf: $at) { quantity } }"""
INTEGRITY = "{ integrityReport { balancesChecked drifts { kind itemSku recorded recomputed } } }"
OPERATOR = token("e2e-operator", "operator")


async def move(graphql: GraphQL, name: str, input: dict[str, Any]) -> dict[str, Any]:
    movement: dict[str, Any] = (await run(graphql, name, input, f"movement {{ {MOVEMENT} }}", OPERATOR))["movement"]
    return movement


async def availability(graphql: GraphQL, sku: str, warehouse: str) -> dict[str, Decimal]:
    found = (await graphql(AVAILABILITY, {"sku": sku, "warehouse": warehouse}))["data"]["availability"]
    return {name: Decimal(value) for name, value in found.items()}


async def balance_as_of(graphql: GraphQL, sku: str, place: dict[str, str], at: datetime) -> Decimal:
    reply = await graphql(BALANCE_AS_OF, {"sku": sku, "place": place, "at": at.isoformat()})
    return Decimal(reply["data"]["balanceAsOf"]["quantity"])


def where(place: dict[str, str] | None) -> str | None:
    return f"{place['warehouse']}/{place['location']}" if place else None


def stock(available: int = 0, reserved: int = 0, in_transit: int = 0) -> dict[str, Decimal]:
    return {
        "available": Decimal(available),
        "qcHold": Decimal(0),
        "rejected": Decimal(0),
        "inTransit": Decimal(in_transit),
        "reserved": Decimal(reserved),
        "availableToPromise": Decimal(available - reserved),
    }


async def test_a_lot_is_received_reserved_transferred_through_transit_and_issued_against_its_reservation(
    graphql: GraphQL,
) -> None:
    sku, source, destination = code("RESIN-"), code("S"), code("D")
    await run(
        graphql,
        "createItem",
        {
            "sku": sku,
            "name": "Resin",
            "baseUnit": "PCS",
            "units": [{"unit": "BOX", "factor": "10"}],
            "lotTracked": True,
        },
        "item { sku }",
    )
    for warehouse in (source, destination):
        await run(
            graphql, "createWarehouse", {"code": warehouse, "name": f"Warehouse {warehouse}"}, "warehouse { code }"
        )
        await run(graphql, "createLocation", {"warehouse": warehouse, "code": "A-01"}, "location { code }")
    at_source = {"warehouse": source, "location": "A-01", "lot": "L1"}

    received = await move(graphql, "receive", {"itemSku": sku, "quantity": "10", "unit": "BOX", **at_source})
    assert (Decimal(received["quantity"]), received["enteredUnit"]) == (100, "BOX")
    after_receipt = datetime.now(UTC)

    owner = {"type": "SALES_ORDER", "number": code("SO-")}
    reserve = {"lines": [{"itemSku": sku, "warehouse": source, "quantity": "30"}], "owner": owner}
    [reservation] = (await run(graphql, "reserve", reserve, "reservations { id open }", OPERATOR))["reservations"]
    assert Decimal(reservation["open"]) == 30

    # Between warehouses: first into the destination's in-transit location, where it is available in neither.
    in_transit = {"warehouse": destination, "location": "IN_TRANSIT"}
    sent = await move(
        graphql,
        "transfer",
        {
            "itemSku": sku,
            "quantity": "20",
            "lot": "L1",
            "from": {"warehouse": source, "location": "A-01"},
            "to": in_transit,
        },
    )
    on_the_road = datetime.now(UTC)
    assert await availability(graphql, sku, source) == stock(available=80, reserved=30)
    assert await availability(graphql, sku, destination) == stock(in_transit=20)

    arrived = await move(
        graphql,
        "transfer",
        {
            "itemSku": sku,
            "quantity": "20",
            "lot": "L1",
            "from": in_transit,
            "to": {"warehouse": destination, "location": "A-01"},
        },
    )
    issued = await move(
        graphql,
        "issueReservation",
        {"reservationId": reservation["id"], "quantity": "30", "location": "A-01", "lot": "L1"},
    )

    assert await availability(graphql, sku, source) == stock(available=50)
    assert await availability(graphql, sku, destination) == stock(available=20)

    history = (await graphql(HISTORY, {"sku": sku}))["data"]["movements"]
    assert history["pageInfo"]["hasNextPage"] is False
    movements = [edge["node"] for edge in history["edges"]]
    assert [movement["id"] for movement in movements] == [received["id"], sent["id"], arrived["id"], issued["id"]]
    assert [
        (movement["type"], Decimal(movement["quantity"]), where(movement["from"]), where(movement["to"]))
        for movement in movements
    ] == [
        ("RECEIPT", 100, None, f"{source}/A-01"),
        ("TRANSFER", 20, f"{source}/A-01", f"{destination}/IN_TRANSIT"),
        ("TRANSFER", 20, f"{destination}/IN_TRANSIT", f"{destination}/A-01"),
        ("ISSUE", 30, f"{source}/A-01", None),
    ]
    assert {movement["actor"] for movement in movements} == {"e2e-operator"}
    assert {movement["from"]["lot"] for movement in movements[1:]} == {"L1"}
    assert issued["reservationId"] == reservation["id"]

    assert (
        datetime.fromisoformat(received["businessTime"]) <= after_receipt < datetime.fromisoformat(sent["businessTime"])
    )
    assert datetime.fromisoformat(sent["businessTime"]) <= on_the_road < datetime.fromisoformat(arrived["businessTime"])
    assert await balance_as_of(graphql, sku, at_source, after_receipt) == 100
    assert await balance_as_of(graphql, sku, {**in_transit, "lot": "L1"}, on_the_road) == 20
    assert await balance_as_of(graphql, sku, at_source, on_the_road) == 80
    assert await balance_as_of(graphql, sku, {**in_transit, "lot": "L1"}, datetime.now(UTC)) == 0
    assert await balance_as_of(graphql, sku, at_source, datetime.now(UTC)) == 50

    report = (await graphql(INTEGRITY, as_=token("e2e-admin", "admin")))["data"]["integrityReport"]
    assert report["balancesChecked"] >= 3
    assert report["drifts"] == []


async def test_only_an_admin_reads_the_integrity_report(graphql: GraphQL) -> None:
    reply = await graphql(INTEGRITY, as_=OPERATOR)
    assert reply["data"] is None
    [error] = reply["errors"]
    assert error["extensions"]["code"] == "PERMISSION_DENIED"


async def test_health_shows_the_stock_service_serving(graphql: GraphQL) -> None:
    reply = await graphql("{ health { service status } }", as_=None)
    assert {"service": "STOCK", "status": "SERVING"} in reply["data"]["health"]
