"""Where book and shelf parted (TraceLine): a line's movements since its place was last
counted in a posted count, read from stock's ledger and ranked into suspects. A trace
writes nothing: the operators who recur come from the variance history of posted counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from counting.domain.trace import Suspect, TracedMovement, rank_suspects
from counting.service.ports import Reading, StockBooks
from counting.service.queries import LineView, line_views, load
from invariant_core import identity
from invariant_core.db import utcnow
from invariant_kernel.errors import not_found


@dataclass(frozen=True)
class LineTrace:
    line: LineView
    # When the place was last counted in a posted count; None if never.
    since: datetime | None
    suspects: Sequence[Suspect]
    movements: Sequence[TracedMovement]


async def trace_line(reading: Reading, stock: StockBooks, count_id: str, line_id: str) -> LineTrace:
    async with reading() as repo:
        count = await load(repo, count_id)
        count.require_shown(identity.current.get().roles, "a blind count's ledger is", "count_id")
        line = await repo.line(count.id, line_id)
        if line is None:
            raise not_found("line", line_id, "line_id")
        place = (line.item_sku, line.location, line.lot)
        since = await repo.last_posted_count_time(count.warehouse, place, count.id)
        (view,) = await line_views(repo, count, [line])
        item = (await repo.item_views([line.item_sku])).get(line.item_sku)
    until = line.counted_at or utcnow()
    movements = await stock.movements(count.warehouse, place, since, until)
    in_transit = await stock.in_transit(line.item_sku, count.warehouse)
    on_hold = await stock.on_hold(count.warehouse, place, until)
    async with reading() as repo:
        # Other variance lines of posted counts of the warehouse that saw these operators move stock.
        recurring = await repo.recurring_actors(count.warehouse, count.id, {m.actor for m in movements if m.actor})
    suspects = rank_suspects(
        line.variance or Decimal(0),
        movements,
        pack_sizes=item.units if item else {},
        in_transit=in_transit,
        in_inspection=on_hold,
        other_variance_lines_by_actor=recurring,
    )
    return LineTrace(view, since, suspects, movements)
