"""The catalog through the gateway over HTTP, with the real processes behind it."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from e2e_support import GraphQL, token

pytestmark = pytest.mark.asyncio(loop_scope="module")

ITEM = "id sku name baseUnit units { unit factor } barcodes { code symbology } standardCost thresholds { warehouse }"
USER_ERRORS = "userErrors { field message code }"
CREATE_ITEM = f"""
mutation Create($input: CreateItemInput!) {{ createItem(input: $input) {{ item {{ {ITEM} }} {USER_ERRORS} }} }}
"""
UPDATE_ITEM = f"""
mutation Update($input: UpdateItemInput!) {{ updateItem(input: $input) {{ item {{ {ITEM} }} {USER_ERRORS} }} }}
"""
SET_THRESHOLDS = f"""
mutation Thresholds($input: SetThresholdsInput!) {{ setThresholds(input: $input) {{ item {{ sku }} {USER_ERRORS} }} }}
"""
BY_BARCODE = f"query Scan($code: String!) {{ itemByBarcode(code: $code) {{ {ITEM} }} }}"
GET_ITEM = f"query Item($sku: String!) {{ item(sku: $sku) {{ {ITEM} }} }}"
BOM = "bomVersion { id state lines { componentSku quantity unit scrapPercent } }"
CREATE_BOM = f"""
mutation Draft($input: CreateBomVersionInput!) {{ createBomVersion(input: $input) {{ {BOM} {USER_ERRORS} }} }}
"""
ADD_LINE = f"mutation Add($input: AddBomLineInput!) {{ addBomLine(input: $input) {{ {BOM} {USER_ERRORS} }} }}"
ACTIVATE = f"""
mutation Activate($input: ActivateBomVersionInput!) {{ activateBomVersion(input: $input) {{ {BOM} {USER_ERRORS} }} }}
"""
GET_BOM = "query Bom($id: ID!) { bomVersion(id: $id) { state lines { componentSku } } }"
AUDIT = """
query Audit($sku: String!) {
  itemAudit(sku: $sku) { edges { node { entity action actor changes { field before after } } } }
}
"""


def new_sku(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10].upper()}"


def ean13() -> str:
    """A random EAN-13 with a correct GS1 check digit."""
    payload = "".join(random.choices("0123456789", k=12))
    total = sum(int(digit) * (3 if index % 2 else 1) for index, digit in enumerate(payload))
    return payload + str((10 - total % 10) % 10)


async def create_item(graphql: GraphQL, sku: str, **fields: Any) -> dict[str, Any]:
    reply = await graphql(CREATE_ITEM, {"input": {"sku": sku, "name": f"Item {sku}", "baseUnit": "PCS", **fields}})
    payload = reply["data"]["createItem"]
    assert payload["userErrors"] == [], payload["userErrors"]
    item: dict[str, Any] = payload["item"]
    return item


async def find_item(graphql: GraphQL, sku: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = (await graphql(GET_ITEM, {"sku": sku}))["data"]["item"]
    return found


async def audit(graphql: GraphQL, sku: str) -> list[dict[str, Any]]:
    reply = await graphql(AUDIT, {"sku": sku})
    return [edge["node"] for edge in reply["data"]["itemAudit"]["edges"]]


async def draft(graphql: GraphQL, parent_sku: str) -> str:
    reply = await graphql(CREATE_BOM, {"input": {"parentSku": parent_sku, "effectiveFrom": date.today().isoformat()}})
    payload = reply["data"]["createBomVersion"]
    assert payload["userErrors"] == [], payload["userErrors"]
    return str(payload["bomVersion"]["id"])


async def add_line(graphql: GraphQL, bom_id: str, component_sku: str, quantity: str, **fields: str) -> dict[str, Any]:
    reply = await graphql(
        ADD_LINE, {"input": {"bomId": bom_id, "componentSku": component_sku, "quantity": quantity, **fields}}
    )
    payload: dict[str, Any] = reply["data"]["addBomLine"]
    return payload


async def activate(graphql: GraphQL, bom_id: str) -> dict[str, Any]:
    payload = (await graphql(ACTIVATE, {"input": {"bomId": bom_id}}))["data"]["activateBomVersion"]
    assert payload["userErrors"] == [], payload["userErrors"]
    version: dict[str, Any] = payload["bomVersion"]
    return version


def user_error(payload: dict[str, Any]) -> tuple[str | None, str]:
    [error] = payload["userErrors"]
    return error["field"], error["code"]


@dataclass(frozen=True)
class Bike:
    bike: str
    frame: str
    tube: str
    bolt: str


async def build_bike(graphql: GraphQL) -> Bike:
    """BIKE -> FRAME -> TUBE, with BOLT on the bike and on the frame; both BOMs active."""
    bike = Bike(new_sku("BIKE"), new_sku("FRAME"), new_sku("TUBE"), new_sku("BOLT"))
    for sku in (bike.bike, bike.frame, bike.bolt):
        await create_item(graphql, sku)
    await create_item(graphql, bike.tube, baseUnit="CM", units=[{"unit": "M", "factor": "100"}])

    frame_bom = await draft(graphql, bike.frame)
    for component, quantity, extra in [
        (bike.tube, "1.2", {"unit": "M", "scrapPercent": "5"}),
        (bike.bolt, "6", {"scrapPercent": "10"}),
    ]:
        payload = await add_line(graphql, frame_bom, component, quantity, **extra)
        assert payload["userErrors"] == [], payload["userErrors"]
    assert (await activate(graphql, frame_bom))["state"] == "ACTIVE"

    bike_bom = await draft(graphql, bike.bike)
    for component, quantity in [(bike.frame, "1"), (bike.bolt, "4")]:
        payload = await add_line(graphql, bike_bom, component, quantity)
        assert payload["userErrors"] == [], payload["userErrors"]
    assert (await activate(graphql, bike_bom))["state"] == "ACTIVE"
    return bike


async def test_an_item_is_created_with_units_and_barcodes_and_found_by_its_barcode(graphql: GraphQL) -> None:
    sku, barcode = new_sku("CHAIN"), ean13()
    created = await create_item(
        graphql,
        sku,
        units=[{"unit": "BOX", "factor": "12"}],
        barcodes=[{"code": barcode, "symbology": "EAN13"}],
        standardCost="4.25",
    )
    assert (created["sku"], created["baseUnit"]) == (sku, "PCS")

    found = (await graphql(BY_BARCODE, {"code": barcode}))["data"]["itemByBarcode"]
    assert found["id"] == created["id"]
    assert [(unit["unit"], Decimal(unit["factor"])) for unit in found["units"]] == [("BOX", Decimal(12))]
    assert found["barcodes"] == [{"code": barcode, "symbology": "EAN13"}]
    assert Decimal(found["standardCost"]) == Decimal("4.25")


async def test_a_three_level_bom_explodes_into_exact_totals_and_a_tree_by_level(graphql: GraphQL) -> None:
    bike = await build_bike(graphql)
    reply = await graphql(
        """query Explode($sku: String!) { explodeBom(parentSku: $sku, quantity: "10") {
             requirements { componentSku quantity unit leaf }
             tree { level path componentSku quantity unit } } }""",
        {"sku": bike.bike},
    )
    explosion = reply["data"]["explodeBom"]
    # For 10 bikes, by hand:
    #   FRAME  10 x 1                         =   10 PCS
    #   TUBE   10 FRAME x 1.2 M x 100 CM/M x 1.05 scrap = 1260 CM
    #   BOLT   on the frame: 10 FRAME x 6 x 1.10 scrap =   66 PCS
    #          on the bike:  10 x 4                    =   40 PCS, 106 PCS in all
    tree = [
        (node["level"], node["path"], node["componentSku"], Decimal(node["quantity"]), node["unit"])
        for node in explosion["tree"]
    ]
    assert tree == [
        (1, [bike.bike, bike.frame], bike.frame, Decimal(10), "PCS"),
        (2, [bike.bike, bike.frame, bike.tube], bike.tube, Decimal(1260), "CM"),
        (2, [bike.bike, bike.frame, bike.bolt], bike.bolt, Decimal(66), "PCS"),
        (1, [bike.bike, bike.bolt], bike.bolt, Decimal(40), "PCS"),
    ]
    requirements = {
        requirement["componentSku"]: (Decimal(requirement["quantity"]), requirement["unit"], requirement["leaf"])
        for requirement in explosion["requirements"]
    }
    assert requirements == {
        bike.frame: (Decimal(10), "PCS", False),
        bike.tube: (Decimal(1260), "CM", True),
        bike.bolt: (Decimal(106), "PCS", True),
    }


async def test_a_line_that_would_close_a_cycle_is_refused_naming_the_cycle(graphql: GraphQL) -> None:
    bike = await build_bike(graphql)
    tube_bom = await draft(graphql, bike.tube)
    payload = await add_line(graphql, tube_bom, bike.bike, "1")
    [error] = payload["userErrors"]
    assert (error["field"], error["code"]) == ("componentSku", "CYCLE")
    assert f"{bike.tube} → {bike.bike} → {bike.frame} → {bike.tube}" in error["message"]
    assert payload["bomVersion"] is None
    assert (await graphql(GET_BOM, {"id": tube_bom}))["data"]["bomVersion"] == {"state": "DRAFT", "lines": []}


async def test_the_audit_trail_names_who_changed_which_fields_from_what_to_what(graphql: GraphQL) -> None:
    sku = new_sku("SADDLE")
    sam = token("sam", "supervisor")
    reply = await graphql(
        CREATE_ITEM, {"input": {"sku": sku, "name": "Saddle", "baseUnit": "PCS", "standardCost": "1.5"}}, as_=sam
    )
    assert reply["data"]["createItem"]["userErrors"] == []
    reply = await graphql(UPDATE_ITEM, {"input": {"sku": sku, "name": "Gel saddle", "standardCost": "2.25"}}, as_=sam)
    assert reply["data"]["updateItem"]["userErrors"] == []

    created, updated = await audit(graphql, sku)
    assert (created["entity"], created["action"], created["actor"]) == ("ITEM", "CREATED", "sam")
    assert all(change["before"] is None for change in created["changes"])
    assert {"field": "name", "before": None, "after": '"Saddle"'} in created["changes"]
    assert (updated["action"], updated["actor"]) == ("UPDATED", "sam")
    assert updated["changes"] == [
        {"field": "name", "before": '"Saddle"', "after": '"Gel saddle"'},
        {"field": "standardCost", "before": '"1.5"', "after": '"2.25"'},
    ]


async def test_a_request_without_a_token_is_refused_and_writes_nothing(graphql: GraphQL) -> None:
    sku = new_sku("ANON")
    reply = await graphql(CREATE_ITEM, {"input": {"sku": sku, "name": "Anonymous", "baseUnit": "PCS"}}, as_=None)
    assert reply["data"] is None
    [error] = reply["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert await find_item(graphql, sku) is None


async def test_an_operator_may_not_create_an_item(graphql: GraphQL) -> None:
    sku = new_sku("OPER")
    reply = await graphql(
        CREATE_ITEM, {"input": {"sku": sku, "name": "Not mine", "baseUnit": "PCS"}}, as_=token("olga", "operator")
    )
    payload = reply["data"]["createItem"]
    assert payload["item"] is None
    assert user_error(payload) == (None, "PERMISSION_DENIED")
    assert await find_item(graphql, sku) is None


async def test_a_duplicate_sku_is_refused_and_the_first_item_is_kept(graphql: GraphQL) -> None:
    sku = new_sku("DUP")
    await create_item(graphql, sku, name="First")
    reply = await graphql(CREATE_ITEM, {"input": {"sku": sku, "name": "Second", "baseUnit": "KG"}})
    assert user_error(reply["data"]["createItem"]) == ("sku", "ALREADY_EXISTS")
    kept = await find_item(graphql, sku)
    assert kept is not None and (kept["name"], kept["baseUnit"]) == ("First", "PCS")
    assert [entry["action"] for entry in await audit(graphql, sku)] == ["CREATED"]


def _wrong_check_digit(code: str) -> str:
    return code[:-1] + str((int(code[-1]) + 1) % 10)


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        (
            {"barcodes": [{"code": _wrong_check_digit(ean13()), "symbology": "EAN13"}]},
            "barcodes[0].code",
            "INVALID_FORMAT",
        ),
        ({"barcodes": [{"code": _wrong_check_digit(ean13())}]}, "barcodes[0].code", "INVALID_FORMAT"),
        ({"units": [{"unit": "BOX", "factor": "0"}]}, "units[0].factor", "OUT_OF_RANGE"),
        ({"standardCost": "1.23456"}, "standardCost", "TOO_PRECISE"),
    ],
    ids=[
        "an EAN-13 with a wrong check digit",
        "13 digits with a wrong check digit and no symbology",
        "a zero conversion factor",
        "a cost with five decimal places",
    ],
)
async def test_an_item_with_bad_input_is_refused_naming_the_field_and_not_created(
    graphql: GraphQL, fields: dict[str, Any], field: str, code: str
) -> None:
    sku = new_sku("BAD")
    reply = await graphql(CREATE_ITEM, {"input": {"sku": sku, "name": "Bad", "baseUnit": "PCS", **fields}})
    payload = reply["data"]["createItem"]
    assert payload["item"] is None
    assert user_error(payload) == (field, code)
    assert await find_item(graphql, sku) is None


async def test_a_nan_cost_is_refused_before_the_catalog_is_asked(graphql: GraphQL) -> None:
    # The Decimal scalar refuses NaN while the request is validated, so this is a GraphQL
    # error about the input, not a user error: no resolver runs.
    sku = new_sku("NAN")
    reply = await graphql(CREATE_ITEM, {"input": {"sku": sku, "name": "NaN", "baseUnit": "PCS", "standardCost": "NaN"}})
    assert reply["data"] is None
    [error] = reply["errors"]
    assert ".standardCost" in error["message"] and "finite" in error["message"]
    assert await find_item(graphql, sku) is None


async def test_a_max_stock_below_the_safety_stock_is_refused_and_nothing_is_set(graphql: GraphQL) -> None:
    sku = new_sku("PEDAL")
    await create_item(graphql, sku)
    reply = await graphql(
        SET_THRESHOLDS, {"input": {"sku": sku, "warehouse": "MAIN", "safetyStock": "10", "maxStock": "5"}}
    )
    assert user_error(reply["data"]["setThresholds"]) == ("maxStock", "OUT_OF_RANGE")
    item = await find_item(graphql, sku)
    assert item is not None and item["thresholds"] == []
    assert [entry["action"] for entry in await audit(graphql, sku)] == ["CREATED"]


async def test_an_active_bom_cannot_be_edited(graphql: GraphQL) -> None:
    parent, wheel, spoke = new_sku("WHEEL-SET"), new_sku("WHEEL"), new_sku("SPOKE")
    for sku in (parent, wheel, spoke):
        await create_item(graphql, sku)
    bom_id = await draft(graphql, parent)
    assert (await add_line(graphql, bom_id, wheel, "2"))["userErrors"] == []
    await activate(graphql, bom_id)

    payload = await add_line(graphql, bom_id, spoke, "64")
    assert user_error(payload) == ("bomId", "INVALID_STATE")
    bom = (await graphql(GET_BOM, {"id": bom_id}))["data"]["bomVersion"]
    assert bom == {"state": "ACTIVE", "lines": [{"componentSku": wheel}]}


async def test_a_create_sent_twice_with_one_idempotency_key_creates_one_item(graphql: GraphQL) -> None:
    sku, key = new_sku("RETRY"), str(uuid.uuid4())
    request = {"input": {"sku": sku, "name": "Retried", "baseUnit": "PCS", "idempotencyKey": key}}
    first = (await graphql(CREATE_ITEM, request))["data"]["createItem"]
    second = (await graphql(CREATE_ITEM, request))["data"]["createItem"]
    assert first["userErrors"] == [] and second["userErrors"] == []
    assert second["item"] == first["item"]
    assert [entry["action"] for entry in await audit(graphql, sku)] == ["CREATED"]

    changed = {"input": {**request["input"], "name": "Something else"}}
    reused = (await graphql(CREATE_ITEM, changed))["data"]["createItem"]
    assert user_error(reused) == ("idempotencyKey", "IDEMPOTENCY_KEY_REUSED")


async def test_health_shows_the_catalog_serving(graphql: GraphQL) -> None:
    reply = await graphql("{ health { service status } }", as_=None)
    assert {"service": "CATALOG", "status": "SERVING"} in reply["data"]["health"]
