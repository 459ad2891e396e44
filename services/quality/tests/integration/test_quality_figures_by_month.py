"""Quality figures through the real services: two suppliers' receipts decided over two months,
figures per supplier and month checked by hand, rejects costed at the catalog's standard cost;
work orders' completions decided, figures per work order, finished item and the operator who
posted the completion."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from quality_support import (
    ENGINEER,
    SHELF,
    WAREHOUSE,
    Suite,
    active_plan,
    checked,
    d,
    decide,
    key,
    lots_of,
    record,
    warehouse,
)
from sqlalchemy import update

from invariant.catalog.v1 import catalog_pb2 as cpb
from invariant.quality.v1 import quality_pb2 as pb
from invariant.stock.v1 import stock_pb2 as spb
from invariant_core import identity
from invariant_core.testing import eventually


async def costed_item(suite: Suite) -> str:
    sku = f"Q-{uuid.uuid4().hex[:10].upper()}"
    await suite.catalog.CreateItem(
        cpb.CreateItemRequest(
            idempotency_key=key(),
            sku=sku,
            name="Inspected item",
            base_unit="EA",
            inspect_on_receipt=True,
            standard_cost=d("2.50"),
        )
    )
    return sku


async def bought_lot(suite: Suite, sku: str, quantity: int, supplier: str) -> pb.InspectionLot:
    """A purchase receipt from `supplier` into QC_HOLD, and the lot quality opened for it."""
    before = len(await lots_of(suite, sku))
    await suite.stock.PostMovement(
        spb.PostMovementRequest(
            idempotency_key=key(),
            type=spb.MOVEMENT_TYPE_RECEIPT,
            item_sku=sku,
            quantity=d(quantity),
            to=spb.StockPlace(warehouse=WAREHOUSE, location=SHELF, status=spb.STOCK_STATUS_QC_HOLD),
            document=spb.DocumentRef(type="PURCHASE_ORDER", id=f"PO-{supplier}", line="1"),
            supplier=supplier,
        )
    )

    async def opened() -> bool:
        return len(await lots_of(suite, sku)) > before

    await eventually(opened, f"a lot of {sku} from {supplier}")
    return (await lots_of(suite, sku))[-1]


async def completed_lot(suite: Suite, sku: str, quantity: int, work_order: str, operator: str) -> pb.InspectionLot:
    """A work order's completion into QC_HOLD posted by `operator`, and the lot quality opened for it."""
    with identity.acting(identity.Identity(actor=operator, roles=frozenset({"operator"}))):
        await suite.stock.PostMovement(
            spb.PostMovementRequest(
                idempotency_key=key(),
                type=spb.MOVEMENT_TYPE_RECEIPT,
                item_sku=sku,
                quantity=d(quantity),
                to=spb.StockPlace(warehouse=WAREHOUSE, location=SHELF, status=spb.STOCK_STATUS_QC_HOLD),
                document=spb.DocumentRef(type="WORK_ORDER", id=work_order, line="1"),
            )
        )

    async def opened() -> bool:
        return any(lot.document.id == work_order for lot in await lots_of(suite, sku))

    await eventually(opened, f"the lot of {work_order}'s completion")
    [lot] = [lot for lot in await lots_of(suite, sku) if lot.document.id == work_order]
    return lot


async def test_production_figures_per_work_order_finished_item_and_operator_are_those_counted_by_hand(
    suite: Suite,
) -> None:
    await warehouse(suite)
    sku = await costed_item(suite)
    await active_plan(suite, sku)
    wo1, wo2 = f"WO-{uuid.uuid4().hex[:8]}", f"WO-{uuid.uuid4().hex[:8]}"
    # Olga completes 100 on the first work order: one of 20 samples rusty and oversize, 90/10.
    first = await completed_lot(suite, sku, 100, wo1, "olga")
    await record(suite, first.id, [r for n in range(1, 21) for r in checked(n, good=n > 1)])
    await decide(suite, first.id, pb.OUTCOME_PARTIAL, "90", "10")
    # Piet completes 40 on the second: rejected whole.
    second = await completed_lot(suite, sku, 40, wo2, "piet")
    await decide(suite, second.id, pb.OUTCOME_REJECT, who=ENGINEER)
    month = datetime.now(UTC).strftime("%Y-%m")

    async def figures(dimension: int) -> dict[str, tuple[object, ...]]:
        found = await suite.quality.QualityFigures(
            pb.QualityFiguresRequest(dimension=dimension, from_month=month, to_month=month)
        )
        return {
            row.key: (
                sorted(row.inspection_lots),
                row.units_inspected.value,
                row.units_rejected.value,
                row.defect_ppm.value,
                row.reject_cost.value,
                sorted((c.inspection_lot_id, c.rejected.value, c.standard_cost.value) for c in row.reject_costs),
            )
            for row in found.rows
            if row.key in (wo1, wo2, sku, "olga", "piet")
        }

    # Rejects at the catalog's standard cost of 2.50: 10 at 2.50 is 25, 40 at 2.50 is 100.
    olga = ([first.id], "100", "10", "100000", "25", [(first.id, "10", "2.5")])
    piet = ([second.id], "40", "40", "1000000", "100", [(second.id, "40", "2.5")])
    assert await figures(pb.FIGURES_DIMENSION_WORK_ORDER) == {wo1: olga, wo2: piet}
    assert await figures(pb.FIGURES_DIMENSION_OPERATOR) == {"olga": olga, "piet": piet}
    # The finished item: 50 rejected of 140 (357,142.857… ppm, half up to a whole part), 125 in all.
    assert await figures(pb.FIGURES_DIMENSION_FINISHED_ITEM) == {
        sku: (
            sorted([first.id, second.id]),
            "140",
            "50",
            "357143",
            "125",
            sorted([(first.id, "10", "2.5"), (second.id, "40", "2.5")]),
        )
    }
    # No supplier: a completion is not a purchase.
    found = await suite.quality.QualityFigures(
        pb.QualityFiguresRequest(dimension=pb.FIGURES_DIMENSION_SUPPLIER, from_month=month, to_month=month)
    )
    assert not {first.id, second.id} & {lot for row in found.rows for lot in row.inspection_lots}


async def test_figures_per_supplier_and_month_are_those_counted_by_hand(suite: Suite) -> None:
    await warehouse(suite)
    sku = await costed_item(suite)
    await active_plan(suite, sku)
    this_month = datetime.now(UTC).replace(day=1, hour=12, minute=0, second=0, microsecond=0)
    last_month = (this_month - timedelta(days=1)).replace(day=1)

    # ACME last month: 50 accepted whole.
    earlier = await bought_lot(suite, sku, 50, "ACME")
    await decide(suite, earlier.id, pb.OUTCOME_ACCEPT, who=ENGINEER)
    async with suite.running["quality"].uows() as uow:
        decisions = uow.metadata.tables["inspection_decisions"]
        await uow.session.execute(
            update(decisions).where(decisions.c.lot_id == earlier.id).values(decided_at=last_month)
        )
        await uow.commit()
    # ACME this month: 100, one of 20 samples rusty and oversize, 90 accepted and 10 rejected.
    partial = await bought_lot(suite, sku, 100, "ACME")
    await record(suite, partial.id, [r for n in range(1, 21) for r in checked(n, good=n > 1)])
    await decide(suite, partial.id, pb.OUTCOME_PARTIAL, "90", "10")
    # BETA this month: 100 rejected whole.
    rejected = await bought_lot(suite, sku, 100, "BETA")
    await decide(suite, rejected.id, pb.OUTCOME_REJECT, who=ENGINEER)

    found = await suite.quality.QualityFigures(
        pb.QualityFiguresRequest(
            dimension=pb.FIGURES_DIMENSION_SUPPLIER,
            from_month=last_month.strftime("%Y-%m"),
            to_month=this_month.strftime("%Y-%m"),
        )
    )

    ncrs = {
        ncr.inspection_lot_id: ncr.id
        for ncr in (
            await suite.quality.ListNonConformances(pb.ListNonConformancesRequest(item_sku=sku))
        ).nonconformances
    }
    rows = {(row.key, row.month): row for row in found.rows}
    assert sorted(rows) == sorted(
        [
            ("ACME", last_month.strftime("%Y-%m")),
            ("ACME", this_month.strftime("%Y-%m")),
            ("BETA", this_month.strftime("%Y-%m")),
        ]
    )

    def figures(row: pb.FiguresRow) -> tuple[object, ...]:
        return (
            list(row.inspection_lots),
            row.lots_accepted,
            row.units_inspected.value,
            row.units_rejected.value,
            row.lot_acceptance_rate.value,
            row.unit_acceptance_rate.value,
            row.defect_ppm.value,
            row.reject_cost.value,
            list(row.ncrs_opened),
        )

    assert figures(rows[("ACME", last_month.strftime("%Y-%m"))]) == (
        [earlier.id],
        1,
        "50",
        "0",
        "1",
        "1",
        "0",
        "0",
        [],
    )
    acme = rows[("ACME", this_month.strftime("%Y-%m"))]
    assert figures(acme) == ([partial.id], 0, "100", "10", "0", "0.9", "100000", "25", [ncrs[partial.id]])
    assert [(x.code, x.count) for x in acme.top_defects] == [("DIA", 1), ("RUST", 1)]
    assert [(c.inspection_lot_id, c.rejected.value, c.standard_cost.value) for c in acme.reject_costs] == [
        (partial.id, "10", "2.5")
    ]
    assert figures(rows[("BETA", this_month.strftime("%Y-%m"))]) == (
        [rejected.id],
        0,
        "100",
        "100",
        "0",
        "0",
        "1000000",
        "250",
        [ncrs[rejected.id]],
    )
