"""What stock does for quality over an in-memory repository: inspection decisions it
consumes, holds and use as is by document, and who may release QC_HOLD by hand."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from stock_fakes import (
    DOCUMENT,
    StockService,
    at,
    decide,
    decimals,
    movement,
    new_stock,
    of_type,
    post,
    receive,
    reserve,
)

from invariant_core import identity
from invariant_core.testing import refusal
from invariant_kernel.errors import ErrorCode
from stock.domain import DocumentRef, LocationKind, LocationView, MovementType, StockKey, StockStatus, commands
from stock.domain.events import MovementPosted, ShortageFound

AVAILABLE, QC_HOLD, REJECTED = StockStatus.AVAILABLE, StockStatus.QC_HOLD, StockStatus.REJECTED
STATUS_CHANGE, ISSUE = MovementType.STATUS_CHANGE, MovementType.ISSUE
KEY = StockKey("WIDGET", "WH1")
INSPECTOR = identity.Identity(actor="ines", roles=frozenset({"inspector"}))
SUPERVISOR = identity.Identity(actor="sam", roles=frozenset({"supervisor"}))
MANAGER = identity.Identity(actor="mia", roles=frozenset({"manager"}))
ADMIN = identity.Identity(actor="ada", roles=frozenset({"admin"}))


async def on_hold(quantity: str = "100", *, quarantine: tuple[str, ...] = ("QZ-2", "QZ-1")) -> StockService:
    """`quantity` received into QC_HOLD in bin A of WH1, which has the quarantine locations named."""
    stock = await new_stock()
    for code in quarantine:
        await stock.repo.add_location(LocationView("WH1", code, LocationKind.QUARANTINE))
    await receive(stock, quantity, at(status=QC_HOLD))
    stock.relay()
    return stock


def release(to: StockStatus, quantity: str = "10", reason_code: str = "") -> commands.PostMovement:
    return replace(
        movement(STATUS_CHANGE, quantity, source=at(status=QC_HOLD), target=at(status=to)), reason_code=reason_code
    )


async def test_a_decision_makes_the_accepted_available_and_moves_the_rejected_into_the_first_quarantine() -> None:
    stock = await on_hold()

    with identity.acting(INSPECTOR):
        accepted, rejected = await decide(stock, "90", "10")

    assert stock.repo.balance("WIDGET", at(status=QC_HOLD)) == 0
    assert stock.repo.balance("WIDGET", at(status=AVAILABLE)) == 90
    assert stock.repo.balance("WIDGET", at("QZ-1", REJECTED)) == 10
    assert stock.repo.balance("WIDGET", at("QZ-2", REJECTED)) == 0
    assert (accepted.plan.to_place, rejected.plan.to_place) == (at(status=AVAILABLE), at("QZ-1", REJECTED))
    assert {record.document for record in (accepted, rejected)} == {DocumentRef("INSPECTION", "LOT-1", "D-1")}
    assert {record.actor for record in (accepted, rejected)} == {"ines"}
    availability = stock.repo.availability[KEY]
    assert (availability.available, availability.qc_hold, availability.rejected) == decimals(90, 0, 10)
    assert [(m.type, m.quantity) for m in of_type(MovementPosted, stock.relay())] == [
        (STATUS_CHANGE, Decimal(90)),
        (STATUS_CHANGE, Decimal(10)),
    ]


async def test_a_warehouse_without_quarantine_keeps_the_rejected_where_they_were_held() -> None:
    stock = await on_hold(quarantine=())

    await decide(stock, "0", "100")

    assert stock.repo.balance("WIDGET", at(status=REJECTED)) == 100
    assert stock.repo.balance("WIDGET", at(status=QC_HOLD)) == 0


async def test_a_decision_delivered_again_moves_nothing_more() -> None:
    stock = await on_hold()
    first = await decide(stock, "90", "10")
    stock.relay()

    again = await decide(stock, "90", "10")

    assert (len(first), again, len(stock.repo.movements)) == (2, [], 3)
    assert stock.repo.balance("WIDGET", at(status=AVAILABLE)) == 90
    assert stock.relay() == []


@pytest.mark.parametrize(("accepted", "rejected"), [("91", "10"), ("0", "101")])
async def test_a_decision_naming_more_than_is_on_hold_is_refused_and_moves_nothing(
    accepted: str, rejected: str
) -> None:
    stock = await on_hold()

    error = await refusal(decide(stock, accepted, rejected))

    assert (error.code, error.field) == (ErrorCode.INSUFFICIENT_STOCK, "accepted")
    assert "100 is on hold" in error.message
    assert stock.repo.balance("WIDGET", at(status=QC_HOLD)) == 100
    assert stock.relay() == []


async def test_a_decision_of_nothing_is_refused() -> None:
    stock = await on_hold()

    error = await refusal(decide(stock, "0", "0"))

    assert (error.code, error.field) == (ErrorCode.REQUIRED, "accepted")


@pytest.mark.parametrize("to", [AVAILABLE, REJECTED])
@pytest.mark.parametrize("who", [INSPECTOR, SUPERVISOR, MANAGER])
async def test_qc_hold_is_not_released_by_hand_but_by_an_admin(to: StockStatus, who: identity.Identity) -> None:
    stock = await on_hold()

    with identity.acting(who):
        error = await refusal(post(stock, release(to, reason_code="ENTRY_ERROR")))

    assert (error.code, error.field) == (ErrorCode.PERMISSION_DENIED, "from.status")
    assert stock.repo.balance("WIDGET", at(status=QC_HOLD)) == 100


async def test_an_admin_releases_qc_hold_by_hand_only_giving_a_reason_which_the_movement_keeps() -> None:
    stock = await on_hold()

    with identity.acting(ADMIN):
        error = await refusal(post(stock, release(AVAILABLE)))
        corrected = await post(stock, release(AVAILABLE, reason_code="ENTRY_ERROR"))

    assert (error.code, error.field) == (ErrorCode.REQUIRED, "reason_code")
    assert (corrected.actor, corrected.plan.reason_code) == ("ada", "ENTRY_ERROR")
    assert stock.repo.balance("WIDGET", at(status=AVAILABLE)) == 10


async def test_a_quality_hold_on_reserved_stock_reports_the_shortage() -> None:
    stock = await new_stock()
    await receive(stock, "10")
    held = await reserve(stock, "8")
    stock.relay()

    with identity.acting(SUPERVISOR):
        hold = await post(stock, movement(STATUS_CHANGE, "5", source=at(), target=at(status=QC_HOLD)))

    [found] = of_type(ShortageFound, stock.relay())
    assert (found.available_on_hand, found.reserved, found.short_by) == decimals(5, 8, 3)
    assert (found.reservation_ids, found.movement_id) == ((held.id,), hold.id)
    assert stock.repo.balance("WIDGET", at(status=QC_HOLD)) == 5


async def test_a_quality_hold_needs_a_document() -> None:
    stock = await new_stock()
    await receive(stock, "10")
    hold = replace(movement(STATUS_CHANGE, "5", source=at(), target=at(status=QC_HOLD)), document=DocumentRef("", ""))

    error = await refusal(post(stock, hold))

    assert (error.code, error.field) == (ErrorCode.REQUIRED, "document.type")


@pytest.mark.parametrize("who", [INSPECTOR, SUPERVISOR, identity.Identity(actor="nobody")])
async def test_rejected_stock_is_used_as_is_only_with_a_manager(who: identity.Identity) -> None:
    stock = await on_hold(quarantine=())
    await decide(stock, "0", "100")
    use_as_is = movement(STATUS_CHANGE, "4", source=at(status=REJECTED), target=at(status=AVAILABLE))

    with identity.acting(who):
        error = await refusal(post(stock, use_as_is))
    with identity.acting(MANAGER):
        used = await post(stock, use_as_is)

    assert (error.code, error.field) == (ErrorCode.PERMISSION_DENIED, "to.status")
    assert (used.actor, used.document) == ("mia", DOCUMENT)
    assert stock.repo.balance("WIDGET", at(status=AVAILABLE)) == 4


@pytest.mark.parametrize("reason", ["RETURN_TO_SUPPLIER", "REWORK"])
async def test_rejected_stock_is_issued_to_the_supplier_or_to_rework_by_document(reason: str) -> None:
    stock = await on_hold()
    await decide(stock, "90", "10")
    issue = replace(movement(ISSUE, "10", source=at("QZ-1", REJECTED)), reason_code=reason)

    error = await refusal(post(stock, replace(issue, document=DocumentRef("", ""))))
    issued = await post(stock, issue)

    assert (error.code, error.field) == (ErrorCode.REQUIRED, "document.type")
    assert issued.plan.reason_code == reason
    assert stock.repo.balance("WIDGET", at("QZ-1", REJECTED)) == 0
