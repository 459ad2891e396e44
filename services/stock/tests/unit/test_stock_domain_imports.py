from __future__ import annotations

from pathlib import Path

import pytest

from invariant_core.testing import forbidden_domain_imports

DOMAIN = Path(__file__).resolve().parents[2] / "src" / "stock" / "domain"
MODULES = sorted(DOMAIN.glob("**/*.py"))


def test_the_domain_package_has_modules_to_check() -> None:
    assert {path.name for path in MODULES} >= {
        "__init__.py",
        "codes.py",
        "places.py",
        "movements.py",
        "reservations.py",
        "thresholds.py",
        "events.py",
    }


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_the_domain_imports_only_the_standard_library_and_core_errors_decimals_and_codes(path: Path) -> None:
    assert forbidden_domain_imports(path, "stock.domain") == []
