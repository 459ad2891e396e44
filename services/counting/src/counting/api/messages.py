"""What the counting service's handlers and queries return, as counting.proto's messages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from google.protobuf.timestamp_pb2 import Timestamp

from counting.domain.accuracy import AccuracyFigure
from counting.domain.entries import Accepted
from counting.domain.planning import CyclePolicy
from counting.domain.policies import ApprovalLimits, ReasonCode
from counting.domain.trace import TracedMovement
from counting.service.planning import AbcClasses, Plan
from counting.service.queries import CountView, LineView
from counting.service.tracing import LineTrace
from invariant.counting.v1 import counting_pb2 as pb
from invariant_core.messages import decimal_message, timestamp_message


def _timestamp(value: datetime | None) -> Timestamp | None:
    return None if value is None else timestamp_message(value)


def _decimal(
    message: pb.Count | pb.CountLine | pb.RoundResult | pb.Tolerance, field: str, value: Decimal | None
) -> None:
    """Set `field` to `value`, or leave it out where there is none (or none to be shown)."""
    if value is not None:
        getattr(message, field).CopyFrom(decimal_message(value))


def count_message(view: CountView) -> pb.Count:
    count, summary = view.count, view.summary
    message = pb.Count(
        id=count.id,
        warehouse=count.warehouse,
        kind=str(count.kind),
        blind=count.blind,
        locations=count.locations,
        item_skus=count.item_skus,
        abc_class=count.abc_class,
        counters=count.counters,
        note=count.note,
        state=str(count.state),
        round=view.round,
        lines=summary.total,
        lines_counted=summary.counted,
        lines_differing=view.totals.differing if view.totals else 0,
        recounts_pending=summary.recounts,
        investigations_pending=summary.investigations,
        levels_required=[str(level) for level in count.levels_required],
        created_by=count.created_by,
        created_at=_timestamp(count.created_at),
        approvals=[
            pb.Approval(level=str(a.level), actor=a.actor, at=_timestamp(a.at), comment=a.comment)
            for a in count.approvals
        ],
        transitions=[
            pb.Transition(
                from_state=t.from_state, to_state=t.to_state, actor=t.actor, at=_timestamp(t.at), comment=t.comment
            )
            for t in view.transitions
        ],
    )
    tolerance = count.tolerance
    for name in ("quantity", "percent", "value"):
        _decimal(message.tolerance, name, getattr(tolerance, name))
    if view.totals is not None:
        _decimal(message, "variance_value", view.totals.net)
        _decimal(message, "absolute_variance_value", view.totals.absolute)
    return message


def line_message(view: LineView) -> pb.CountLine:
    line = view.line
    message = pb.CountLine(
        id=line.id,
        count_id=line.count_id,
        number=line.number,
        item_sku=line.item_sku,
        location=line.location,
        lot=line.lot,
        unit=view.unit,
        origin=line.origin,
        state=line.state,
        round=line.round,
        opened_at=_timestamp(line.opened_at),
        moved_during_count=line.moved_during_count,
        within_tolerance=bool(line.within_tolerance),
        movement_id=line.movement_id or "",
        reasons=[pb.ReasonQuantity(reason_code=code, quantity=decimal_message(q)) for code, q in view.reasons],
    )
    for found in view.rounds:
        result = message.rounds.add(
            round=found.round,
            counted=decimal_message(found.counted),
            counters=found.counters,
            counted_at=_timestamp(found.counted_at),
            book_by_status=[
                pb.StatusQuantity(status=status, quantity=decimal_message(q))
                for status, q in found.book_by_status.items()
            ],
        )
        _decimal(result, "book", found.book)
        _decimal(result, "variance", found.variance)
    for name in ("book_at_open", "counted", "variance", "variance_value"):
        _decimal(message, name, getattr(view, name))
    return message


def accepted_message(accepted: Sequence[Accepted]) -> pb.SubmitEntriesResponse:
    return pb.SubmitEntriesResponse(
        entries=[
            pb.AcceptedEntry(entry_id=a.entry_id, line_id=a.line_id, round=a.round, duplicate=a.duplicate)
            for a in accepted
        ]
    )


def _traced(m: TracedMovement) -> pb.TracedMovement:
    return pb.TracedMovement(
        movement_id=m.movement_id,
        type=m.type,
        quantity=decimal_message(m.quantity),
        document_type=m.document_type,
        document_id=m.document_id,
        actor=m.actor,
        business_time=_timestamp(m.business_time),
        posted_at=_timestamp(m.posted_at),
        correction=bool(m.corrects_movement_id),
    )


def trace_message(trace: LineTrace) -> pb.LineTrace:
    return pb.LineTrace(
        line=line_message(trace.line),
        since=_timestamp(trace.since),
        suspects=[
            pb.Suspect(
                kind=str(s.kind), explanation=s.explanation, rank=s.rank, movements=[_traced(m) for m in s.movements]
            )
            for s in trace.suspects
        ],
        movements=[_traced(m) for m in trace.movements],
    )


def accuracy_message(figures: Sequence[AccuracyFigure]) -> pb.Accuracy:
    return pb.Accuracy(
        rows=[
            pb.AccuracyRow(
                group=f.group,
                lines=f.lines,
                lines_within_tolerance=f.within,
                record_accuracy=decimal_message(f.record_accuracy),
                value_accuracy=decimal_message(f.value_accuracy),
            )
            for f in figures
        ]
    )


def approval_policy_message(policy: tuple[str, ApprovalLimits]) -> pb.ApprovalPolicy:
    warehouse, limits = policy
    return pb.ApprovalPolicy(
        warehouse=warehouse,
        supervisor_limit=decimal_message(limits.supervisor),
        finance_limit=decimal_message(limits.finance),
    )


def reason_code_message(code: ReasonCode) -> pb.ReasonCode:
    return pb.ReasonCode(code=code.code, name=code.name, active=code.active)


def cycle_policy_message(given: tuple[str, CyclePolicy]) -> pb.CyclePolicy:
    warehouse, policy = given
    return pb.CyclePolicy(
        warehouse=warehouse,
        a_days=policy.a_days,
        b_days=policy.b_days,
        c_days=policy.c_days,
        capacity=policy.capacity,
        large_adjustment_value=decimal_message(policy.large_adjustment_value),
    )


def abc_classes_message(found: AbcClasses) -> pb.AbcClasses:
    return pb.AbcClasses(
        warehouse=found.warehouse,
        computed_at=_timestamp(found.computed_at),
        classes=[
            pb.AbcClass(item_sku=c.item_sku, abc_class=str(c.abc_class), issue_value=decimal_message(c.issue_value))
            for c in found.classes
        ],
    )


def plan_message(plan: Plan) -> pb.PlanCountsResponse:
    return pb.PlanCountsResponse(
        counts=[count_message(view) for view in plan.counts],
        due=[
            pb.DueItem(item_sku=i.item_sku, abc_class=i.abc_class, triggers=[str(t) for t in i.triggers])
            for i in plan.due
        ],
    )
