from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from counting_support import Suite, running_suite

from invariant_core.testing import DatabaseFactory


@pytest.fixture
async def suite(new_database: DatabaseFactory, nats_url: str) -> AsyncIterator[Suite]:
    async with running_suite(new_database, nats_url) as started:
        yield started
