"""SQL the orders repositories share."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from invariant_core.db import insert_rows


async def append_rows(session: AsyncSession, table: Table, order_id: str, rows: Sequence[dict[str, Any]]) -> None:
    """Write those of an order's `rows` (its transitions, postings, receipts, in order) that
    the table does not hold yet: such histories only grow, numbered by `seq`."""
    kept = int(await session.scalar(select(func.count()).where(table.c.order_id == order_id)) or 0)
    await insert_rows(
        session, table, [{"order_id": order_id, "seq": seq, **row} for seq, row in enumerate(rows) if seq >= kept]
    )
