"""Explosion and cycle detection checked against plain brute force on random BOM graphs."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from catalog.domain import BomVersion, Item, explode, find_cycle

quantities = st.integers(1, 99_999).map(lambda n: Decimal(n).scaleb(-3))
scraps = st.integers(0, 9_999).map(lambda n: Decimal(n).scaleb(-2))


@dataclass(frozen=True)
class Edge:
    component: str
    quantity: Decimal
    unit: str
    scrap: Decimal


@dataclass(frozen=True)
class Graph:
    skus: list[str]
    # sku -> unit -> how many base units (EA) it holds
    factors: dict[str, dict[str, Decimal]]
    edges: dict[str, list[Edge]]


@st.composite
def bom_graphs(draw: st.DrawFn) -> Graph:
    """Lines only go from a lower to a higher index, so the graph is acyclic."""
    skus = [f"S{index}" for index in range(draw(st.integers(2, 7)))]
    factors = {sku: {"EA": Decimal(1)} for sku in skus}
    for sku in skus:
        if draw(st.booleans()):
            factors[sku]["BOX"] = draw(quantities)
    edges: dict[str, list[Edge]] = {sku: [] for sku in skus}
    for index, parent in enumerate(skus):
        for component in skus[index + 1 :]:
            # The root always has a BOM, so that there is something to explode.
            if draw(st.booleans()) or (index == 0 and component == skus[-1] and not edges[parent]):
                unit = draw(st.sampled_from(sorted(factors[component])))
                edges[parent].append(Edge(component, draw(quantities), unit, draw(scraps)))
    return Graph(skus, factors, edges)


def domain_model(graph: Graph) -> tuple[dict[str, Item], dict[str, BomVersion]]:
    items = {
        sku: Item.create(
            id=sku,
            sku=sku,
            name=sku,
            base_unit="EA",
            units=[(unit, str(factor)) for unit, factor in graph.factors[sku].items() if unit != "EA"],
            barcodes=[],
            standard_cost="",
            lot_tracked=False,
            inspect_on_receipt=False,
            inspect_on_production=False,
        )
        for sku in graph.skus
    }
    uses = {sku: [edge.component for edge in edges] for sku, edges in graph.edges.items()}
    boms: dict[str, BomVersion] = {}
    for parent, edges in graph.edges.items():
        if edges:
            bom = BomVersion.new_draft(f"bom-{parent}", parent, 1, date(2025, 1, 1), None)
            for edge in edges:
                bom.add_line(
                    f"line-{edge.component}",
                    items[edge.component],
                    str(edge.quantity),
                    edge.unit,
                    str(edge.scrap),
                    uses=uses,
                )
            bom.activate(None)
            boms[parent] = bom
    return items, boms


def every_path(graph: Graph, sku: str) -> Iterator[list[Edge]]:
    """Every chain of lines below sku, depth-first in line order."""
    for edge in graph.edges[sku]:
        yield [edge]
        for rest in every_path(graph, edge.component):
            yield [edge, *rest]


def needed_along(graph: Graph, path: list[Edge], quantity: Decimal) -> Fraction:
    amount = Fraction(quantity)
    for edge in path:
        factor = Fraction(graph.factors[edge.component][edge.unit])
        amount *= Fraction(edge.quantity) * factor * (1 + Fraction(edge.scrap) / 100)
    return amount


@given(bom_graphs(), quantities)
def test_explosion_totals_equal_the_sum_over_every_path(graph: Graph, quantity: Decimal) -> None:
    items, boms = domain_model(graph)
    root = graph.skus[0]

    explosion = explode(root, quantity, boms, items)

    expected: dict[str, Fraction] = {}
    for path in every_path(graph, root):
        component = path[-1].component
        expected[component] = expected.get(component, Fraction(0)) + needed_along(graph, path, quantity)
    assert {r.component_sku: Fraction(r.quantity) for r in explosion.requirements} == expected
    assert all(r.leaf == (not graph.edges[r.component_sku]) for r in explosion.requirements)


@given(bom_graphs(), quantities)
def test_the_explosion_tree_holds_every_path_depth_first(graph: Graph, quantity: Decimal) -> None:
    items, boms = domain_model(graph)
    root = graph.skus[0]

    explosion = explode(root, quantity, boms, items)

    assert [(node.path, Fraction(node.quantity)) for node in explosion.tree] == [
        ((root, *(edge.component for edge in path)), needed_along(graph, path, quantity))
        for path in every_path(graph, root)
    ]
    first_seen = list(dict.fromkeys(node.component_sku for node in explosion.tree))
    assert [r.component_sku for r in explosion.requirements] == first_seen


@st.composite
def graphs_with_a_spine(draw: st.DrawFn) -> dict[str, list[str]]:
    """An acyclic graph where every SKU uses the next one, so each SKU reaches all later ones."""
    skus = [f"S{index}" for index in range(draw(st.integers(1, 8)))]
    return {
        parent: [component for offset, component in enumerate(skus[index + 1 :]) if offset == 0 or draw(st.booleans())]
        for index, parent in enumerate(skus)
    }


@given(graphs_with_a_spine(), st.data())
def test_a_cycle_is_found_exactly_when_the_new_line_points_back(
    uses: dict[str, list[str]], data: st.DataObject
) -> None:
    skus = list(uses)
    parent = data.draw(st.sampled_from(skus))
    component = data.draw(st.sampled_from(skus))

    path = find_cycle(uses, parent, component)

    assert (path is not None) == (skus.index(component) <= skus.index(parent))


@st.composite
def acyclic_graphs(draw: st.DrawFn) -> dict[str, list[str]]:
    skus = [f"S{index}" for index in range(draw(st.integers(1, 8)))]
    return {
        parent: [component for component in skus[index + 1 :] if draw(st.booleans())]
        for index, parent in enumerate(skus)
    }


def reachable_from(uses: dict[str, list[str]], start: str) -> set[str]:
    seen = {start}
    stack = [start]
    while stack:
        for used in uses[stack.pop()]:
            if used not in seen:
                seen.add(used)
                stack.append(used)
    return seen


@given(acyclic_graphs(), st.data())
def test_a_reported_cycle_follows_existing_lines_back_to_the_parent(
    uses: dict[str, list[str]], data: st.DataObject
) -> None:
    skus = list(uses)
    parent = data.draw(st.sampled_from(skus))
    component = data.draw(st.sampled_from(skus))

    path = find_cycle(uses, parent, component)

    assert (path is not None) == (parent in reachable_from(uses, component))
    if path is not None:
        assert (path[0], path[1], path[-1]) == (parent, component, parent)
        assert all(after in uses[before] for before, after in itertools.pairwise(path[1:]))
        assert len(set(path[:-1])) == len(path) - 1
