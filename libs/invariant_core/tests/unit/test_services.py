"""The suite finds its services by their packages' entry points, in start-up order."""

from __future__ import annotations

import pytest

from invariant_core import services


def test_the_installed_services_are_found_catalog_first_each_with_its_spec() -> None:
    names = services.installed()
    assert names[0] == "catalog"
    assert {"catalog", "stock", "counting"} <= set(names)
    assert [services.spec(name).name for name in names] == names


def test_a_service_that_is_not_installed_is_named_in_the_error() -> None:
    with pytest.raises(LookupError, match="no service 'nope' is installed"):
        services.spec("nope")
