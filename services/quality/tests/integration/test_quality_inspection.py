"""Inspection through the real services: catalog, stock and quality over gRPC and NATS. A
receipt into QC_HOLD opens one lot by itself; its decision moves the stock by itself."""

from __future__ import annotations

from decimal import Decimal

from quality_support import (
    INSPECTOR,
    OTHER_INSPECTOR,
    QUARANTINE,
    SHELF,
    Suite,
    balances,
    caught_up,
    d,
    decide,
    inspected_item,
    inspected_lot,
    inspection_movements,
    key,
    lots_of,
    moved,
    publish,
    receive_available,
    receive_on_hold,
    record,
    refused,
    the_lot,
    warehouse,
)
from sqlalchemy import select

from invariant.events.v1 import envelope_pb2
from invariant.events.v1 import stock_pb2 as stock_events
from invariant.quality.v1 import quality_pb2 as pb
from invariant_core import identity
from invariant_core.db import utcnow
from invariant_core.messages import timestamp_message
from invariant_core.testing import eventually
from invariant_kernel.errors import ErrorCode

MOVEMENT_POSTED = "inventory.stock.movement.posted"
DECIDED = "inventory.quality.inspection.decided"


async def test_a_receipt_of_100_is_sampled_20_and_a_partial_decision_moves_90_available_and_10_into_quarantine(
    suite: Suite,
) -> None:
    sku, lot = await inspected_lot(suite)

    sampling = lot.sampling
    assert (sampling.code_letter, sampling.sample_size, sampling.accept, sampling.reject) == ("F", 20, 1, 2)
    assert (sampling.lot_size, lot.plan_version, lot.state) == (100, 1, pb.LOT_STATE_OPEN)
    assert (lot.document.type, lot.document.id, lot.document.line) == ("PURCHASE_ORDER", "PO-1", "1")
    assert (lot.inspected_samples, lot.defective_samples, lot.verdict) == (20, 1, pb.VERDICT_ACCEPT)
    assert {(r.inspector, r.conforming) for r in lot.results} == {("ines", True), ("ines", False)}

    decided = await decide(suite, lot.id, pb.OUTCOME_PARTIAL, "90", "10")

    assert decided.state == pb.LOT_STATE_DECIDED
    assert (decided.decision.accepted.value, decided.decision.rejected.value) == ("90", "10")
    assert (decided.decision.decided_by, decided.decision.verdict) == ("ines", pb.VERDICT_ACCEPT)
    await moved(suite, sku, {(SHELF, "AVAILABLE"): Decimal(90), (QUARANTINE, "REJECTED"): Decimal(10)})
    movements = await inspection_movements(suite, lot.id)
    assert sorted((m.document.line, m.actor, m.quantity.value) for m in movements) == sorted(
        [(decided.decision.id, "ines", "90"), (decided.decision.id, "ines", "10")]
    )


async def test_the_verdict_is_shown_before_the_decision_and_rejects_at_the_reject_number(suite: Suite) -> None:
    _, lot = await inspected_lot(suite, defective=2)

    assert (lot.defective_samples, lot.verdict, lot.state) == (2, pb.VERDICT_REJECT, pb.LOT_STATE_OPEN)


async def test_the_same_movement_delivered_twice_opens_one_lot(suite: Suite) -> None:
    await warehouse(suite)
    sku = await inspected_item(suite)
    receipt = await receive_on_hold(suite, sku, 100)
    lot = await the_lot(suite, sku)

    # The same movement published again in an envelope of its own, as a republishing would.
    again = envelope_pb2.Envelope(id=key(), type=MOVEMENT_POSTED, producer="stock", actor="rita")
    again.occurred_at.CopyFrom(timestamp_message(utcnow()))
    again.payload.Pack(
        stock_events.MovementPosted(
            movement_id=receipt.id,
            type="RECEIPT",
            item_sku=sku,
            quantity=d(100),
            to=stock_events.StockPlace(warehouse="WH1", location=SHELF, status="QC_HOLD"),
            document=stock_events.DocumentRef(type="PURCHASE_ORDER", id="PO-1", line="1"),
        )
    )
    await caught_up(suite.events, "quality-movements", await publish(suite.events, MOVEMENT_POSTED, again))

    assert [found.id for found in await lots_of(suite, sku)] == [lot.id]
    # No plan of its own: the default visual check, version 0, AQL 2.5.
    assert (lot.plan_version, lot.sampling.sample_size, lot.sampling.accept) == (0, 20, 1)


async def test_a_decision_delivered_twice_moves_stock_once(suite: Suite) -> None:
    sku, lot = await inspected_lot(suite)
    await decide(suite, lot.id, pb.OUTCOME_ACCEPT)
    await moved(suite, sku, {(SHELF, "AVAILABLE"): Decimal(100)})

    async with suite.running["quality"].uows.reader() as uow:
        outbox = uow.metadata.tables["outbox"]
        [sent] = (await uow.session.execute(select(outbox.c.envelope).where(outbox.c.subject == DECIDED))).all()
    again = envelope_pb2.Envelope.FromString(sent.envelope)
    again.id = key()
    await caught_up(suite.events, "stock-inspections", await publish(suite.events, DECIDED, again))

    assert await balances(suite, sku) == {(SHELF, "AVAILABLE"): Decimal(100)}
    assert len(await inspection_movements(suite, lot.id)) == 1


async def test_bad_input_names_the_field_and_writes_nothing(suite: Suite) -> None:
    sku, lot = await inspected_lot(suite)
    unknown = [pb.ResultInput(sample=1, characteristic="COLOUR", passed=True)]

    cases = [
        (record(suite, lot.id, unknown), ErrorCode.NOT_FOUND, "results[0].characteristic"),
        (decide(suite, lot.id, pb.OUTCOME_PARTIAL, "90", "5"), ErrorCode.OUT_OF_RANGE, "rejected"),
        (decide(suite, key(), pb.OUTCOME_ACCEPT), ErrorCode.NOT_FOUND, "inspection_lot_id"),
        (decide(suite, lot.id, pb.OUTCOME_ACCEPT, who=OTHER_INSPECTOR), ErrorCode.PERMISSION_DENIED, "decided_by"),
        (decide(suite, lot.id, pb.OUTCOME_UNSPECIFIED), ErrorCode.REQUIRED, "outcome"),
    ]
    for call, code, field in cases:
        refusal = await refused(call)
        assert (refusal.code, refusal.field) == (code, field), refusal

    unchanged = await suite.quality.GetInspectionLot(pb.GetInspectionLotRequest(inspection_lot_id=lot.id))
    assert (len(unchanged.results), unchanged.state, unchanged.HasField("decision")) == (40, pb.LOT_STATE_OPEN, False)

    await decide(suite, lot.id, pb.OUTCOME_REJECT)
    twice = await refused(decide(suite, lot.id, pb.OUTCOME_ACCEPT))
    assert (twice.code, twice.field) == (ErrorCode.INVALID_STATE, "inspection_lot_id")
    await moved(suite, sku, {(QUARANTINE, "REJECTED"): Decimal(100)})


async def test_a_supervisor_decides_a_lot_they_did_not_inspect(suite: Suite) -> None:
    sku, lot = await inspected_lot(suite)
    supervisor = identity.Identity(actor="sam", roles=frozenset({"supervisor"}))

    decided = await decide(suite, lot.id, pb.OUTCOME_ACCEPT, who=supervisor)

    assert (decided.decision.decided_by, decided.decision.outcome) == ("sam", pb.OUTCOME_ACCEPT)
    await moved(suite, sku, {(SHELF, "AVAILABLE"): Decimal(100)})


async def test_a_manual_lot_puts_available_stock_on_hold_at_stock(suite: Suite) -> None:
    await warehouse(suite)
    sku = await inspected_item(suite)
    await receive_available(suite, sku, 30)

    with identity.acting(INSPECTOR):
        lot = await suite.quality.OpenManualLot(
            pb.OpenManualLotRequest(
                idempotency_key=key(),
                item_sku=sku,
                place=pb.HeldPlace(warehouse="WH1", location=SHELF),
                quantity=d(10),
                reason="customer complaint about rust",
            )
        )
    # The default plan for 10 units: code letter B, whose arrow at AQL 2.5 leads to C's 5 samples.
    assert (lot.state, lot.document.type, lot.sampling.sample_size) == (pb.LOT_STATE_HOLDING, "MANUAL_HOLD", 5)

    async def held() -> bool:
        found = await suite.quality.GetInspectionLot(pb.GetInspectionLotRequest(inspection_lot_id=lot.id))
        return found.state == pb.LOT_STATE_OPEN

    await eventually(held, "stock held the lot's goods")
    assert await balances(suite, sku) == {(SHELF, "AVAILABLE"): Decimal(20), (SHELF, "QC_HOLD"): Decimal(10)}
    [hold] = await inspection_movements(suite, lot.id)
    found = await suite.quality.GetInspectionLot(pb.GetInspectionLotRequest(inspection_lot_id=lot.id))
    assert (found.movement_id, hold.actor) == (hold.id, "ines")
    # Held by hand, the lot is a lot like any other: nothing more opens it.
    assert len(await lots_of(suite, sku)) == 1


async def test_a_manual_lot_on_a_place_stock_does_not_know_is_refused_and_writes_nothing(suite: Suite) -> None:
    await warehouse(suite)
    sku = await inspected_item(suite)

    with identity.acting(INSPECTOR):
        refusal = await refused(
            suite.quality.OpenManualLot(
                pb.OpenManualLotRequest(
                    idempotency_key=key(),
                    item_sku=sku,
                    place=pb.HeldPlace(warehouse="WH1", location="NOWHERE"),
                    quantity=d(10),
                    reason="suspect batch",
                )
            )
        )

    assert (refusal.code, refusal.field) == (ErrorCode.NOT_FOUND, "place.location")
    assert await lots_of(suite, sku) == []
