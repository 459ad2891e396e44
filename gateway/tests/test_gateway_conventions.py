"""The graph's conventions, held by walking the schema: what a front-end developer reads in
GraphiQL and in generated clients is there for every element."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    specified_scalar_types,
)

from gateway.schema import build_schema


def graph() -> GraphQLSchema:
    return build_schema(production=False, introspection=True)._schema


def elements(schema: GraphQLSchema) -> Iterator[tuple[str, str | None]]:
    """Every type, field, argument, input field and enum value the graph defines, each by
    its path, with its description."""
    for name, kind in schema.type_map.items():
        if name.startswith("__") or name in specified_scalar_types:
            continue
        yield name, kind.description
        yield from _members(name, kind)


def _members(name: str, kind: GraphQLNamedType) -> Iterator[tuple[str, str | None]]:
    if isinstance(kind, GraphQLObjectType | GraphQLInterfaceType):
        for field_name, field in kind.fields.items():
            yield f"{name}.{field_name}", field.description
            for argument_name, argument in field.args.items():
                yield f"{name}.{field_name}({argument_name})", argument.description
    elif isinstance(kind, GraphQLInputObjectType):
        for field_name, input_field in kind.fields.items():
            yield f"{name}.{field_name}", input_field.description
    elif isinstance(kind, GraphQLEnumType):
        for value_name, value in kind.values.items():
            yield f"{name}.{value_name}", value.description


def test_every_element_of_the_graph_is_described() -> None:
    undescribed = [path for path, description in elements(graph()) if not (description and description.strip())]
    assert undescribed == [], f"{len(undescribed)} elements have no description: {undescribed}"


def test_the_walk_reaches_types_fields_arguments_input_fields_and_enum_values() -> None:
    paths = {path for path, _ in elements(graph())}
    assert {"Item", "Query.item", "Query.item(sku)", "ReceiveInput.quantity", "StockStatus.QC_HOLD"} <= paths


def test_every_custom_scalar_names_its_specification() -> None:
    custom = [
        kind
        for name, kind in graph().type_map.items()
        if isinstance(kind, GraphQLScalarType) and name not in specified_scalar_types
    ]
    assert {kind.name for kind in custom} >= {"Decimal", "DateTime", "Date"}
    assert [kind.name for kind in custom if not kind.specified_by_url] == []
