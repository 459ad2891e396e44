"""Non-conformance through the real services: a 90/10 decision opens an NCR, its dispositions
move the REJECTED stock at stock once each (however often they are asked), use as is needs
another manager, and the NCR closes only when every rejected unit is carried out."""

from __future__ import annotations

from decimal import Decimal

from quality_support import (
    QUARANTINE,
    SHELF,
    Suite,
    balances,
    d,
    decide,
    inspected_lot,
    key,
    moved,
    refused,
)

from invariant.quality.v1 import quality_pb2 as pb
from invariant.stock.v1 import stock_pb2 as spb
from invariant_core import identity
from invariant_core.testing import eventually
from invariant_kernel.errors import ErrorCode

QUINN = identity.Identity(actor="quinn", roles=frozenset({"manager"}))
MARIA = identity.Identity(actor="maria", roles=frozenset({"manager"}))


async def rejected_ten(suite: Suite) -> tuple[str, pb.NonConformance]:
    """A receipt of 100 decided 90/10; its NCR once stock has put the 10 aside."""
    sku, lot = await inspected_lot(suite)
    await decide(suite, lot.id, pb.OUTCOME_PARTIAL, "90", "10")
    await moved(suite, sku, {(SHELF, "AVAILABLE"): Decimal(90), (QUARANTINE, "REJECTED"): Decimal(10)})

    async def located() -> bool:
        found = await suite.quality.ListNonConformances(pb.ListNonConformancesRequest(item_sku=sku))
        return len(found.nonconformances) == 1 and found.nonconformances[0].located

    await eventually(located, "the NCR knows where stock put the rejected goods")
    [ncr] = (await suite.quality.ListNonConformances(pb.ListNonConformancesRequest(item_sku=sku))).nonconformances
    return sku, ncr


async def ncr_now(suite: Suite, ncr_id: str) -> pb.NonConformance:
    return await suite.quality.GetNonConformance(pb.GetNonConformanceRequest(ncr_id=ncr_id))


async def carried_out(suite: Suite, ncr_id: str, disposition_id: str) -> pb.Disposition:
    async def done() -> bool:
        found = await ncr_now(suite, ncr_id)
        return any(x.id == disposition_id and x.state == pb.DISPOSITION_STATE_CARRIED_OUT for x in found.dispositions)

    await eventually(done, f"disposition {disposition_id} carried out")
    return next(x for x in (await ncr_now(suite, ncr_id)).dispositions if x.id == disposition_id)


def planning(ncr_id: str, kind: int, quantity: str, idempotency_key: str = "") -> pb.PlanDispositionRequest:
    return pb.PlanDispositionRequest(
        idempotency_key=idempotency_key or key(), ncr_id=ncr_id, kind=kind, quantity=d(quantity)
    )


async def ncr_movements(suite: Suite, ncr_id: str) -> list[spb.Movement]:
    found = await suite.stock.ListMovements(
        spb.ListMovementsRequest(document=spb.DocumentRef(type="NCR", id=ncr_id), page_size=100)
    )
    return list(found.movements)


async def test_a_partial_decision_opens_an_ncr_with_the_rejected_units_where_stock_put_them(suite: Suite) -> None:
    sku, ncr = await rejected_ten(suite)

    assert (ncr.rejected.value, ncr.unplanned.value, ncr.state) == ("10", "10", pb.NCR_STATE_OPEN)
    assert (ncr.place.warehouse, ncr.place.location) == ("WH1", QUARANTINE)
    assert [(x.code, x.count) for x in ncr.defects] == [("DIA", 1), ("RUST", 1)]
    assert (ncr.item_sku, ncr.opened_by) == (sku, "ines")


async def test_return_to_supplier_issues_the_rejected_once_however_often_it_is_asked(suite: Suite) -> None:
    sku, ncr = await rejected_ten(suite)
    request = planning(ncr.id, pb.DISPOSITION_KIND_RETURN_TO_SUPPLIER, "10", key())

    with identity.acting(QUINN):
        first = await suite.quality.PlanDisposition(request)
        again = await suite.quality.PlanDisposition(request)
    [disposition] = first.dispositions
    assert [x.id for x in again.dispositions] == [disposition.id]
    done = await carried_out(suite, ncr.id, disposition.id)

    [issue] = await ncr_movements(suite, ncr.id)
    assert (issue.id, issue.reason_code, issue.document.line) == (done.movement_id, "RETURN_TO_SUPPLIER", done.id)
    assert (issue.type, issue.quantity.value) == (spb.MOVEMENT_TYPE_ISSUE, "10")
    assert await balances(suite, sku) == {(SHELF, "AVAILABLE"): Decimal(90)}


async def test_a_disposition_beyond_the_rejected_units_is_refused_naming_quantity_and_writes_nothing(
    suite: Suite,
) -> None:
    sku, ncr = await rejected_ten(suite)

    with identity.acting(QUINN):
        refusal = await refused(suite.quality.PlanDisposition(planning(ncr.id, pb.DISPOSITION_KIND_SCRAP, "11")))

    assert (refusal.code, refusal.field) == (ErrorCode.OUT_OF_RANGE, "quantity")
    assert list((await ncr_now(suite, ncr.id)).dispositions) == []
    assert await ncr_movements(suite, ncr.id) == []
    assert await balances(suite, sku) == {(SHELF, "AVAILABLE"): Decimal(90), (QUARANTINE, "REJECTED"): Decimal(10)}


async def test_use_as_is_needs_another_manager_and_the_ncr_closes_only_when_all_is_carried_out(
    suite: Suite,
) -> None:
    sku, ncr = await rejected_ten(suite)
    with identity.acting(QUINN):
        scrapped = await suite.quality.PlanDisposition(planning(ncr.id, pb.DISPOSITION_KIND_SCRAP, "4"))
        planned = await suite.quality.PlanDisposition(planning(ncr.id, pb.DISPOSITION_KIND_USE_AS_IS, "6"))
        [_, use] = planned.dispositions
        own = await refused(
            suite.quality.ApproveUseAsIs(
                pb.ApproveUseAsIsRequest(idempotency_key=key(), ncr_id=ncr.id, disposition_id=use.id)
            )
        )
    assert (own.code, own.field) == (ErrorCode.PERMISSION_DENIED, "approved_by")
    await carried_out(suite, ncr.id, scrapped.dispositions[0].id)
    early = await refused(
        suite.quality.CloseNonConformance(pb.CloseNonConformanceRequest(idempotency_key=key(), ncr_id=ncr.id))
    )
    assert (early.code, early.field) == (ErrorCode.INVALID_STATE, "dispositions")
    assert await balances(suite, sku) == {(SHELF, "AVAILABLE"): Decimal(90), (QUARANTINE, "REJECTED"): Decimal(6)}

    with identity.acting(MARIA):
        await suite.quality.ApproveUseAsIs(
            pb.ApproveUseAsIsRequest(idempotency_key=key(), ncr_id=ncr.id, disposition_id=use.id)
        )
    released = await carried_out(suite, ncr.id, use.id)
    closed = await suite.quality.CloseNonConformance(
        pb.CloseNonConformanceRequest(idempotency_key=key(), ncr_id=ncr.id)
    )

    assert (released.approved_by, closed.state, closed.carried_out.value) == ("maria", pb.NCR_STATE_CLOSED, "10")
    await moved(suite, sku, {(SHELF, "AVAILABLE"): Decimal(90), (QUARANTINE, "AVAILABLE"): Decimal(6)})
    movements = await ncr_movements(suite, ncr.id)
    assert sorted((m.type, m.actor) for m in movements) == sorted(
        [(spb.MOVEMENT_TYPE_SCRAP, "quinn"), (spb.MOVEMENT_TYPE_STATUS_CHANGE, "maria")]
    )
