"""Non-conformance records: opened by a decision that rejects, dispositions planned, approved,
withdrawn and carried out, the record closed. Each command runs in one transaction; what a
disposition asks of stock is recorded in it and sent once it commits (`Dispositions`), keyed
by the disposition, and stock's answer marks it carried out (`disposition_answered`). A
rework is asked of orders as a work order (`rework_ordered` books its answer), and carried
out when stock's issue to that order is told (`rework_issued`); the two may come in either
order."""

from __future__ import annotations

import uuid
from decimal import Decimal

from invariant_core import identity
from invariant_core.db import Recorder, utcnow
from invariant_kernel.decimals import parse_decimal
from invariant_kernel.errors import DomainError, ErrorCode, not_found
from invariant_kernel.limits import ID, bounded
from quality.domain import commands
from quality.domain.lots import InspectionLot, Place
from quality.domain.nonconformance import DispositionKind, NonConformance, defects_found
from quality.service.ports import Dispositions, QualityRepository, ReworkIssue


def _ncr_id(value: str) -> str:
    text = bounded(value.strip(), "ncr_id", ID)
    if not text:
        raise DomainError(ErrorCode.REQUIRED, "ncr_id is required", "ncr_id")
    return text


async def ncr_by_id(repo: QualityRepository, ncr_id: str, lock: bool = False) -> NonConformance:
    key = _ncr_id(ncr_id)
    ncr = await repo.nonconformance(key, lock=lock)
    if ncr is None:
        raise not_found("non-conformance", key, "ncr_id")
    return ncr


async def open_for_rejection(uow: Recorder, repo: QualityRepository, lot: InspectionLot) -> NonConformance | None:
    """The record of what the lot's decision rejected, in the decision's transaction; none
    when nothing was rejected. The goods are where they were held until stock's movement
    tells where it put them aside (`rejected_goods_moved`)."""
    decision = lot.decision
    if decision is None or not decision.rejected:
        return None
    ncr = NonConformance.open(
        id=str(uuid.uuid4()),
        decision_id=decision.id,
        inspection_lot_id=lot.id,
        item_sku=lot.item_sku,
        supplier=lot.supplier,
        place=lot.place,
        rejected=decision.rejected,
        defects=defects_found(lot.results),
        opened_by=decision.decided_by,
        now=decision.at,
    )
    await repo.add_nonconformance(ncr)
    uow.track(ncr)
    return ncr


async def rejected_goods_moved(
    dispositions: Dispositions, uow: Recorder, repo: QualityRepository, decision_id: str, place: Place
) -> None:
    """Stock posted the decision's rejected part REJECTED at `place` (the warehouse's
    quarantine): the record now knows where the goods lie, and what was planned meanwhile
    is sent to stock."""
    ncr = await repo.nonconformance_of_decision(decision_id, lock=True)
    if ncr is None or not ncr.locate(place):
        return
    await _send_ready(dispositions, uow, repo, ncr)


async def _send_ready(
    dispositions: Dispositions, uow: Recorder, repo: QualityRepository, ncr: NonConformance
) -> NonConformance:
    for request in ncr.ready():
        await dispositions.send(uow, request)
    await repo.save_nonconformance(ncr)
    uow.track(ncr)
    return ncr


async def update_nonconformance(
    uow: Recorder, repo: QualityRepository, cmd: commands.UpdateNonConformance
) -> NonConformance:
    """The root cause restated, and photos added (a photo kept already is kept once)."""
    ncr = await ncr_by_id(repo, cmd.ncr_id, lock=True)
    if cmd.root_cause is not None:
        ncr.record_root_cause(cmd.root_cause)
    for n, photo in enumerate(cmd.photos):
        try:
            ncr.attach_photo(photo)
        except DomainError as refused:
            raise DomainError(refused.code, refused.message, f"photos[{n}]") from None
    await repo.save_nonconformance(ncr)
    return ncr


async def plan_disposition(
    dispositions: Dispositions, uow: Recorder, repo: QualityRepository, cmd: commands.PlanDisposition
) -> NonConformance:
    """A disposition of rejected units; stock is asked at once unless it waits for a
    manager's approval (use as is) or for stock to put the goods aside."""
    try:
        kind = DispositionKind(cmd.kind)
    except ValueError:
        raise DomainError(
            ErrorCode.REQUIRED, "kind is RETURN_TO_SUPPLIER, SCRAP, REWORK or USE_AS_IS", "kind"
        ) from None
    quantity = parse_decimal(cmd.quantity, "quantity", strictly_positive=True)
    ncr = await ncr_by_id(repo, cmd.ncr_id, lock=True)
    ncr.plan_disposition(disposition_id=str(uuid.uuid4()), kind=kind, quantity=quantity, actor=_actor(), now=utcnow())
    return await _send_ready(dispositions, uow, repo, ncr)


async def approve_use_as_is(
    dispositions: Dispositions, uow: Recorder, repo: QualityRepository, cmd: commands.ApproveUseAsIs
) -> NonConformance:
    """A manager other than who asked approves using the goods as they are; stock is asked to
    release them as that manager."""
    ncr = await ncr_by_id(repo, cmd.ncr_id, lock=True)
    who = identity.current.get()
    ncr.approve_use_as_is(cmd.disposition_id.strip(), who.actor, who.roles, utcnow())
    return await _send_ready(dispositions, uow, repo, ncr)


async def withdraw_disposition(
    uow: Recorder, repo: QualityRepository, cmd: commands.WithdrawDisposition
) -> NonConformance:
    ncr = await ncr_by_id(repo, cmd.ncr_id, lock=True)
    ncr.withdraw(cmd.disposition_id.strip(), _actor(), utcnow())
    await repo.save_nonconformance(ncr)
    uow.track(ncr)
    return ncr


async def close_nonconformance(
    uow: Recorder, repo: QualityRepository, cmd: commands.CloseNonConformance
) -> NonConformance:
    """Closed once every rejected unit has a disposition carried out; refused naming
    `dispositions` otherwise."""
    ncr = await ncr_by_id(repo, cmd.ncr_id, lock=True)
    ncr.close(_actor(), utcnow())
    await repo.save_nonconformance(ncr)
    uow.track(ncr)
    return ncr


async def disposition_answered(
    uow: Recorder,
    repo: QualityRepository,
    ncr_id: str,
    disposition_id: str,
    movement_id: str,
    actor: str,
    refusal: str,
) -> None:
    """Stock's answer to a disposition, booked once (the outgoing command settles once): the
    movement that carried it out, or why stock refused."""
    ncr = await repo.nonconformance(ncr_id, lock=True)
    if ncr is None:
        return
    if movement_id:
        ncr.carry_out(disposition_id, actor=actor, now=utcnow(), movement_id=movement_id)
    else:
        ncr.stock_refused(disposition_id, refusal)
    await repo.save_nonconformance(ncr)
    uow.track(ncr)


async def rework_ordered(
    uow: Recorder, repo: QualityRepository, ncr_id: str, disposition_id: str, work_order: str, refusal: str
) -> None:
    """Orders' answer to a rework, booked once: the work order it made (the rework carried
    out if stock's issue to it was told first), or why it refused."""
    # The work order's row first, as `rework_issued` takes it, then the record: one order of locks.
    issue = await repo.rework_ordered(work_order, ncr_id, disposition_id) if work_order else None
    ncr = await repo.nonconformance(ncr_id, lock=True)
    if ncr is None:
        return
    if issue is None:
        ncr.stock_refused(disposition_id, refusal)
    else:
        ncr.rework_ordered(disposition_id, work_order)
        _reworked(ncr, issue)
    await repo.save_nonconformance(ncr)
    uow.track(ncr)


async def rework_issued(
    uow: Recorder, repo: QualityRepository, work_order: str, quantity: Decimal, movement_id: str, actor: str
) -> None:
    """Stock issued rejected goods to the rework work order `work_order`: its disposition is
    carried out once the whole quantity is issued; kept until orders' answer names the
    disposition, if it has not yet."""
    issue = await repo.rework_issued(work_order, quantity, movement_id, actor)
    if not issue.ncr_id:
        return
    ncr = await repo.nonconformance(issue.ncr_id, lock=True)
    if ncr is None:
        return
    _reworked(ncr, issue)
    await repo.save_nonconformance(ncr)
    uow.track(ncr)


def _reworked(ncr: NonConformance, issue: ReworkIssue) -> None:
    if issue.issued:
        ncr.rework_issued(
            issue.disposition_id, issued=issue.issued, movement_id=issue.movement_id, actor=issue.actor, now=utcnow()
        )


def _actor() -> str:
    return identity.current.get().actor
