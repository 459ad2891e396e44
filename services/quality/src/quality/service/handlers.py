"""The quality service's commands and queries. A command runs in one transaction that the
dispatcher opens and commits (invariant_core.commands); handlers never commit, and what they
need of other services is read before the transaction (`prepare_*`) or sent after it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

from invariant_core import identity
from invariant_core.db import Recorder, utcnow
from invariant_kernel.decimals import parse_decimal
from invariant_kernel.errors import DomainError, ErrorCode, not_found
from invariant_kernel.limits import CODE, bounded
from quality.domain import commands
from quality.domain.lots import DocumentRef, InspectionLot, Outcome, Place
from quality.domain.plans import (
    AqlSampling,
    Attribute,
    Characteristic,
    FixedSample,
    InspectionPlan,
    Measured,
    PlanState,
    Sampling,
    plan_in_force,
)
from quality.service import nonconformance
from quality.service.ports import Holds, Items, QualityRepository, Reading, Stock

MEASURED = "MEASURED"
ATTRIBUTE = "ATTRIBUTE"
FIXED = "FIXED"
AQL = "AQL"
# The movements that bring goods in from outside the warehouse: those into QC_HOLD are inspected.
INCOMING = frozenset({"RECEIPT", "RETURN"})
QC_HOLD = "QC_HOLD"


@contextmanager
def within(prefix: str) -> Iterator[None]:
    """Refusals inside the block name their field under `prefix` (`results[2].sample`)."""
    try:
        yield
    except DomainError as refused:
        field = f"{prefix}.{refused.field}" if refused.field else prefix
        raise DomainError(refused.code, refused.message, field) from None


def _actor() -> str:
    return identity.current.get().actor


def _plan_id(value: str) -> str:
    text = bounded(value.strip(), "plan_id", 64)
    if not text:
        raise DomainError(ErrorCode.REQUIRED, "plan_id is required", "plan_id")
    return text


def _lot_id(value: str) -> str:
    text = bounded(value.strip(), "inspection_lot_id", 64)
    if not text:
        raise DomainError(ErrorCode.REQUIRED, "inspection_lot_id is required", "inspection_lot_id")
    return text


# plans


@dataclass(frozen=True)
class PlanContent:
    characteristics: tuple[Characteristic, ...]
    sampling: Sampling


def plan_content(
    characteristics: Sequence[commands.CharacteristicInput], sampling: commands.SamplingInput
) -> PlanContent:
    """What a plan checks and how much it samples, each refusal naming its field."""
    checked = []
    for n, given in enumerate(characteristics):
        with within(f"characteristics[{n}]"):
            checked.append(_characteristic(given))
    with within("sampling"):
        return PlanContent(tuple(checked), _sampling(sampling))


def _characteristic(given: commands.CharacteristicInput) -> Characteristic:
    if given.kind == MEASURED:
        return Measured.of(given.code, given.name, given.nominal, given.lower, given.upper, given.unit)
    if given.kind == ATTRIBUTE:
        return Attribute.of(given.code, given.name, given.defect_codes)
    raise DomainError(ErrorCode.REQUIRED, "a characteristic is measured or an attribute", "kind")


def _sampling(given: commands.SamplingInput) -> Sampling:
    if given.kind == FIXED:
        return FixedSample.of(given.size, given.accept)
    if given.kind == AQL:
        return AqlSampling.of(given.level, given.aql)
    raise DomainError(ErrorCode.REQUIRED, "a plan samples a fixed number of units or by AQL", "kind")


@dataclass(frozen=True)
class PreparedDraft:
    item_sku: str
    supplier: str
    content: PlanContent


async def prepare_draft(items: Items, cmd: commands.DraftPlan) -> PreparedDraft:
    """The item as the catalog knows it; the plan's content checked before the transaction."""
    item = await items.view(cmd.item_sku, "item_sku")
    supplier = bounded(cmd.supplier.strip().upper(), "supplier", CODE)
    return PreparedDraft(item.sku, supplier, plan_content(cmd.characteristics, cmd.sampling))


async def draft_plan(uow: Recorder, repo: QualityRepository, cmd: PreparedDraft) -> InspectionPlan:
    """Version one above the highest of the item's and supplier's plans."""
    plan = InspectionPlan.new_draft(
        id=str(uuid.uuid4()),
        item_sku=cmd.item_sku,
        supplier=cmd.supplier,
        version=await repo.next_plan_version(cmd.item_sku, cmd.supplier),
        characteristics=cmd.content.characteristics,
        sampling=cmd.content.sampling,
        actor=_actor(),
        now=utcnow(),
    )
    await repo.add_plan(plan)
    return plan


async def revise_plan(uow: Recorder, repo: QualityRepository, cmd: commands.RevisePlan) -> InspectionPlan:
    plan = await plan_by_id(repo, cmd.plan_id, lock=True)
    content = plan_content(cmd.characteristics, cmd.sampling)
    plan.revise(content.characteristics, content.sampling)
    await repo.save_plan(plan)
    return plan


async def activate_plan(uow: Recorder, repo: QualityRepository, cmd: commands.ActivatePlan) -> InspectionPlan:
    """The draft in force; the version it supersedes (same item and supplier) is saved with it."""
    plan = await plan_by_id(repo, cmd.plan_id, lock=True)
    in_force = next(
        (
            other
            for other in await repo.plans_of(plan.item_sku)
            if other.supplier == plan.supplier and other.state is PlanState.ACTIVE and other.id != plan.id
        ),
        None,
    )
    plan.activate(in_force, utcnow())
    if in_force is not None:
        await repo.save_plan(in_force)
    await repo.save_plan(plan)
    uow.track(plan)
    return plan


async def plan_by_id(repo: QualityRepository, plan_id: str, lock: bool = False) -> InspectionPlan:
    key = _plan_id(plan_id)
    plan = await repo.plan(key, lock=lock)
    if plan is None:
        raise not_found("plan", key, "plan_id")
    return plan


async def plan_for(repo: QualityRepository, item_sku: str, supplier: str) -> InspectionPlan:
    """The plan in force for a new lot; the default one is stored the first time a lot uses
    it, so that the lot keeps the plan it was judged by whatever the code's default becomes."""
    return (await _plans_for(repo, [(item_sku, supplier)]))[item_sku, supplier]


async def _plans_for(
    repo: QualityRepository, wanted: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], InspectionPlan]:
    """The plan in force for each (item, supplier), read in one go."""
    stored = await repo.plans_of_items({item_sku for item_sku, _ in wanted})
    now, chosen = utcnow(), {}
    for item_sku, supplier in wanted:
        known = stored.setdefault(item_sku, [])
        plan = plan_in_force(known, item_sku, supplier, now)
        if all(other.id != plan.id for other in known):
            await repo.add_plan(plan)
            known.append(plan)
        chosen[item_sku, supplier] = plan
    return chosen


# lots


async def open_lots(
    uow: Recorder, repo: QualityRepository, movements: Sequence[commands.HeldMovement]
) -> list[InspectionLot]:
    """A lot for the goods each receipt or return put into QC_HOLD, one per movement however
    often it comes; the lots opened now. Movements that came together are handled together,
    so that a busy receiving dock costs a few statements a batch rather than each."""
    held = {m.movement_id: m for m in movements if m.movement_type in INCOMING and m.status == QC_HOLD}
    for movement_id in await repo.movements_with_lots(list(held)):
        del held[movement_id]
    if not held:
        return []
    # A purchase receipt names its supplier: the supplier's own plan applies where there is one.
    suppliers = {m.movement_id: m.supplier.strip().upper() for m in held.values()}
    plans = await _plans_for(repo, [(m.item_sku, suppliers[m.movement_id]) for m in held.values()])
    now = utcnow()
    lots = [
        InspectionLot.open(
            id=str(uuid.uuid4()),
            movement_id=m.movement_id,
            item_sku=m.item_sku,
            place=Place(m.warehouse, m.location, m.lot),
            quantity=Decimal(m.quantity),
            document=DocumentRef(m.document_type, m.document_id, m.document_line),
            supplier=suppliers[m.movement_id],
            supplier_lot=m.supplier_lot,
            plan=plans[m.item_sku, suppliers[m.movement_id]],
            now=now,
            opened_by=m.actor,
        )
        for m in held.values()
    ]
    await repo.add_lots(lots)
    uow.track(*lots)
    return lots


@dataclass(frozen=True)
class PreparedHold:
    item_sku: str
    place: Place
    quantity: Decimal
    reason: str
    supplier: str
    supplier_lot: str


async def prepare_manual_lot(items: Items, stock: Stock, cmd: commands.OpenManualLot) -> PreparedHold:
    """The item, the quantity in its base unit and the place, checked with the catalog and stock."""
    item = await items.view(cmd.item_sku, "item_sku")
    quantity = item.to_base(cmd.quantity, "", "quantity")
    warehouse = cmd.warehouse.strip().upper()
    location = cmd.location.strip().upper()
    for value, field in ((warehouse, "place.warehouse"), (location, "place.location")):
        if not value:
            raise DomainError(ErrorCode.REQUIRED, f"{field} is required", field)
    if not await stock.places({(warehouse, location)}):
        raise not_found("location", f"{warehouse}/{location}", "place.location")
    lot = bounded(cmd.lot.strip(), "place.lot", CODE)
    return PreparedHold(
        item.sku,
        Place(warehouse, location, lot),
        quantity,
        cmd.reason,
        cmd.supplier.strip().upper(),
        cmd.supplier_lot,
    )


async def open_manual_lot(holds: Holds, uow: Recorder, repo: QualityRepository, cmd: PreparedHold) -> InspectionLot:
    """The lot, recorded HOLDING; stock is asked to hold the goods once it commits."""
    lot = InspectionLot.hold_by_hand(
        id=str(uuid.uuid4()),
        item_sku=cmd.item_sku,
        place=cmd.place,
        quantity=cmd.quantity,
        reason=cmd.reason,
        supplier=cmd.supplier,
        supplier_lot=cmd.supplier_lot,
        plan=await plan_for(repo, cmd.item_sku, cmd.supplier),
        actor=_actor(),
        now=utcnow(),
    )
    await repo.add_lots([lot])
    uow.track(lot)
    await holds.hold(uow, lot)
    return lot


async def hold_answered(repo: QualityRepository, lot_id: str, movement_id: str, refusal: str) -> None:
    """Stock's answer to a hold by hand: the movement that holds the goods, or its refusal."""
    lot = await repo.lot(lot_id, lock=True)
    if lot is None:
        return
    if movement_id:
        lot.held(movement_id)
    else:
        lot.not_held(refusal)
    await repo.save_lot(lot)


async def record_results(uow: Recorder, repo: QualityRepository, cmd: commands.RecordResults) -> InspectionLot:
    """Every result, as the caller, or none: the first refused names results[i]."""
    if not cmd.results:
        raise DomainError(ErrorCode.REQUIRED, "results holds at least one result", "results")
    lot = await lot_by_id(repo, cmd.inspection_lot_id, lock=True)
    inspector, now = _actor(), utcnow()
    for n, given in enumerate(cmd.results):
        with within(f"results[{n}]"):
            if given.value is not None:
                value = parse_decimal(given.value, "value", places=None)
                lot.record_measurement(given.sample, given.characteristic.strip(), value, inspector, now)
            else:
                lot.record_attribute(
                    given.sample, given.characteristic.strip(), given.passed, given.defect_code, inspector, now
                )
    await repo.save_lot(lot)
    return lot


@dataclass(frozen=True)
class PreparedDecision:
    decision: commands.DecideLot
    # The item's standard cost per base unit, read from the catalog before the transaction.
    standard_cost: Decimal | None


async def prepare_decision(reading: Reading, items: Items, cmd: commands.DecideLot) -> PreparedDecision:
    """The lot's item's standard cost as the catalog has it now, so that figures cost the
    rejects at the cost in force when they were rejected."""
    async with reading() as repo:
        lot = await lot_by_id(repo, cmd.inspection_lot_id)
    return PreparedDecision(cmd, await items.standard_cost(lot.item_sku))


async def decide_lot(uow: Recorder, repo: QualityRepository, prepared: PreparedDecision) -> InspectionLot:
    """The decision, with inventory.quality.inspection.decided in the same transaction, and a
    non-conformance record for what it rejects."""
    cmd = prepared.decision
    try:
        outcome = Outcome(cmd.outcome)
    except ValueError:
        raise DomainError(ErrorCode.REQUIRED, "outcome is ACCEPT, REJECT or PARTIAL", "outcome") from None
    accepted = parse_decimal(cmd.accepted, "accepted") if cmd.accepted.strip() else None
    rejected = parse_decimal(cmd.rejected, "rejected") if cmd.rejected.strip() else None
    lot = await lot_by_id(repo, cmd.inspection_lot_id, lock=True)
    who = identity.current.get()
    lot.decide(
        decision_id=str(uuid.uuid4()),
        outcome=outcome,
        actor=who.actor,
        roles=who.roles,
        now=utcnow(),
        accepted=accepted,
        rejected=rejected,
    )
    await repo.save_lot(lot)
    uow.track(lot)
    assert lot.decision is not None
    await repo.cost_decision(lot.decision.id, prepared.standard_cost)
    await nonconformance.open_for_rejection(uow, repo, lot)
    return lot


async def lot_by_id(repo: QualityRepository, lot_id: str, lock: bool = False) -> InspectionLot:
    key = _lot_id(lot_id)
    lot = await repo.lot(key, lock=lock)
    if lot is None:
        raise not_found("inspection lot", key, "inspection_lot_id")
    return lot
