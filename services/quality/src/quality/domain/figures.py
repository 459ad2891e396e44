"""Quality figures: how suppliers' deliveries and production's work fare at inspection.

Figures are per month (UTC) and per supplier for bought goods, or per work order, finished
item or the operator who reported the work for production. A lot counts in the month it was
decided; it counts as accepted when none of it was rejected. Each row keeps the inspection
lots and NCRs it was made from, and the cost of rejects lot by lot (rejected quantity times
the item's standard cost when it was decided, exact and unrounded), so that anyone charging
rejects against pay can check every figure. Rates are rounded half up to RATE_PLACES decimal
places, defect ppm half up to whole parts per million; a rate with nothing to divide by is None.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum

from quality.domain.nonconformance import DefectCount
from quality.domain.plans import require_aware

RATE_PLACES = 4
TOP_DEFECTS = 5
_MILLION = Decimal(1_000_000)


class Dimension(StrEnum):
    # Lots bought from a supplier.
    SUPPLIER = "SUPPLIER"
    # Lots made on a work order.
    WORK_ORDER = "WORK_ORDER"
    FINISHED_ITEM = "FINISHED_ITEM"
    OPERATOR = "OPERATOR"


@dataclass(frozen=True)
class DecidedLot:
    """An inspection lot and its decision, as figures read it."""

    inspection_lot_id: str
    item_sku: str
    lot: str
    # Empty unless the goods were bought.
    supplier: str
    # Both empty unless the goods were made: the work order, and who reported the work.
    work_order: str
    operator: str
    # In the item's base unit.
    accepted: Decimal
    rejected: Decimal
    defects: tuple[DefectCount, ...]
    # Per base unit, when the lot was decided.
    standard_cost: Decimal
    decided_at: datetime


@dataclass(frozen=True)
class NcrRecord:
    ncr_id: str
    inspection_lot_id: str
    opened_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True)
class RejectCost:
    inspection_lot_id: str
    lot: str
    rejected: Decimal
    standard_cost: Decimal

    @property
    def cost(self) -> Decimal:
        return self.rejected * self.standard_cost


@dataclass(frozen=True)
class QualityFigures:
    dimension: Dimension
    # The supplier, work order, finished item or operator.
    key: str
    # "2026-12": the month in UTC.
    month: str
    # The lots decided in the month.
    inspection_lots: tuple[str, ...]
    lots_accepted: int
    units_inspected: Decimal
    units_accepted: Decimal
    units_rejected: Decimal
    # The most frequent defects of the month's lots, most frequent first, then by code.
    top_defects: tuple[DefectCount, ...]
    # The lots with rejects, each with its cost at standard cost.
    reject_costs: tuple[RejectCost, ...]
    ncrs_opened: tuple[str, ...]
    ncrs_closed: tuple[str, ...]

    @property
    def lots_inspected(self) -> int:
        return len(self.inspection_lots)

    @property
    def lot_acceptance_rate(self) -> Decimal | None:
        """Lots accepted whole / lots decided."""
        return _rate(Decimal(self.lots_accepted), Decimal(self.lots_inspected), RATE_PLACES)

    @property
    def unit_acceptance_rate(self) -> Decimal | None:
        """Units accepted / units decided."""
        return _rate(self.units_accepted, self.units_inspected, RATE_PLACES)

    @property
    def defect_ppm(self) -> Decimal | None:
        """Units rejected per million units decided."""
        return _rate(self.units_rejected * _MILLION, self.units_inspected, 0)

    @property
    def reject_cost(self) -> Decimal:
        return sum((line.cost for line in self.reject_costs), Decimal(0))


def quality_figures(
    lots: Iterable[DecidedLot], ncrs: Iterable[NcrRecord], by: Dimension, *, top: int = TOP_DEFECTS
) -> tuple[QualityFigures, ...]:
    """Figures per month and `by` (suppliers for bought lots, the others for made ones), in
    order of key then month. Every NCR's inspection lot is among `lots`."""
    decided = {lot.inspection_lot_id: lot for lot in lots}
    per_row: dict[tuple[str, str], list[DecidedLot]] = defaultdict(list)
    opened: dict[tuple[str, str], list[str]] = defaultdict(list)
    closed: dict[tuple[str, str], list[str]] = defaultdict(list)
    for lot in decided.values():
        key = _key(lot, by)
        if key:
            per_row[(key, month_of(lot.decided_at))].append(lot)
    for ncr in ncrs:
        if ncr.inspection_lot_id not in decided:
            raise ValueError(f"NCR {ncr.ncr_id} names lot {ncr.inspection_lot_id}, which is not among the lots")
        key = _key(decided[ncr.inspection_lot_id], by)
        if not key:
            continue
        opened[(key, month_of(ncr.opened_at))].append(ncr.ncr_id)
        if ncr.closed_at is not None:
            closed[(key, month_of(ncr.closed_at))].append(ncr.ncr_id)
    rows = sorted({*per_row, *opened, *closed})
    return tuple(_figures(by, key, month, per_row[(key, month)], opened, closed, top) for key, month in rows)


def month_of(at: datetime) -> str:
    require_aware(at)
    return at.astimezone(UTC).strftime("%Y-%m")


def _key(lot: DecidedLot, by: Dimension) -> str:
    match by:
        case Dimension.SUPPLIER:
            return lot.supplier
        case Dimension.WORK_ORDER:
            return lot.work_order
        case Dimension.FINISHED_ITEM:
            return lot.item_sku if lot.work_order else ""
        case Dimension.OPERATOR:
            return lot.operator if lot.work_order else ""


def _figures(
    by: Dimension,
    key: str,
    month: str,
    lots: list[DecidedLot],
    opened: dict[tuple[str, str], list[str]],
    closed: dict[tuple[str, str], list[str]],
    top: int,
) -> QualityFigures:
    lots = sorted(lots, key=lambda lot: lot.inspection_lot_id)
    defects: Counter[str] = Counter()
    for lot in lots:
        defects.update({defect.code: defect.count for defect in lot.defects})
    ranked = sorted(defects.items(), key=lambda counted: (-counted[1], counted[0]))[:top]
    return QualityFigures(
        by,
        key,
        month,
        tuple(lot.inspection_lot_id for lot in lots),
        sum(1 for lot in lots if not lot.rejected),
        sum((lot.accepted + lot.rejected for lot in lots), Decimal(0)),
        sum((lot.accepted for lot in lots), Decimal(0)),
        sum((lot.rejected for lot in lots), Decimal(0)),
        tuple(DefectCount(code, count) for code, count in ranked),
        tuple(
            RejectCost(lot.inspection_lot_id, lot.lot, lot.rejected, lot.standard_cost) for lot in lots if lot.rejected
        ),
        tuple(sorted(opened.get((key, month), ()))),
        tuple(sorted(closed.get((key, month), ()))),
    )


def _rate(part: Decimal, whole: Decimal, places: int) -> Decimal | None:
    """part / whole rounded half up to `places`, by integer division so that it is rounded
    once, exactly, however many digits the quotient has."""
    if not whole:
        return None
    quotient, remainder = divmod(part.scaleb(places), whole)
    if 2 * remainder >= whole:
        quotient += 1
    unit = Decimal(1).scaleb(-places)
    # Exact: the quotient is whole; quantize only writes it with `places` digits ("0.0000", not "0E-4").
    return (quotient * unit).quantize(unit)
