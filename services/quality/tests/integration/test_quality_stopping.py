"""Quality killed between a decision's commit and stock's change: the decision waits in
quality's outbox, and once quality is back the stock moves, once."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import nats
import pytest
from quality_support import (
    QUARANTINE,
    SHELF,
    Suite,
    balances,
    caught_up,
    decide,
    inspected_lot,
    inspection_movements,
    moved,
)
from sqlalchemy import select

from invariant.quality.v1 import quality_pb2 as pb
from invariant_core.embedded import free_port
from invariant_core.testing import service_process
from quality.bootstrap import SERVICE_NAME

DECIDED = "inventory.quality.inspection.decided"


async def decisions_published(suite: Suite) -> list[bool]:
    async with suite.running["quality"].uows.reader() as uow:
        outbox = uow.metadata.tables["outbox"]
        query = select(outbox.c.published_at).where(outbox.c.subject == DECIDED)
        return [row.published_at is not None for row in await uow.session.execute(query)]


@pytest.mark.fault
async def test_quality_killed_after_its_decision_committed_moves_the_stock_once_it_is_back(
    suite: Suite, tmp_path: Path
) -> None:
    sku, lot = await inspected_lot(suite, defective=0)
    # Quality in a process of its own with its NATS out of reach: it answers, its relay
    # cannot publish; killed once it has answered the decision.
    await suite.stop_quality()
    unreachable = {**suite.quality_env, "NATS_URL": f"nats://127.0.0.1:{free_port()}"}
    process = await service_process("quality", unreachable, SERVICE_NAME, tmp_path / "quality.log")
    try:
        await decide(suite, lot.id, pb.OUTCOME_PARTIAL, "90", "10")
    finally:
        process.kill()
        await process.wait()

    assert await balances(suite, sku) == {(SHELF, "QC_HOLD"): Decimal(100)}
    await suite.start_quality()
    expected = {(SHELF, "AVAILABLE"): Decimal(90), (QUARANTINE, "REJECTED"): Decimal(10)}
    await moved(suite, sku, expected)
    assert await decisions_published(suite) == [True]
    await caught_up(suite.events, "stock-inspections", await _decision_sequence(suite))
    assert await balances(suite, sku) == expected
    assert len(await inspection_movements(suite, lot.id)) == 2


async def _decision_sequence(suite: Suite) -> int:
    """Where the (one) decision stands in the stream."""
    client = await nats.connect(suite.events.url)
    try:
        found = await client.jetstream().get_last_msg(suite.events.stream.name, suite.events.subject(DECIDED))
        return int(found.seq or 0)
    finally:
        await client.close()
