"""What counts report once approved or posted: the gain/loss document (ExportAdjustments)
and inventory record accuracy (GetAccuracy)."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal

from counting.domain.accuracy import AccuracyFigure, Grouping, accuracy
from counting.domain.counts import parse_enum
from counting.service.ports import CountsRepository
from counting.service.queries import load
from invariant_kernel.codes import normalise_warehouse
from invariant_kernel.units import decimal_text

_COLUMNS = (
    "count",
    "warehouse",
    "line",
    "item",
    "location",
    "lot",
    "book",
    "counted",
    "variance",
    "kind",
    "standard_cost",
    "value",
    "reasons",
    "counted_at",
    "movement",
)


async def export_adjustments(repo: CountsRepository, count_id: str) -> tuple[str, str]:
    """An approved or posted count's differing lines as CSV: its file name and its text."""
    count = await load(repo, count_id)
    count.check_exports()
    lines = await repo.list_lines(count.id, [], True)
    costs = await repo.costs({line.item_sku for line in lines})
    reasons = await repo.reasons([line.id for line in lines])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(_COLUMNS)
    for line in lines:
        variance = line.variance or Decimal(0)
        writer.writerow(
            [
                count.id,
                count.warehouse,
                line.number,
                line.item_sku,
                line.location,
                line.lot,
                decimal_text(line.book or Decimal(0)),
                decimal_text(line.counted or Decimal(0)),
                decimal_text(variance),
                "GAIN" if variance > 0 else "LOSS",
                decimal_text(costs.get(line.item_sku, Decimal(0))),
                decimal_text(line.variance_value or Decimal(0)),
                "; ".join(f"{code} {decimal_text(q)}" for code, q in reasons.get(line.id, [])),
                line.counted_at.isoformat() if line.counted_at else "",
                line.movement_id or "",
            ]
        )
    return f"count-{count.id}-adjustments.csv", out.getvalue()


async def record_accuracy(
    repo: CountsRepository, warehouse: str, start: datetime | None, end: datetime | None, group_by: str
) -> list[AccuracyFigure]:
    """Inventory record accuracy of the posted counts' lines counted in [start, end), by `group_by`."""
    grouping = parse_enum(Grouping, group_by, "group_by", Grouping.WAREHOUSE)
    code = normalise_warehouse(warehouse) if warehouse.strip() else ""
    lines = await repo.posted_lines(code, start, end)
    reasons = await repo.reasons([line.id for line in lines]) if grouping is Grouping.REASON else {}
    return accuracy(lines, grouping, reasons)
