"""The orders service as quality asks it: a rework work order for a rework disposition, sent
as a command after the transaction that made it due commits (invariant_core.outgoing)."""

from __future__ import annotations

from invariant.orders.v1 import orders_pb2
from invariant_core.db import Recorder, UnitOfWork
from invariant_core.messages import decimal_message
from invariant_core.outgoing import Command, Outcome, OutgoingCommands
from quality.adapters.repository import SqlQualityRepository
from quality.domain.nonconformance import ReworkOrder
from quality.service import nonconformance

# The document a rework order names as what it reworks: the record, the disposition as line.
NCR_DOCUMENT = "NCR"


async def _settle_rework(
    uow: UnitOfWork, outcome: Outcome[orders_pb2.CreateWorkOrderRequest, orders_pb2.WorkOrder]
) -> None:
    """The work order orders made; its refusal is kept on the disposition."""
    source = outcome.request.rework
    await nonconformance.rework_ordered(
        uow,
        SqlQualityRepository(uow.session),
        source.document_id,
        source.document_line,
        outcome.response.number if outcome.response is not None else "",
        outcome.refusal.message if outcome.refusal is not None else "",
    )


REWORK = Command(
    name="rework",
    peer="orders",
    method="/invariant.orders.v1.OrdersService/CreateWorkOrder",
    request=orders_pb2.CreateWorkOrderRequest,
    response=orders_pb2.WorkOrder,
    settle=_settle_rework,
)


class ReworkOrders:
    """Rework work orders, keyed by the disposition: a retry, or the same command sent twice,
    makes one order."""

    def __init__(self, outgoing: OutgoingCommands) -> None:
        self._outgoing = outgoing

    async def send(self, uow: Recorder, request: ReworkOrder) -> None:
        assert isinstance(uow, UnitOfWork), "commands are recorded in a real unit of work"
        place = request.place
        order = orders_pb2.CreateWorkOrderRequest(
            item_sku=request.item_sku,
            quantity=decimal_message(request.quantity),
            warehouse=place.warehouse,
            kind=orders_pb2.WORK_ORDER_KIND_REWORK,
            rework=orders_pb2.ReworkSource(
                document_type=NCR_DOCUMENT,
                document_id=request.ncr_id,
                document_line=request.disposition_id,
                location=place.location,
                lot=place.lot,
            ),
        )
        await self._outgoing.send(uow, REWORK, order, cause=request.disposition_id, purpose="rework")
