"""Quality figures over a span of months, read from quality's own lots, decisions and NCRs."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from invariant_kernel.errors import DomainError, ErrorCode
from quality.domain.figures import Dimension, QualityFigures, quality_figures
from quality.service.ports import QualityRepository

_MONTH = re.compile(r"(\d{4})-(\d{2})")
# A span read at once: figures are a report, not an export.
MAX_MONTHS = 36


def _month(value: str, field: str) -> datetime:
    found = _MONTH.fullmatch(value.strip())
    if found is None or not 1 <= int(found[2]) <= 12:
        raise DomainError(ErrorCode.INVALID_FORMAT, f"{field} is a month written 2026-12, not {value!r}", field)
    return datetime(int(found[1]), int(found[2]), 1, tzinfo=UTC)


def _next(month: datetime) -> datetime:
    return month.replace(year=month.year + month.month // 12, month=month.month % 12 + 1)


async def figures(repo: QualityRepository, by: str, from_month: str, to_month: str) -> tuple[QualityFigures, ...]:
    """Figures per `by` and month from `from_month` to `to_month`, both included."""
    try:
        dimension = Dimension(by)
    except ValueError:
        raise DomainError(
            ErrorCode.REQUIRED, "dimension is SUPPLIER, WORK_ORDER, FINISHED_ITEM or OPERATOR", "dimension"
        ) from None
    since, last = _month(from_month, "from_month"), _month(to_month, "to_month")
    if last < since:
        raise DomainError(ErrorCode.OUT_OF_RANGE, "to_month comes before from_month", "to_month")
    if (last.year - since.year) * 12 + last.month - since.month >= MAX_MONTHS:
        raise DomainError(ErrorCode.OUT_OF_RANGE, f"figures span at most {MAX_MONTHS} months", "to_month")
    lots, ncrs = await repo.decided_lots(since, _next(last))
    months = (since.strftime("%Y-%m"), last.strftime("%Y-%m"))
    # Lots decided outside the span come along only for their NCRs' sake.
    return tuple(row for row in quality_figures(lots, ncrs, dimension) if months[0] <= row.month <= months[1])
