"""Orders' purchasing consumers: quality's decisions on purchase order lines, and stock's
safety-stock crossings that draft purchase suggestions."""

from __future__ import annotations

import logging
from decimal import Decimal

from invariant.events.v1 import envelope_pb2, quality_pb2, stock_pb2
from invariant_core.bus import Subscription
from invariant_core.db import UnitOfWork
from invariant_kernel.errors import DomainError, ErrorCode
from orders.adapters.repository import SqlOrdersRepository
from orders.domain.purchasing import DOCUMENT_TYPE
from orders.domain.suggestions import PlaceFigures
from orders.service import purchasing
from orders.service.purchasing_ports import Places

log = logging.getLogger(__name__)

DECIDED = "inventory.quality.inspection.decided"
CROSSED = "inventory.stock.threshold.crossed"
BELOW_SAFETY = "BELOW_SAFETY"


def purchasing_subscriptions(places: Places) -> list[Subscription]:
    crossings = Crossings(places)
    return [
        Subscription(durable="orders-inspections", subject=DECIDED, handler=apply_decision, fact_id=decision_id),
        Subscription(
            durable="orders-thresholds",
            subject=CROSSED,
            handler=crossings.apply,
            prepare=crossings.prepare,
            fact_id=crossing_id,
        ),
    ]


def _decision(envelope: envelope_pb2.Envelope) -> quality_pb2.InspectionDecided:
    decided = quality_pb2.InspectionDecided()
    envelope.payload.Unpack(decided)
    return decided


def decision_id(envelope: envelope_pb2.Envelope) -> str:
    """A decision is booked once, whatever envelope it comes in."""
    return _decision(envelope).decision_id if envelope.type == DECIDED else ""


async def apply_decision(envelope: envelope_pb2.Envelope, uow: UnitOfWork) -> None:
    """Book accepted and rejected quantities on the purchase order line the decision names;
    decisions on other documents (work orders, returns) are not purchasing's."""
    if envelope.type != DECIDED:
        return
    decided = _decision(envelope)
    if decided.document.type != DOCUMENT_TYPE:
        return
    booked = await purchasing.inspection_decided(
        SqlOrdersRepository(uow.session),
        decided.document.id,
        decided.document.line,
        Decimal(decided.accepted.value or "0"),
        Decimal(decided.rejected.value or "0"),
    )
    if not booked:
        log.warning(
            "inspection decided on a purchase order line orders does not have",
            extra={"fields": {"decision_id": decided.decision_id, "document": decided.document.id}},
        )


def _crossing(envelope: envelope_pb2.Envelope) -> stock_pb2.ThresholdCrossed | None:
    if envelope.type != CROSSED:
        return None
    crossed = stock_pb2.ThresholdCrossed()
    envelope.payload.Unpack(crossed)
    return crossed if crossed.kind == BELOW_SAFETY else None


def crossing_id(envelope: envelope_pb2.Envelope) -> str:
    crossed = _crossing(envelope)
    return crossed.id if crossed is not None else ""


class Crossings:
    """Drafts a suggestion for a place that fell below safety stock, judged on the place's
    figures as they stand when the crossing is handled (a consumer that starts late must
    not act on every crossing since the stream began): `prepare` asks stock and the catalog
    for them outside the transaction and hands them to `apply`, which runs right after it
    for the same event."""

    def __init__(self, places: Places) -> None:
        self._places = places
        self._asked: dict[str, tuple[PlaceFigures, str]] = {}

    async def prepare(self, envelope: envelope_pb2.Envelope) -> None:
        crossed = _crossing(envelope)
        if crossed is None:
            return
        # One event is in hand at a time: what was asked for an earlier one is not needed.
        self._asked = {envelope.id: await self._places.figures(crossed.item_sku, crossed.warehouse)}

    async def apply(self, envelope: envelope_pb2.Envelope, uow: UnitOfWork) -> None:
        crossed = _crossing(envelope)
        if crossed is None:
            return
        asked = self._asked.pop(envelope.id, None)
        if asked is None:
            # Not prepared in this process: delivered again, it is.
            raise DomainError(ErrorCode.UNAVAILABLE, f"the figures of {crossed.item_sku} were not asked")
        figures, base_unit = asked
        await purchasing.draft_suggestion(
            SqlOrdersRepository(uow.session), crossed.item_sku, crossed.warehouse, figures, base_unit, crossed.id
        )
