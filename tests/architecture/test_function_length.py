"""No function of the product is longer than a screen: one that grows past it is split."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LONGEST = 80
SOURCES = [*ROOT.glob("libs/*/src"), *ROOT.glob("services/*/src"), ROOT / "gateway" / "src"]


def test_no_function_of_the_product_is_longer_than_80_lines() -> None:
    longer = []
    for source in SOURCES:
        for path in source.rglob("*.py"):
            if "invariant_protos" in path.parts:
                continue  # generated
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    lines = (node.end_lineno or node.lineno) - node.lineno + 1
                    if lines > LONGEST:
                        longer.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({lines} lines)")
    assert SOURCES and not longer, longer
