from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[2] / "src" / "catalog" / "domain"
ALLOWED = {"invariant_core.errors", "invariant_core.decimals", "invariant_core.codes"}
MODULES = sorted(DOMAIN.glob("**/*.py"))


def imported_modules(path: Path) -> list[str]:
    modules: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            modules.append("." * node.level + (node.module or ""))
    return modules


def is_allowed(module: str) -> bool:
    return (
        module.startswith(".")
        or module == "catalog.domain"
        or module.startswith("catalog.domain.")
        or module in ALLOWED
        or module.split(".")[0] in sys.stdlib_module_names
    )


def test_the_domain_package_has_modules_to_check() -> None:
    assert {path.name for path in MODULES} >= {"__init__.py", "items.py", "boms.py", "events.py"}


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_the_domain_imports_only_the_standard_library_and_core_errors_and_decimals(
    path: Path,
) -> None:
    forbidden = [module for module in imported_modules(path) if not is_allowed(module)]

    assert forbidden == []
