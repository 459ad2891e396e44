from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import update
from strawberry import relay

from gateway.convert import enum_from_code
from gateway.stock.types import DriftKind
from stock.adapters.tables import availability as availability_table
from stock.adapters.tables import balances as balances_table

from support import Catalog, Service, StartGateway, bearer

GraphQL = Callable[..., Awaitable[dict[str, Any]]]
SUPERVISOR = ("supervisor",)
OPERATOR = ("operator",)
ADMIN = ("admin",)

PLACE = "warehouse location lot status"
MOVEMENT = f"""id type itemSku quantity enteredUnit from {{ {PLACE} }} to {{ {PLACE} }} document {{ type number line }}
reasonCode reasons {{ reasonCode quantity }} actor businessTime postedAt correctsMovementId reservationId
supplier supplierLot"""
RESERVATION = (
    "id itemSku warehouse requested open consumed released owner { type number line } state expiresAt createdAt"
)
PAYLOADS = {
    "createWarehouse": "warehouse { code name allowNegativeStock inTransitLocation "
    "locations { edges { node { code kind } } } }",
    "createLocation": "location { warehouse code kind }",
    "createLot": "lot { itemSku lot expiryDate }",
    "reserve": f"reservations {{ {RESERVATION} }}",
    "release": f"reservation {{ {RESERVATION} }}",
}
AVAILABILITY = """query Availability($sku: String!, $warehouse: String!) {
  availability(itemSku: $sku, warehouse: $warehouse) {
    available qcHold rejected inTransit reserved availableToPromise unit } }"""
PAGE = "$first: Int, $after: String, $last: Int, $before: String"
PAGED = "first: $first, after: $after, last: $last, before: $before"
PAGE_INFO = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"
MOVEMENTS = f"""query Movements($sku: String!, {PAGE}) {{
  movements(itemSku: $sku, {PAGED}) {{ edges {{ node {{ quantity }} }} {PAGE_INFO} }} }}"""
BALANCES = f"""query Balances($warehouse: String!, {PAGE}) {{
  balances(warehouse: $warehouse, {PAGED}) {{
    edges {{ node {{ itemSku place {{ location lot status }} quantity lotExpiry }} }} {PAGE_INFO} }} }}"""
RESERVATIONS = f"""query Reservations($owner: DocumentRefInput, $open: Boolean! = false, {PAGE}) {{
  reservations(owner: $owner, openOnly: $open, {PAGED}) {{ edges {{ node {{ {RESERVATION} }} }} {PAGE_INFO} }} }}"""
WAREHOUSES = f"""query Warehouses({PAGE}) {{
  warehouses({PAGED}) {{ edges {{ node {{ id code name inTransitLocation }} }} {PAGE_INFO} }} }}"""
LOCATIONS = f"""query Locations($code: ID!, {PAGE}) {{
  node(id: $code) {{ ... on Warehouse {{ locations({PAGED}) {{
    edges {{ node {{ id warehouse code kind }} }} {PAGE_INFO} }} }} }} }}"""


@pytest.fixture
async def graphql(start_gateway: StartGateway, catalog: Catalog, stock: Service) -> AsyncIterator[GraphQL]:
    """`await graphql(query, variables, roles=…)` through a gateway in front of the real catalog and stock.

    BOLT (PCS, a BOX of 12) and the lot-tracked RESIN (KG, a DRUM of 200) are in the catalog;
    WH1 has locations A-01 and B-01, WH2 has A-01.
    """
    await catalog.create_item("BOLT", units={"BOX": "12"})
    await catalog.create_item("RESIN", base_unit="KG", units={"DRUM": "200"}, lot_tracked=True)
    async with start_gateway(STOCK_ADDR=stock.address) as client:

        async def send(
            query: str, variables: dict[str, Any] | None = None, *, roles: tuple[str, ...] = SUPERVISOR
        ) -> dict[str, Any]:
            reply = await client.post(
                "/graphql", json={"query": query, "variables": variables or {}}, headers=bearer("sam", roles)
            )
            body: dict[str, Any] = reply.json()
            return body

        for warehouse, locations in (("WH1", ("A-01", "B-01")), ("WH2", ("A-01",))):
            await succeed(send, "createWarehouse", {"code": warehouse, "name": f"Warehouse {warehouse}"})
            for location in locations:
                await succeed(send, "createLocation", {"warehouse": warehouse, "code": location})
        stock.counter.clear()
        yield send


async def mutate(
    graphql: GraphQL, name: str, input: dict[str, Any], *, roles: tuple[str, ...] = SUPERVISOR
) -> dict[str, Any]:
    """The payload of mutation `name` (its input type is named after it)."""
    input_type = f"{name[0].upper()}{name[1:]}Input"
    selection = PAYLOADS.get(name, f"movement {{ {MOVEMENT} }}")
    query = (
        f"mutation Run($input: {input_type}!) {{ {name}(input: $input) {{ {selection} userErrors {{ field code }} }} }}"
    )
    body = await graphql(query, {"input": input}, roles=roles)
    assert "errors" not in body, body["errors"]
    payload: dict[str, Any] = body["data"][name]
    return payload


async def succeed(graphql: GraphQL, name: str, input: dict[str, Any], **options: Any) -> dict[str, Any]:
    payload = await mutate(graphql, name, input, **options)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


async def receive(graphql: GraphQL, quantity: str, **fields: Any) -> dict[str, Any]:
    input = {"itemSku": "BOLT", "quantity": quantity, "warehouse": "WH1", "location": "A-01", **fields}
    movement: dict[str, Any] = (await succeed(graphql, "receive", input, roles=OPERATOR))["movement"]
    return movement


async def availability(graphql: GraphQL, sku: str = "BOLT", warehouse: str = "WH1") -> dict[str, Any]:
    found: dict[str, Any] = (await graphql(AVAILABILITY, {"sku": sku, "warehouse": warehouse}))["data"]["availability"]
    return {name: value if name == "unit" else Decimal(value) for name, value in found.items()}


def q(quantity: str) -> str:
    """A quantity as written without trailing zeros, so that "24.000000" reads "24"."""
    return format(Decimal(quantity).normalize(), "f")


def place(warehouse: str, location: str, status: str = "AVAILABLE", lot: str | None = None) -> dict[str, Any]:
    return {"warehouse": warehouse, "location": location, "lot": lot, "status": status}


async def every_page(
    graphql: GraphQL, query: str, variables: dict[str, Any], *, size: int, backward: bool = False
) -> tuple[list[dict[str, Any]], int]:
    """Every node of a listing in the list's order, following the cursors from the start (from the end when
    `backward`, with last/before), and how many pages it took."""
    nodes: list[dict[str, Any]] = []
    cursor, pages = None, 0
    while True:
        paging = {"last": size, "before": cursor} if backward else {"first": size, "after": cursor}
        body = await graphql(query, {**variables, **paging})
        assert "errors" not in body, body["errors"]
        listing = connection_in(body["data"])
        found = [edge["node"] for edge in listing["edges"]]
        nodes = found + nodes if backward else nodes + found
        pages += 1
        info = listing["pageInfo"]
        if not info["hasPreviousPage" if backward else "hasNextPage"]:
            return nodes, pages
        cursor = info["startCursor" if backward else "endCursor"]


def connection_in(data: dict[str, Any]) -> dict[str, Any]:
    """The one connection an answer holds, perhaps inside a node."""
    [found] = data.values()
    return found if "edges" in found else connection_in(found)


def global_id(type_name: str, local_id: str) -> str:
    """The graph's id of a stock object, as the service names it."""
    return relay.to_base64(type_name, local_id)


async def test_warehouses_are_listed_by_code_each_with_its_locations_in_pages(graphql: GraphQL, stock: Service) -> None:
    query = f"""query Everything({PAGE}) {{ warehouses({PAGED}) {{ edges {{ node {{ code name inTransitLocation
      locations(first: 2) {{ edges {{ node {{ code kind }} }} pageInfo {{ hasNextPage }} }} }} }} }} }}"""
    reply = await graphql(query, {"first": 10}, roles=OPERATOR)
    warehouses = {edge["node"]["code"]: edge["node"] for edge in reply["data"]["warehouses"]["edges"]}
    assert list(warehouses) == ["WH1", "WH2"]
    assert (warehouses["WH2"]["name"], warehouses["WH2"]["inTransitLocation"]) == ("Warehouse WH2", "IN_TRANSIT")
    wh1 = warehouses["WH1"]["locations"]
    assert [(edge["node"]["code"], edge["node"]["kind"]) for edge in wh1["edges"]] == [
        ("A-01", "STORAGE"),
        ("B-01", "STORAGE"),
    ]
    assert wh1["pageInfo"]["hasNextPage"] is True
    # The first page of every listed warehouse's locations comes from one call, whatever the warehouses.
    assert stock.calls == {"ListWarehouses": 1, "ListLocationPages": 1}

    forward, _ = await every_page(graphql, WAREHOUSES, {}, size=1)
    backward, pages = await every_page(graphql, WAREHOUSES, {}, size=1, backward=True)
    assert [w["code"] for w in forward] == [w["code"] for w in backward] == ["WH1", "WH2"]
    assert pages == 2
    wh1_id = forward[0]["id"]
    codes = {"code": wh1_id}
    locations, pages = await every_page(graphql, LOCATIONS, codes, size=2)
    assert ([location["code"] for location in locations], pages) == (["A-01", "B-01", "IN_TRANSIT"], 2)
    assert await every_page(graphql, LOCATIONS, codes, size=2, backward=True) == (locations, 2)


async def test_a_supervisor_creates_a_warehouse_with_its_in_transit_location_and_a_receiving_dock(
    graphql: GraphQL,
) -> None:
    created = await succeed(graphql, "createWarehouse", {"code": "wh3", "name": "North", "allowNegativeStock": True})
    assert created["warehouse"] == {
        "code": "WH3",
        "name": "North",
        "allowNegativeStock": True,
        "inTransitLocation": "IN_TRANSIT",
        "locations": {"edges": [{"node": {"code": "IN_TRANSIT", "kind": "IN_TRANSIT"}}]},
    }
    dock = await succeed(graphql, "createLocation", {"warehouse": "WH3", "code": "dock-1", "kind": "RECEIVING"})
    assert dock["location"] == {"warehouse": "WH3", "code": "DOCK-1", "kind": "RECEIVING"}


async def test_an_operator_may_not_set_up_a_warehouse_and_the_stock_service_is_not_asked(
    graphql: GraphQL, stock: Service
) -> None:
    payload = await mutate(graphql, "createWarehouse", {"code": "WH9", "name": "Mine"}, roles=OPERATOR)
    assert (payload["warehouse"], payload["userErrors"]) == (None, [{"field": None, "code": "PERMISSION_DENIED"}])
    assert not stock.calls
    reply = await graphql("{ warehouses { edges { node { code } } } }")
    assert [edge["node"]["code"] for edge in reply["data"]["warehouses"]["edges"]] == ["WH1", "WH2"]


async def test_an_operator_receives_boxes_which_are_booked_in_the_base_unit(graphql: GraphQL) -> None:
    business_time = datetime(2024, 5, 1, 8, 30, tzinfo=UTC)
    movement = await receive(
        graphql,
        "2",
        unit="box",
        document={"type": "PURCHASE_ORDER", "number": "PO-1", "line": "1"},
        businessTime=business_time.isoformat(),
        supplier="acme",
        supplierLot="ac-2291",
    )
    assert movement["type"] == "RECEIPT"
    assert (movement["supplier"], movement["supplierLot"]) == ("ACME", "ac-2291")
    assert (q(movement["quantity"]), movement["enteredUnit"]) == ("24", "BOX")
    assert (movement["from"], movement["to"]) == (None, place("WH1", "A-01"))
    assert movement["document"] == {"type": "PURCHASE_ORDER", "number": "PO-1", "line": "1"}
    assert movement["actor"] == "sam"
    assert datetime.fromisoformat(movement["businessTime"]) == business_time
    assert datetime.fromisoformat(movement["postedAt"]) > business_time
    assert await availability(graphql) == {
        "available": 24,
        "qcHold": 0,
        "rejected": 0,
        "inTransit": 0,
        "reserved": 0,
        "availableToPromise": 24,
        "unit": "PCS",
    }


async def test_an_issue_scrap_and_return_change_the_stock_of_their_status(graphql: GraphQL) -> None:
    await receive(graphql, "100")
    issued = await succeed(
        graphql,
        "issue",
        {
            "itemSku": "BOLT",
            "quantity": "10",
            "warehouse": "WH1",
            "location": "A-01",
            "document": {"type": "SALES_ORDER", "number": "SO-1"},
        },
        roles=OPERATOR,
    )
    assert (issued["movement"]["type"], issued["movement"]["from"], issued["movement"]["to"]) == (
        "ISSUE",
        place("WH1", "A-01"),
        None,
    )
    scrapped = await succeed(
        graphql,
        "scrap",
        {"itemSku": "BOLT", "quantity": "5", "warehouse": "WH1", "location": "A-01", "reasonCode": "BENT"},
        roles=OPERATOR,
    )
    assert (scrapped["movement"]["type"], scrapped["movement"]["reasonCode"]) == ("SCRAP", "BENT")
    returned = await succeed(
        graphql,
        "returnStock",
        {"itemSku": "BOLT", "quantity": "3", "warehouse": "WH1", "location": "B-01"},
        roles=OPERATOR,
    )
    assert (returned["movement"]["type"], returned["movement"]["to"]) == ("RETURN", place("WH1", "B-01", "QC_HOLD"))
    found = await availability(graphql)
    assert (found["available"], found["qcHold"]) == (85, 3)


async def test_stock_on_hold_is_released_by_hand_only_by_an_admin_giving_a_reason(graphql: GraphQL) -> None:
    await receive(graphql, "5", status="QC_HOLD")
    release = {"itemSku": "BOLT", "warehouse": "WH1", "location": "A-01", "quantity": "3", "toStatus": "AVAILABLE"}
    by_operator = await mutate(graphql, "changeStatus", release, roles=OPERATOR)
    assert by_operator["userErrors"] == [{"field": None, "code": "PERMISSION_DENIED"}]
    # Only quality's decisions release QC_HOLD: an inspector deciding by hand is refused by stock.
    by_inspector = await mutate(graphql, "changeStatus", {**release, "reasonCode": "ENTRY_ERROR"}, roles=("inspector",))
    assert by_inspector["userErrors"] == [{"field": "fromStatus", "code": "PERMISSION_DENIED"}]
    without_reason = await mutate(graphql, "changeStatus", release, roles=ADMIN)
    assert without_reason["userErrors"] == [{"field": "reasonCode", "code": "REQUIRED"}]

    corrected = await succeed(graphql, "changeStatus", {**release, "reasonCode": "ENTRY_ERROR"}, roles=ADMIN)
    rejected = await succeed(
        graphql,
        "changeStatus",
        {**release, "quantity": "2", "toStatus": "REJECTED", "reasonCode": "ENTRY_ERROR"},
        roles=ADMIN,
    )

    assert (corrected["movement"]["type"], corrected["movement"]["reasonCode"]) == ("STATUS_CHANGE", "ENTRY_ERROR")
    assert (corrected["movement"]["from"], corrected["movement"]["to"]) == (
        place("WH1", "A-01", "QC_HOLD"),
        place("WH1", "A-01", "AVAILABLE"),
    )
    assert rejected["movement"]["to"] == place("WH1", "A-01", "REJECTED")
    found = await availability(graphql)
    assert (found["qcHold"], found["available"], found["rejected"], found["availableToPromise"]) == (0, 3, 2, 3)


async def test_an_inspector_puts_available_stock_on_hold_by_document_and_a_manager_uses_rejected_stock_as_is(
    graphql: GraphQL,
) -> None:
    await receive(graphql, "5")
    hold = {"itemSku": "BOLT", "warehouse": "WH1", "location": "A-01", "quantity": "2", "fromStatus": "AVAILABLE"}
    document = {"type": "NCR", "number": "NCR-1"}
    undocumented = await mutate(graphql, "changeStatus", {**hold, "toStatus": "QC_HOLD"}, roles=("inspector",))
    assert undocumented["userErrors"] == [{"field": "document.type", "code": "REQUIRED"}]
    held = await succeed(
        graphql, "changeStatus", {**hold, "toStatus": "QC_HOLD", "document": document}, roles=("inspector",)
    )
    assert held["movement"]["to"] == place("WH1", "A-01", "QC_HOLD")
    await succeed(
        graphql,
        "changeStatus",
        {**hold, "fromStatus": "QC_HOLD", "toStatus": "REJECTED", "reasonCode": "ENTRY_ERROR"},
        roles=ADMIN,
    )

    use_as_is = {**hold, "fromStatus": "REJECTED", "toStatus": "AVAILABLE", "document": document}
    by_inspector = await mutate(graphql, "changeStatus", use_as_is, roles=("inspector",))
    assert by_inspector["userErrors"] == [{"field": "toStatus", "code": "PERMISSION_DENIED"}]
    used = await succeed(graphql, "changeStatus", use_as_is, roles=("manager",))

    assert used["movement"]["to"] == place("WH1", "A-01", "AVAILABLE")
    found = await availability(graphql)
    assert (found["qcHold"], found["available"], found["rejected"]) == (0, 5, 0)


async def test_a_lot_is_created_and_a_transfer_in_the_warehouse_keeps_it(graphql: GraphQL) -> None:
    lot = await succeed(
        graphql, "createLot", {"itemSku": "RESIN", "lot": "L7", "expiryDate": "2027-03-31"}, roles=OPERATOR
    )
    assert lot["lot"] == {"itemSku": "RESIN", "lot": "L7", "expiryDate": "2027-03-31"}
    received = await receive(graphql, "1", itemSku="RESIN", unit="DRUM", lot="L7")
    assert q(received["quantity"]) == "200"
    moved = await succeed(
        graphql,
        "transfer",
        {
            "itemSku": "RESIN",
            "quantity": "50",
            "lot": "L7",
            "from": {"warehouse": "WH1", "location": "A-01"},
            "to": {"warehouse": "WH1", "location": "B-01"},
        },
        roles=OPERATOR,
    )
    assert (moved["movement"]["from"], moved["movement"]["to"]) == (
        place("WH1", "A-01", lot="L7"),
        place("WH1", "B-01", lot="L7"),
    )
    balances, _ = await every_page(graphql, BALANCES, {"warehouse": "WH1"}, size=10)
    assert [(b["place"]["location"], b["place"]["lot"], q(b["quantity"]), b["lotExpiry"]) for b in balances] == [
        ("A-01", "L7", "150", "2027-03-31"),
        ("B-01", "L7", "50", "2027-03-31"),
    ]


async def test_a_supervisor_adjusts_with_several_reasons_and_an_operator_may_not(
    graphql: GraphQL, stock: Service
) -> None:
    first = await receive(graphql, "10")
    here = {"itemSku": "BOLT", "warehouse": "WH1", "location": "A-01"}
    stock.counter.clear()
    refused = await mutate(
        graphql,
        "adjust",
        {**here, "quantity": "1", "direction": "GAIN", "reasonCode": "COUNTING_ERROR"},
        roles=OPERATOR,
    )
    assert refused["userErrors"] == [{"field": None, "code": "PERMISSION_DENIED"}]
    assert not stock.calls

    loss = await succeed(
        graphql,
        "adjust",
        {
            **here,
            "quantity": "3",
            "direction": "LOSS",
            "reasons": [
                {"reasonCode": "COUNTING_ERROR", "quantity": "2"},
                {"reasonCode": "DAMAGE_NOT_RECORDED", "quantity": "1"},
            ],
            "document": {"type": "COUNT", "number": "C-1", "line": "4"},
        },
    )
    assert (loss["movement"]["type"], loss["movement"]["from"], loss["movement"]["to"]) == (
        "ADJUSTMENT",
        place("WH1", "A-01"),
        None,
    )
    assert [(r["reasonCode"], q(r["quantity"])) for r in loss["movement"]["reasons"]] == [
        ("COUNTING_ERROR", "2"),
        ("DAMAGE_NOT_RECORDED", "1"),
    ]
    gain = await succeed(
        graphql,
        "adjust",
        {
            **here,
            "quantity": "1",
            "unit": "BOX",
            "direction": "GAIN",
            "reasonCode": "RECEIPT_NOT_RECORDED",
            "correctsMovementId": first["id"],
        },
        roles=("manager",),
    )
    assert (gain["movement"]["to"], q(gain["movement"]["quantity"])) == (place("WH1", "A-01"), "12")
    assert gain["movement"]["correctsMovementId"] == first["id"]
    assert (await availability(graphql))["available"] == 19


async def test_stock_is_reserved_released_in_part_and_issued_against_the_reservation(graphql: GraphQL) -> None:
    await receive(graphql, "20")
    owner = {"type": "SALES_ORDER", "number": "SO-9"}
    made = await succeed(
        graphql,
        "reserve",
        {
            "lines": [
                {"itemSku": "BOLT", "warehouse": "WH1", "quantity": "15"},
                {"itemSku": "BOLT", "warehouse": "WH2", "quantity": "5"},
            ],
            "owner": owner,
            "policy": "PARTIAL",
            "expiresAt": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
        },
        roles=OPERATOR,
    )
    held, nothing = made["reservations"]
    assert (q(held["open"]), held["state"], held["owner"]) == ("15", "OPEN", {**owner, "line": None})
    assert held["expiresAt"] is not None
    assert datetime.fromisoformat(held["createdAt"]) <= datetime.now(UTC)
    assert (q(nothing["requested"]), q(nothing["open"]), nothing["state"]) == ("5", "0", "RELEASED")

    released = await succeed(graphql, "release", {"reservationId": held["id"], "quantity": "3"}, roles=OPERATOR)
    assert (q(released["reservation"]["open"]), q(released["reservation"]["released"])) == ("12", "3")

    issue = {"reservationId": held["id"], "quantity": "1", "unit": "BOX"}
    nowhere = await mutate(graphql, "issueReservation", {**issue, "location": "Z-99"}, roles=OPERATOR)
    assert nowhere["userErrors"] == [{"field": "location", "code": "NOT_FOUND"}]
    issued = (await succeed(graphql, "issueReservation", {**issue, "location": "A-01"}, roles=OPERATOR))["movement"]
    assert (issued["type"], q(issued["quantity"]), issued["reservationId"]) == ("ISSUE", "12", held["id"])
    assert issued["document"] == {**owner, "line": None}

    found = await availability(graphql)
    assert (found["available"], found["reserved"], found["availableToPromise"]) == (8, 0, 8)
    listed, _ = await every_page(graphql, RESERVATIONS, {"owner": owner}, size=10)
    # Both were made in one call, at one time: the listing orders them by id, which says nothing.
    assert sorted((r["state"], q(r["consumed"])) for r in listed) == [("CONSUMED", "12"), ("RELEASED", "0")]
    assert await every_page(graphql, RESERVATIONS, {"owner": owner, "open": True}, size=10) == ([], 1)


async def test_the_balance_as_of_a_past_time_leaves_out_later_movements(graphql: GraphQL) -> None:
    now = datetime.now(UTC)
    await receive(graphql, "10", businessTime=(now - timedelta(hours=2)).isoformat())
    await receive(graphql, "5", businessTime=(now - timedelta(hours=1)).isoformat())
    query = """query AsOf($at: DateTime!) {
      balanceAsOf(itemSku: "BOLT", place: {warehouse: "WH1", location: "A-01"}, asOf: $at) {
        quantity unit asOf place { location status } } }"""
    between = (await graphql(query, {"at": (now - timedelta(minutes=90)).isoformat()}))["data"]["balanceAsOf"]
    assert (q(between["quantity"]), between["unit"], between["place"]) == (
        "10",
        "PCS",
        {"location": "A-01", "status": "AVAILABLE"},
    )
    assert datetime.fromisoformat(between["asOf"]) == now - timedelta(minutes=90)
    latest = (await graphql(query, {"at": datetime.now(UTC).isoformat()}))["data"]["balanceAsOf"]
    assert q(latest["quantity"]) == "15"


async def test_only_an_admin_reads_the_integrity_report(graphql: GraphQL, stock: Service) -> None:
    await receive(graphql, "7")
    query = "{ integrityReport { balancesChecked availabilitiesChecked drifts { kind } } }"
    stock.counter.clear()
    refused = await graphql(query)
    [error] = refused["errors"]
    assert error["extensions"] == {"code": "PERMISSION_DENIED", "field": None}
    assert not stock.calls
    report = (await graphql(query, roles=("admin",)))["data"]["integrityReport"]
    assert report == {"balancesChecked": 1, "availabilitiesChecked": 1, "drifts": []}


async def test_an_integrity_reports_drifts_name_their_kind_as_an_enum_value(graphql: GraphQL, stock: Service) -> None:
    await receive(graphql, "7")
    # Stored quantities the ledger does not explain: only a bug, or a hand in the database, makes them.
    async with stock.running.uows() as uow:
        await uow.session.execute(update(availability_table).values(qc_hold=availability_table.c.qc_hold + 3))
        await uow.session.execute(update(balances_table).values(quantity=balances_table.c.quantity + 1))
        await uow.commit()
    query = "{ integrityReport { drifts { kind itemSku warehouse place { location status } recorded recomputed } } }"
    body = await graphql(query, roles=("admin",))
    assert "errors" not in body, body["errors"]
    drifts = body["data"]["integrityReport"]["drifts"]
    found = sorted(
        (d["kind"], d["itemSku"], d["warehouse"], d["place"], q(d["recorded"]), q(d["recomputed"])) for d in drifts
    )
    assert found == [
        ("BALANCE", "BOLT", "WH1", {"location": "A-01", "status": "AVAILABLE"}, "8", "7"),
        ("QC_HOLD", "BOLT", "WH1", None, "3", "0"),
    ]
    # The kind is an enum value, not a string: a client can switch over every kind there is.
    introspected = await graphql(
        """{ __type(name: "Drift") { fields { name type { ofType { kind name enumValues { name } } } } } }"""
    )
    [kind] = [field["type"]["ofType"] for field in introspected["data"]["__type"]["fields"] if field["name"] == "kind"]
    assert (kind["kind"], kind["name"]) == ("ENUM", "DriftKind")
    assert [value["name"] for value in kind["enumValues"]] == [
        "BALANCE",
        "RESERVED",
        "AVAILABLE",
        "QC_HOLD",
        "REJECTED",
        "IN_TRANSIT",
    ]


def test_a_drift_kind_the_gateway_does_not_know_is_a_clear_error() -> None:
    assert enum_from_code(DriftKind, "IN_TRANSIT", "Drift.kind") is DriftKind.IN_TRANSIT
    with pytest.raises(ValueError, match=r"Drift\.kind: the service sent 'LOCATION', which this gateway"):
        enum_from_code(DriftKind, "LOCATION", "Drift.kind")


async def test_filters_given_as_null_list_everything(graphql: GraphQL) -> None:
    await receive(graphql, "3")
    await receive(graphql, "4", warehouse="WH2")
    owner = {"type": "SALES_ORDER", "number": "SO-3"}
    lines = [{"itemSku": "BOLT", "warehouse": "WH2", "quantity": "1"}]
    await succeed(graphql, "reserve", {"lines": lines, "owner": owner}, roles=OPERATOR)
    query = """query Everything($any: String) {
      balances(itemSku: $any, warehouse: $any, location: $any) { edges { node { place { warehouse } quantity } } }
      movements(
        itemSku: $any, warehouse: $any, location: $any, lot: $any, documentType: $any, documentId: $any, actor: $any
      ) { edges { node { quantity } } }
      reservations(itemSku: $any, warehouse: $any) { edges { node { warehouse } } } }"""
    # Null means any; so does the empty string, which clients built before still send.
    for any_ in (None, ""):
        body = await graphql(query, {"any": any_})
        assert "errors" not in body, body["errors"]
        data = body["data"]
        balances = [edge["node"] for edge in data["balances"]["edges"]]
        assert sorted((b["place"]["warehouse"], q(b["quantity"])) for b in balances) == [("WH1", "3"), ("WH2", "4")]
        assert [q(edge["node"]["quantity"]) for edge in data["movements"]["edges"]] == ["3", "4"]
        assert data["reservations"]["edges"] == [{"node": {"warehouse": "WH2"}}]
    literal = await graphql("{ movements(itemSku: null, warehouse: null) { edges { node { quantity } } } }")
    assert [q(edge["node"]["quantity"]) for edge in literal["data"]["movements"]["edges"]] == ["3", "4"]


async def test_a_receipt_sent_twice_with_one_idempotency_key_is_posted_once(graphql: GraphQL) -> None:
    key = str(uuid.uuid4())
    first = await receive(graphql, "4", idempotencyKey=key)
    again = await receive(graphql, "4", idempotencyKey=key)
    assert again["id"] == first["id"]
    movements, _ = await every_page(graphql, MOVEMENTS, {"sku": "BOLT"}, size=10)
    assert len(movements) == 1


HERE = {"itemSku": "BOLT", "warehouse": "WH1", "location": "A-01"}


@pytest.mark.parametrize(
    ("name", "input", "field", "code"),
    [
        ("receive", {**HERE, "quantity": "0"}, "quantity", "OUT_OF_RANGE"),
        ("receive", {**HERE, "quantity": "0.0000001"}, "quantity", "TOO_PRECISE"),
        ("receive", {**HERE, "quantity": "1", "unit": "CRATE"}, "unit", "NOT_FOUND"),
        ("receive", {**HERE, "quantity": "1", "location": "Z-99"}, "location", "NOT_FOUND"),
        ("receive", {**HERE, "quantity": "1", "lot": "L1"}, "lot", "INVALID_FORMAT"),
        ("receive", {**HERE, "itemSku": "RESIN", "quantity": "1"}, "lot", "REQUIRED"),
        ("receive", {**HERE, "quantity": "1", "businessTime": "2024-05-01T08:00:00"}, "businessTime", "INVALID_FORMAT"),
        ("receive", {**HERE, "quantity": "1", "businessTime": "2999-01-01T00:00:00Z"}, "businessTime", "OUT_OF_RANGE"),
        ("issue", {**HERE, "quantity": "11"}, "quantity", "INSUFFICIENT_STOCK"),
        ("returnStock", {**HERE, "quantity": "1", "warehouse": "WH7"}, "warehouse", "NOT_FOUND"),
        (
            "transfer",
            {
                "itemSku": "BOLT",
                "quantity": "1",
                "from": {"warehouse": "WH1", "location": "A-01"},
                "to": {"warehouse": "WH2", "location": "A-01"},
            },
            "to.location",
            "INVALID_STATE",
        ),
        (
            "changeStatus",
            {**HERE, "quantity": "1", "fromStatus": "AVAILABLE", "toStatus": "REJECTED"},
            "toStatus",
            "INVALID_STATE",
        ),
        (
            "adjust",
            {
                **HERE,
                "quantity": "3",
                "direction": "LOSS",
                "reasons": [{"reasonCode": "COUNTING_ERROR", "quantity": "2"}],
            },
            "reasons",
            "OUT_OF_RANGE",
        ),
        (
            "adjust",
            {
                **HERE,
                "quantity": "2",
                "direction": "GAIN",
                "reasons": [
                    {"reasonCode": "COUNTING_ERROR", "quantity": "1"},
                    {"reasonCode": "GUESS", "quantity": "1"},
                ],
            },
            "reasons[1].reasonCode",
            "INVALID_FORMAT",
        ),
        (
            "adjust",
            {
                **HERE,
                "quantity": "1",
                "direction": "GAIN",
                "reasonCode": "ENTRY_ERROR",
                "correctsMovementId": global_id("Movement", "no-such-movement"),
            },
            "correctsMovementId",
            "NOT_FOUND",
        ),
        (
            "adjust",
            {**HERE, "quantity": "1", "direction": "GAIN", "reasonCode": "ENTRY_ERROR", "correctsMovementId": "nope"},
            "correctsMovementId",
            "INVALID_FORMAT",
        ),
        (
            "reserve",
            {
                "lines": [{"itemSku": "BOLT", "warehouse": "WH1", "quantity": "11"}],
                "owner": {"type": "SALES_ORDER", "number": "SO-1"},
            },
            "lines[0].quantity",
            "INSUFFICIENT_STOCK",
        ),
        (
            "reserve",
            {
                "lines": [{"itemSku": "BOLT", "warehouse": "WH7", "quantity": "1"}],
                "owner": {"type": "SALES_ORDER", "number": "SO-1"},
            },
            "lines[0].warehouse",
            "NOT_FOUND",
        ),
        (
            "issueReservation",
            {"reservationId": global_id("Reservation", "no-such-reservation"), "quantity": "1", "location": "A-01"},
            "reservationId",
            "NOT_FOUND",
        ),
        (
            "issueReservation",
            {"reservationId": global_id("Movement", "no-such-reservation"), "quantity": "1", "location": "A-01"},
            "reservationId",
            "INVALID_FORMAT",
        ),
        # Every string has a limit (invariant_kernel.limits): an id 64, a code 40, any text 2,000.
        (
            "receive",
            {**HERE, "quantity": "1", "document": {"type": "PO", "number": "P" * 65}},
            "document.number",
            "OUT_OF_RANGE",
        ),
        (
            "receive",
            {**HERE, "quantity": "1", "document": {"type": "P" * 41, "number": "1"}},
            "document.type",
            "OUT_OF_RANGE",
        ),
        (
            "receive",
            {**HERE, "quantity": "1", "document": {"type": "PO", "number": "1", "line": "9" * 41}},
            "document.line",
            "OUT_OF_RANGE",
        ),
        (
            "receive",
            {**HERE, "quantity": "1", "document": {"type": "PO", "number": "P" * 1_100_000}},
            "document.number",
            "OUT_OF_RANGE",
        ),
        (
            "adjust",
            {**HERE, "quantity": "1", "direction": "GAIN", "reasonCode": "R" * 41},
            "reasonCode",
            "OUT_OF_RANGE",
        ),
        (
            "reserve",
            {
                "lines": [{"itemSku": "BOLT", "warehouse": "WH1", "quantity": "1"}],
                "owner": {"type": "SALES_ORDER", "number": "S" * 65},
            },
            "owner.number",
            "OUT_OF_RANGE",
        ),
        ("createWarehouse", {"code": "WH9", "name": "N" * 201}, "name", "OUT_OF_RANGE"),
    ],
)
async def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(
    graphql: GraphQL, name: str, input: dict[str, Any], field: str, code: str
) -> None:
    await receive(graphql, "10")
    before = await availability(graphql)
    payload = await mutate(graphql, name, input)
    assert payload["userErrors"] == [{"field": field, "code": code}]
    everything = await graphql("{ movements(first: 100) { edges { node { id } } } }")
    assert len(everything["data"]["movements"]["edges"]) == 1
    assert await availability(graphql) == before


async def test_movements_and_balances_are_paged_through_with_cursors(graphql: GraphQL) -> None:
    for quantity, location, status in [
        ("1", "A-01", "AVAILABLE"),
        ("2", "B-01", "AVAILABLE"),
        ("3", "A-01", "QC_HOLD"),
        ("4", "A-01", "AVAILABLE"),
        ("5", "B-01", "QC_HOLD"),
    ]:
        await receive(graphql, quantity, location=location, status=status)

    movements, pages = await every_page(graphql, MOVEMENTS, {"sku": "BOLT"}, size=2)
    assert [q(movement["quantity"]) for movement in movements] == ["1", "2", "3", "4", "5"]
    assert pages == 3
    assert await every_page(graphql, MOVEMENTS, {"sku": "BOLT"}, size=2, backward=True) == (movements, 3)

    balances, pages = await every_page(graphql, BALANCES, {"warehouse": "WH1"}, size=3)
    assert [(b["place"]["location"], b["place"]["status"], q(b["quantity"])) for b in balances] == [
        ("A-01", "AVAILABLE", "5"),
        ("A-01", "QC_HOLD", "3"),
        ("B-01", "AVAILABLE", "2"),
        ("B-01", "QC_HOLD", "5"),
    ]
    assert pages == 2
    assert await every_page(graphql, BALANCES, {"warehouse": "WH1"}, size=3, backward=True) == (balances, 2)


async def test_availability_in_a_warehouse_that_does_not_exist_is_not_found_rather_than_zero(graphql: GraphQL) -> None:
    assert (await availability(graphql, warehouse="WH2"))["available"] == 0
    typo = await graphql(AVAILABILITY, {"sku": "BOLT", "warehouse": "WH9"})
    assert typo["data"] is None
    assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in typo["errors"]] == [("NOT_FOUND", "warehouse")]


NODE = """query Node($id: ID!) { node(id: $id) {
  __typename id
  ... on Movement { quantity reservationId }
  ... on Reservation { open owner { type number line } }
  ... on Warehouse { code name }
  ... on Location { warehouse code kind } } }"""


async def test_movements_reservations_warehouses_and_locations_are_fetched_again_by_their_id(
    graphql: GraphQL, stock: Service
) -> None:
    await receive(graphql, "10")
    lines = [{"itemSku": "BOLT", "warehouse": "WH1", "quantity": str(n)} for n in (1, 2)]
    made = await succeed(
        graphql, "reserve", {"lines": lines, "owner": {"type": "SALES_ORDER", "number": "SO-1"}}, roles=OPERATOR
    )
    first, second = made["reservations"]
    issued = await succeed(
        graphql, "issueReservation", {"reservationId": first["id"], "quantity": "1", "location": "A-01"}
    )
    warehouses, _ = await every_page(graphql, WAREHOUSES, {}, size=10)
    [location, *_] = (await every_page(graphql, LOCATIONS, {"code": warehouses[1]["id"]}, size=10))[0]

    # The reservation an issue names is fetched by that id: it is the reservation's own.
    reservation_id = issued["movement"]["reservationId"]
    assert reservation_id == first["id"]
    expected = {
        issued["movement"]["id"]: {"__typename": "Movement", "quantity": "1"},
        reservation_id: {"__typename": "Reservation", "open": "0"},
        second["id"]: {"__typename": "Reservation", "owner": {"type": "SALES_ORDER", "number": "SO-1", "line": None}},
        warehouses[1]["id"]: {"__typename": "Warehouse", "code": "WH2", "name": "Warehouse WH2"},
        location["id"]: {"__typename": "Location", "warehouse": "WH2", "code": "A-01", "kind": "STORAGE"},
    }
    for node_id, fields in expected.items():
        stock.counter.clear()
        body = await graphql(NODE, {"id": node_id})
        assert "errors" not in body, body["errors"]
        found = body["data"]["node"]
        assert found["id"] == node_id
        assert {name: q(found[name]) if name in ("quantity", "open") else found[name] for name in fields} == fields
        assert sum(stock.calls.values()) == 1, stock.calls

    for missing in (global_id("Movement", "no-such-movement"), global_id("Location", "WH1:Z-99")):
        assert (await graphql(NODE, {"id": missing}))["data"]["node"] is None
    refused = await graphql(NODE, {"id": "not-an-id"})
    assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in refused["errors"]] == [
        ("INVALID_FORMAT", "id")
    ]


async def test_an_argument_given_the_id_of_another_type_is_refused_naming_it(graphql: GraphQL, stock: Service) -> None:
    movement = await receive(graphql, "10")
    stock.counter.clear()
    payload = await mutate(graphql, "release", {"reservationId": movement["id"]}, roles=OPERATOR)
    assert (payload["reservation"], payload["userErrors"]) == (
        None,
        [{"field": "reservationId", "code": "INVALID_FORMAT"}],
    )
    warehouse = (await every_page(graphql, WAREHOUSES, {}, size=10))[0][0]
    correction = {**HERE, "quantity": "1", "direction": "GAIN", "reasonCode": "ENTRY_ERROR"}
    payload = await mutate(graphql, "adjust", {**correction, "correctsMovementId": warehouse["id"]})
    assert payload["userErrors"] == [{"field": "correctsMovementId", "code": "INVALID_FORMAT"}]
    assert stock.calls == {"ListWarehouses": 1}


async def test_reservations_are_paged_oldest_first_forward_and_backward(graphql: GraphQL) -> None:
    await receive(graphql, "10")
    owner = {"type": "SALES_ORDER", "number": "SO-7"}
    for line in ("1", "2", "3"):
        lines = [{"itemSku": "BOLT", "warehouse": "WH1", "quantity": line}]
        await succeed(graphql, "reserve", {"lines": lines, "owner": {**owner, "line": line}}, roles=OPERATOR)

    forward, pages = await every_page(graphql, RESERVATIONS, {"owner": owner}, size=2)
    # Lines of one document share its number and keep their own line: a cache keeps them apart by id.
    assert [(r["owner"]["number"], r["owner"]["line"], q(r["open"])) for r in forward] == [
        ("SO-7", "1", "1"),
        ("SO-7", "2", "2"),
        ("SO-7", "3", "3"),
    ]
    assert len({r["id"] for r in forward}) == 3
    assert pages == 2
    assert await every_page(graphql, RESERVATIONS, {"owner": owner}, size=2, backward=True) == (forward, 2)
    too_long = await graphql(RESERVATIONS, {"owner": {"type": "SALES_ORDER", "number": "S" * 65}, "first": 1})
    assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in too_long["errors"]] == [
        ("OUT_OF_RANGE", "owner.number")
    ]
