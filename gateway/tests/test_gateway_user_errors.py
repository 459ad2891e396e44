from __future__ import annotations

import pytest
from graphql import GraphQLError

from gateway.errors import graphql_field, is_unexpected
from invariant_kernel.errors import DomainError, ErrorCode

from support import Catalog, Service, StartGateway, bearer

CREATE_ITEM = """
mutation { createItem(input: {sku: "A-2", name: "Bolt", baseUnit: "PCS", standardCost: "0.12345"}) {
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
    start_gateway: StartGateway, catalog: Catalog
) -> None:
    async with start_gateway(ENVIRONMENT="production") as client:
        reply = (await client.post("/graphql", json={"query": CREATE_ITEM}, headers=bearer())).json()
    assert "errors" not in reply
    assert reply["data"]["createItem"] == {
        "item": None,
        "userErrors": [
            {"field": "standardCost", "message": "standard_cost allows at most 4 decimal places", "code": "TOO_PRECISE"}
        ],
    }
    assert await catalog.get_item("A-2") is None


@pytest.mark.parametrize(("length", "code"), [(1_000, "INVALID_FORMAT"), (10_000, "OUT_OF_RANGE")])
async def test_a_huge_sku_is_refused_naming_it_and_quoting_only_its_start(
    start_gateway: StartGateway, catalog: Catalog, length: int, code: str
) -> None:
    # Past the suite's limit on any text (2,000 characters) the length itself is refused.
    mutation = """mutation Create($sku: String!) { createItem(input: {sku: $sku, name: "Bolt", baseUnit: "PCS"}) {
      item { sku } userErrors { field message code } } }"""
    async with start_gateway(ENVIRONMENT="production") as client:
        variables = {"sku": "S" * length}
        reply = (
            await client.post("/graphql", json={"query": mutation, "variables": variables}, headers=bearer())
        ).json()
    assert "errors" not in reply
    [error] = reply["data"]["createItem"]["userErrors"]
    assert (error["field"], error["code"]) == ("sku", code)
    assert len(error["message"]) < 300


async def test_a_refused_query_carries_the_code_and_field_in_its_extensions(
    start_gateway: StartGateway, catalog: Catalog
) -> None:
    await catalog.create_item("A-1")
    query = '{ convertQuantity(sku: "A-1", quantity: "2", fromUnit: "CRATE", toUnit: "PCS") { quantity } }'
    async with start_gateway(ENVIRONMENT="production") as client:
        reply = (await client.post("/graphql", json={"query": query}, headers=bearer())).json()
    [error] = reply["errors"]
    assert error["message"] == "item A-1 has no unit 'CRATE'; its units are PCS"
    assert error["extensions"] == {"code": "NOT_FOUND", "field": "fromUnit"}


def _error(original: Exception | None, path: list[str | int] | None) -> GraphQLError:
    return GraphQLError("failed", path=path, original_error=original)


@pytest.mark.parametrize(
    ("error", "unexpected"),
    [
        (_error(RuntimeError("the catalog broke"), ["whereUsed"]), True),
        (_error(DomainError(ErrorCode.NOT_FOUND, "no such item", "sku"), ["item"]), False),
        (_error(None, None), False),
    ],
    ids=["a failure while resolving", "a refusal by a service", "an invalid document"],
)
def test_only_failures_while_resolving_other_than_refusals_are_unexpected(
    error: GraphQLError, unexpected: bool
) -> None:
    assert is_unexpected(error) is unexpected


# The gateway pointed at a server that is not the catalog (stock's): the call fails with
# UNIMPLEMENTED and no domain error, which the gateway does not expect.
ITEM = {"query": '{ item(sku: "A-1") { sku } }'}


async def test_an_unexpected_failure_is_masked_in_production(start_gateway: StartGateway, stock: Service) -> None:
    async with start_gateway(ENVIRONMENT="production", CATALOG_ADDR=stock.address) as client:
        reply = (await client.post("/graphql", json=ITEM, headers=bearer())).json()
    [error] = reply["errors"]
    assert error["message"] == "Unexpected error."
    assert "extensions" not in error
    assert "Method not found" not in str(reply)


async def test_an_unexpected_failure_is_shown_in_development(start_gateway: StartGateway, stock: Service) -> None:
    async with start_gateway(CATALOG_ADDR=stock.address) as client:
        reply = (await client.post("/graphql", json=ITEM, headers=bearer())).json()
    assert "Method not found" in reply["errors"][0]["message"]
