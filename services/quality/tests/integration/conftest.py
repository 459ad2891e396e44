from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from quality_support import Suite, running_suite

from invariant_core.testing import DatabaseFactory, EventBus


@pytest.fixture
async def suite(new_database: DatabaseFactory, event_bus: EventBus) -> AsyncIterator[Suite]:
    async with running_suite(new_database, event_bus) as started:
        yield started
