from __future__ import annotations

import pytest

from gateway.errors import graphql_field
from invariant_core.errors import DomainError, ErrorCode

from support import FakeCatalog, StartGateway, bearer

CREATE_ITEM = """
mutation { createItem(input: {sku: "A-2", name: "Bolt", baseUnit: "PCS", idempotencyKey: "k-1"}) {
  item { sku } userErrors { field message code } } }
"""


@pytest.mark.parametrize(
    ("service_field", "graphql"),
    [
        ("standard_cost", "standardCost"),
        ("units[1].factor", "units[1].factor"),
        ("units[0].unit_code", "units[0].unitCode"),
        ("barcodes[2].code", "barcodes[2].code"),
        ("idempotency_key", "idempotencyKey"),
        ("sku", "sku"),
        ("", ""),
    ],
)
def test_service_field_names_become_graphql_input_names(service_field: str, graphql: str) -> None:
    assert graphql_field(service_field) == graphql


async def test_a_refused_mutation_returns_a_user_error_naming_the_input_field(
    start_gateway: StartGateway, fake_catalog: FakeCatalog
) -> None:
    fake_catalog.refusal = DomainError(
        ErrorCode.TOO_PRECISE, "standard_cost allows at most 4 decimal places", "standard_cost"
    )
    async with start_gateway(ENVIRONMENT="production") as client:
        reply = (await client.post("/graphql", json={"query": CREATE_ITEM}, headers=bearer())).json()
    assert "errors" not in reply
    assert reply["data"]["createItem"] == {
        "item": None,
        "userErrors": [
            {"field": "standardCost", "message": "standard_cost allows at most 4 decimal places", "code": "TOO_PRECISE"}
        ],
    }


async def test_a_refused_query_carries_the_code_and_field_in_its_extensions(
    start_gateway: StartGateway, fake_catalog: FakeCatalog
) -> None:
    fake_catalog.refusal = DomainError(ErrorCode.NOT_FOUND, "unit 'CRATE' is not defined for 'A-1'", "from_unit")
    query = '{ convertQuantity(sku: "A-1", quantity: "2", fromUnit: "CRATE", toUnit: "PCS") { quantity } }'
    async with start_gateway(ENVIRONMENT="production") as client:
        reply = (await client.post("/graphql", json={"query": query}, headers=bearer())).json()
    [error] = reply["errors"]
    assert error["message"] == "unit 'CRATE' is not defined for 'A-1'"
    assert error["extensions"] == {"code": "NOT_FOUND", "field": "fromUnit"}


async def test_an_unexpected_failure_is_masked_in_production(start_gateway: StartGateway) -> None:
    query = '{ whereUsed(componentSku: "A-1") { parentSku } }'
    async with start_gateway(ENVIRONMENT="production") as client:
        reply = (await client.post("/graphql", json={"query": query}, headers=bearer())).json()
    [error] = reply["errors"]
    assert error["message"] == "Unexpected error."
    assert "broke" not in str(reply)


async def test_an_unexpected_failure_is_shown_in_development(start_gateway: StartGateway) -> None:
    query = '{ whereUsed(componentSku: "A-1") { parentSku } }'
    async with start_gateway() as client:
        reply = (await client.post("/graphql", json={"query": query}, headers=bearer())).json()
    assert "broke" in reply["errors"][0]["message"]
