"""Quality figures per supplier and month, and per work order, finished item and operator,
each checked by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from quality.domain.figures import (
    DecidedLot,
    Dimension,
    NcrRecord,
    QualityFigures,
    RejectCost,
    month_of,
    quality_figures,
)
from quality.domain.nonconformance import DefectCount

SHANGHAI = timezone(timedelta(hours=8))


def day(month: int, day: int, hour: int = 10, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def bought(
    lot_id: str, supplier: str, accepted: str, rejected: str, at: datetime, *defects: tuple[str, int]
) -> DecidedLot:
    return DecidedLot(
        lot_id,
        "BOLT-M8",
        f"L-{lot_id}",
        supplier,
        "",
        "",
        Decimal(accepted),
        Decimal(rejected),
        tuple(DefectCount(code, count) for code, count in defects),
        Decimal("2.50"),
        at,
    )


def made(lot_id: str, work_order: str, operator: str, accepted: str, rejected: str, at: datetime) -> DecidedLot:
    return DecidedLot(
        lot_id,
        "FRAME",
        f"F-{lot_id}",
        "",
        work_order,
        operator,
        Decimal(accepted),
        Decimal(rejected),
        (DefectCount("WELD", 1),) if Decimal(rejected) else (),
        Decimal("12.3456"),
        at,
    )


LOTS = [
    # Decided at 00:30 on 1 December in Shanghai: still November in UTC.
    bought("IL-1", "SUP-ACME", "7", "3", datetime(2026, 12, 1, 0, 30, tzinfo=SHANGHAI), ("RUST", 1)),
    bought("IL-2", "SUP-ACME", "100", "0", day(12, 3), ("RUST", 1)),
    bought("IL-3", "SUP-ACME", "90", "10", day(12, 7), ("RUST", 2), ("SCRATCH", 1)),
    bought("IL-4", "SUP-ACME", "0", "50", day(12, 20), ("DENT", 3), ("SCRATCH", 1)),
    bought("IL-5", "SUP-BOLTCO", "399999", "1", day(12, 4), ("RUST", 1)),
    made("IL-10", "WO-000017", "wang", "45", "5", day(12, 5)),
    made("IL-11", "WO-000017", "li", "48", "2", day(12, 6)),
    made("IL-12", "WO-000018", "wang", "20", "0.5", day(12, 9)),
    # A customer's return: neither bought nor made.
    DecidedLot("IL-20", "BOLT-M8", "", "", "", "", Decimal(0), Decimal(4), (), Decimal("2.50"), day(12, 8)),
]
NCRS = [
    NcrRecord("NCR-1", "IL-1", datetime(2026, 12, 1, 0, 30, tzinfo=SHANGHAI), day(12, 2)),
    NcrRecord("NCR-3", "IL-3", day(12, 7), day(12, 15)),
    NcrRecord("NCR-4", "IL-4", day(12, 20), day(1, 6, year=2027)),
    NcrRecord("NCR-10", "IL-10", day(12, 5), None),
    NcrRecord("NCR-20", "IL-20", day(12, 8), None),
]


def figures(by: Dimension, top: int = 5) -> dict[tuple[str, str], QualityFigures]:
    return {(row.key, row.month): row for row in quality_figures(LOTS, NCRS, by, top=top)}


def test_a_suppliers_month_counts_its_lots_units_rates_and_defects() -> None:
    december = figures(Dimension.SUPPLIER)[("SUP-ACME", "2026-12")]

    assert december.inspection_lots == ("IL-2", "IL-3", "IL-4")
    assert (december.lots_inspected, december.lots_accepted) == (3, 1)
    assert december.lot_acceptance_rate == Decimal("0.3333")  # 1 / 3
    assert (december.units_inspected, december.units_accepted, december.units_rejected) == (250, 190, 60)
    assert december.unit_acceptance_rate == Decimal("0.7600")  # 190 / 250
    assert december.defect_ppm == Decimal(240_000)  # 60 / 250 * 1,000,000
    # RUST 1 + 2 and DENT 3 tie: by code.
    assert december.top_defects == (DefectCount("DENT", 3), DefectCount("RUST", 3), DefectCount("SCRATCH", 2))


def test_a_suppliers_ncrs_count_in_the_months_they_were_opened_and_closed() -> None:
    rows = figures(Dimension.SUPPLIER)

    assert (rows[("SUP-ACME", "2026-11")].ncrs_opened, rows[("SUP-ACME", "2026-11")].ncrs_closed) == (("NCR-1",), ())
    assert rows[("SUP-ACME", "2026-12")].ncrs_opened == ("NCR-3", "NCR-4")
    assert rows[("SUP-ACME", "2026-12")].ncrs_closed == ("NCR-1", "NCR-3")
    january = rows[("SUP-ACME", "2027-01")]
    assert (january.ncrs_closed, january.lots_inspected) == (("NCR-4",), 0)
    assert (january.lot_acceptance_rate, january.unit_acceptance_rate, january.defect_ppm) == (None, None, None)


def test_months_are_in_utc() -> None:
    november = figures(Dimension.SUPPLIER)[("SUP-ACME", "2026-11")]

    assert november.inspection_lots == ("IL-1",)
    assert (str(november.lot_acceptance_rate), str(november.defect_ppm)) == ("0.0000", "300000")
    assert month_of(datetime(2026, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-5)))) == "2027-01"


def test_rates_round_half_up_and_ppm_to_whole_parts() -> None:
    boltco = figures(Dimension.SUPPLIER)[("SUP-BOLTCO", "2026-12")]

    assert boltco.defect_ppm == Decimal(3)  # 1 / 400,000 is 2.5 ppm
    assert boltco.unit_acceptance_rate == Decimal("1.0000")  # 0.9999975


def test_supplier_figures_leave_out_made_and_returned_goods() -> None:
    assert set(figures(Dimension.SUPPLIER)) == {
        ("SUP-ACME", "2026-11"),
        ("SUP-ACME", "2026-12"),
        ("SUP-ACME", "2027-01"),
        ("SUP-BOLTCO", "2026-12"),
    }


def test_only_the_top_defects_are_kept() -> None:
    december = figures(Dimension.SUPPLIER, top=2)[("SUP-ACME", "2026-12")]

    assert december.top_defects == (DefectCount("DENT", 3), DefectCount("RUST", 3))


def test_an_operators_rejects_cost_their_standard_cost_lot_by_lot() -> None:
    rows = figures(Dimension.OPERATOR)

    wang = rows[("wang", "2026-12")]
    assert wang.inspection_lots == ("IL-10", "IL-12")
    assert wang.reject_costs == (
        RejectCost("IL-10", "F-IL-10", Decimal(5), Decimal("12.3456")),
        RejectCost("IL-12", "F-IL-12", Decimal("0.5"), Decimal("12.3456")),
    )
    assert wang.reject_cost == Decimal("67.9008")  # 5 * 12.3456 + 0.5 * 12.3456
    assert wang.unit_acceptance_rate == Decimal("0.9220")  # 65 / 70.5 = 0.92198…
    assert wang.defect_ppm == Decimal(78_014)  # 5.5 / 70.5 * 1,000,000 = 78,014.18…
    assert wang.ncrs_opened == ("NCR-10",)
    assert rows[("li", "2026-12")].reject_cost == Decimal("24.6912")
    assert set(rows) == {("li", "2026-12"), ("wang", "2026-12")}


def test_production_figures_per_work_order_and_finished_item() -> None:
    per_order = figures(Dimension.WORK_ORDER)
    per_item = figures(Dimension.FINISHED_ITEM)

    wo17 = per_order[("WO-000017", "2026-12")]
    assert (wo17.units_inspected, wo17.units_rejected, wo17.defect_ppm) == (100, 7, Decimal(70_000))
    assert wo17.reject_cost == Decimal("86.4192")
    assert wo17.top_defects == (DefectCount("WELD", 2),)
    assert per_order[("WO-000018", "2026-12")].lot_acceptance_rate == Decimal("0.0000")
    frame = per_item[("FRAME", "2026-12")]
    assert frame.inspection_lots == ("IL-10", "IL-11", "IL-12")
    assert frame.reject_cost == Decimal("92.5920")
    assert set(per_item) == {("FRAME", "2026-12")}


def test_the_cost_of_rejects_is_exact() -> None:
    cost = RejectCost("IL-1", "L-1", Decimal("0.333333"), Decimal("12.3456")).cost

    assert cost == Decimal("4.1151958848")
    assert str(cost) == "4.1151958848"


def test_an_ncr_names_one_of_the_lots() -> None:
    with pytest.raises(ValueError, match="IL-99"):
        quality_figures(LOTS, [NcrRecord("NCR-9", "IL-99", day(12, 1), None)], Dimension.SUPPLIER)
