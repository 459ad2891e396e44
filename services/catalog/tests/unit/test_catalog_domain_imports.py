from __future__ import annotations

from pathlib import Path

import pytest

from invariant_core.testing import domain_may_import, forbidden_domain_imports

DOMAIN = Path(__file__).resolve().parents[2] / "src" / "catalog" / "domain"
MODULES = sorted(DOMAIN.glob("**/*.py"))


def test_the_domain_package_has_modules_to_check() -> None:
    assert {path.name for path in MODULES} >= {"__init__.py", "items.py", "boms.py", "events.py"}


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_the_domain_imports_only_the_standard_library_and_core_errors_decimals_and_codes(path: Path) -> None:
    assert forbidden_domain_imports(path, "catalog.domain") == []


def test_the_import_check_would_catch_a_database_or_transport_import() -> None:
    assert not domain_may_import("sqlalchemy.orm", "catalog.domain")
    assert not domain_may_import("grpc", "catalog.domain")
    assert not domain_may_import("invariant_core.db", "catalog.domain")
    assert not domain_may_import("catalog.adapters.repository", "catalog.domain")
