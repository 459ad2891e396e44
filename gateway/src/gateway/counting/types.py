"""Counting types as the graph shows them, each built from its protobuf message.

Quantities are in the item's base unit. The service leaves book quantities and variances
out for a counter while a blind count is counted; they are null here then, and so is
what is judged from them.
"""

from __future__ import annotations

import datetime as dt
import decimal
from enum import Enum

import strawberry
from google.protobuf.message import Message

from gateway import described
from gateway.catalog.types import Item, load_item
from gateway.context import Info
from gateway.convert import decimal_from_proto, optional_decimal, timestamp_from_proto
from gateway.stock.types import ReasonQuantity, StockStatus
from invariant.counting.v1 import counting_pb2 as pb


@strawberry.enum
class CountKind(Enum):
    FULL = "FULL"
    CYCLE = "CYCLE"
    SPOT = "SPOT"


@strawberry.enum
class CountState(Enum):
    DRAFT = "DRAFT"
    OPEN = "OPEN"
    COUNTING = "COUNTING"
    REVIEW = "REVIEW"
    AWAITING_APPROVAL = "AWAITING_APPROVAL"
    APPROVED = "APPROVED"
    POSTED = "POSTED"
    CANCELLED = "CANCELLED"


@strawberry.enum
class LineState(Enum):
    TO_COUNT = "TO_COUNT"
    COUNTED = "COUNTED"
    RECOUNT = "RECOUNT"
    INVESTIGATION = "INVESTIGATION"
    FINAL = "FINAL"
    POSTED = "POSTED"


@strawberry.enum
class LineOrigin(Enum):
    BOOK = "BOOK"
    FOUND = "FOUND"


@strawberry.enum
class AbcClass(Enum):
    A = "A"
    B = "B"
    C = "C"


@strawberry.enum
class ApprovalLevel(Enum):
    SUPERVISOR = "SUPERVISOR"
    FINANCE = "FINANCE"
    MANAGER = "MANAGER"


def _decimal(message: Message, name: str) -> decimal.Decimal | None:
    """A decimal field the service may leave out, as null."""
    return optional_decimal(getattr(message, name), message.HasField(name))


@strawberry.type(description="How far counted may be from book before a recount; null limits do not apply.")
class Tolerance:
    quantity: decimal.Decimal | None = strawberry.field(description="In the item's base unit.")
    percent: decimal.Decimal | None = strawberry.field(description="Of the book.")
    value: decimal.Decimal | None = strawberry.field(description="Of the variance at standard cost.")

    @classmethod
    def from_proto(cls, proto: pb.Tolerance) -> Tolerance:
        return cls(
            quantity=_decimal(proto, "quantity"), percent=_decimal(proto, "percent"), value=_decimal(proto, "value")
        )


@strawberry.type
class Approval:
    level: ApprovalLevel
    actor: str
    at: dt.datetime | None
    comment: str | None

    @classmethod
    def from_proto(cls, proto: pb.Approval) -> Approval:
        return cls(
            level=ApprovalLevel(proto.level),
            actor=proto.actor,
            at=timestamp_from_proto(proto.at),
            comment=proto.comment or None,
        )


@strawberry.type(description="A change of a count's state, or a decision recorded on it.")
class Transition:
    from_state: CountState | None = strawberry.field(description="Null for the count's creation.")
    to_state: CountState
    actor: str
    at: dt.datetime | None
    comment: str | None

    @classmethod
    def from_proto(cls, proto: pb.Transition) -> Transition:
        return cls(
            from_state=CountState(proto.from_state) if proto.from_state else None,
            to_state=CountState(proto.to_state),
            actor=proto.actor,
            at=timestamp_from_proto(proto.at),
            comment=proto.comment or None,
        )


@strawberry.type(description="A stock count: its scope, where it stands and what it found.")
class Count:
    id: strawberry.ID
    warehouse: str
    kind: CountKind
    blind: bool = strawberry.field(description="Counters see no book quantity while the count is counted.")
    locations: list[str] = strawberry.field(description="Empty: every location of the warehouse.")
    item_skus: list[str] = strawberry.field(description="Empty: every item.")
    abc_class: AbcClass | None = strawberry.field(description="Only items of this class; null: any.")
    tolerance: Tolerance = strawberry.field(description="The count's own, or the default for its ABC class.")
    counters: list[str] = strawberry.field(description="The users assigned to count.")
    note: str | None
    state: CountState
    round: int
    line_count: int
    lines_counted: int
    lines_differing: int | None = strawberry.field(description="Null while the variances are hidden from the caller.")
    recounts_pending: int
    investigations_pending: int
    variance_value: decimal.Decimal | None = strawberry.field(
        description="Net, at standard cost; null while hidden from the caller."
    )
    absolute_variance_value: decimal.Decimal | None = strawberry.field(
        description="Gains and losses added up as sizes, which decides the approval levels; null while hidden."
    )
    levels_required: list[ApprovalLevel] = strawberry.field(description="In order, once submitted for approval.")
    approvals: list[Approval]
    transitions: list[Transition]
    created_at: dt.datetime | None
    created_by: str

    @classmethod
    def from_proto(cls, proto: pb.Count) -> Count:
        # The service hides the differing lines' number with the variance (its zero would read as "none differ").
        hidden = not proto.HasField("variance_value")
        return cls(
            id=strawberry.ID(proto.id),
            warehouse=proto.warehouse,
            kind=CountKind(proto.kind),
            blind=proto.blind,
            locations=list(proto.locations),
            item_skus=list(proto.item_skus),
            abc_class=AbcClass(proto.abc_class) if proto.abc_class else None,
            tolerance=Tolerance.from_proto(proto.tolerance),
            counters=list(proto.counters),
            note=proto.note or None,
            state=CountState(proto.state),
            round=proto.round,
            line_count=proto.lines,
            lines_counted=proto.lines_counted,
            lines_differing=None if hidden else proto.lines_differing,
            recounts_pending=proto.recounts_pending,
            investigations_pending=proto.investigations_pending,
            variance_value=_decimal(proto, "variance_value"),
            absolute_variance_value=_decimal(proto, "absolute_variance_value"),
            levels_required=[ApprovalLevel(level) for level in proto.levels_required],
            approvals=[Approval.from_proto(approval) for approval in proto.approvals],
            transitions=[Transition.from_proto(transition) for transition in proto.transitions],
            created_at=timestamp_from_proto(proto.created_at),
            created_by=proto.created_by,
        )


@strawberry.type(description="A part of a book in one stock status.")
class StatusQuantity:
    status: StockStatus
    quantity: decimal.Decimal


@strawberry.type(description="What one round of a line found.")
class RoundResult:
    round: int
    counted: decimal.Decimal
    counters: list[str]
    counted_at: dt.datetime | None
    book: decimal.Decimal | None = strawberry.field(
        description="As of the count time, every stock status at the place summed (a counter counts what is "
        "there, held or not); null while hidden."
    )
    variance: decimal.Decimal | None = strawberry.field(description="Counted less book; null while hidden.")
    book_by_status: list[StatusQuantity] | None = strawberry.field(
        description="The book's non-zero parts by stock status; null while hidden."
    )

    @classmethod
    def from_proto(cls, proto: pb.RoundResult) -> RoundResult:
        return cls(
            round=proto.round,
            counted=decimal_from_proto(proto.counted),
            counters=list(proto.counters),
            counted_at=timestamp_from_proto(proto.counted_at),
            book=_decimal(proto, "book"),
            variance=_decimal(proto, "variance"),
            book_by_status=[
                StatusQuantity(status=StockStatus(part.status), quantity=decimal_from_proto(part.quantity))
                for part in proto.book_by_status
            ]
            if proto.HasField("book")
            else None,
        )


@strawberry.type(description="One item at one location (and lot) of a count.")
class CountLine:
    id: strawberry.ID
    count_id: strawberry.ID
    number: int = strawberry.field(description="In location order, the order to walk the warehouse in.")
    item_sku: str
    location: str
    lot: str | None = strawberry.field(description="Null when the item is not lot-tracked.")
    unit: str = strawberry.field(description="The item's base unit, which every quantity here is in.")
    origin: LineOrigin = strawberry.field(description="FOUND: stock the book did not know.")
    state: LineState
    round: int
    book_at_open: decimal.Decimal | None = strawberry.field(description="The book when opened; null while hidden.")
    opened_at: dt.datetime | None
    rounds: list[RoundResult] = strawberry.field(description="The closed rounds, first first.")
    counted: decimal.Decimal | None = strawberry.field(description="Of the round that stands; null until one does.")
    variance: decimal.Decimal | None = strawberry.field(description="Of the round that stands; null until one does.")
    variance_value: decimal.Decimal | None = strawberry.field(description="The variance at standard cost.")
    within_tolerance: bool | None = strawberry.field(description="Null while there is no variance to judge.")
    moved_during_count: bool = strawberry.field(description="Stock of the line moved while it was counted.")
    reasons: list[ReasonQuantity] = strawberry.field(description="What explains the variance, adding up to its size.")
    movement_id: strawberry.ID | None = strawberry.field(description="The adjustment that posted the line.")

    @described.field("The item counted, from the catalog.")
    async def item(self, info: Info) -> Item | None:
        return await load_item(info, self.item_sku)

    @classmethod
    def from_proto(cls, proto: pb.CountLine) -> CountLine:
        return cls(
            id=strawberry.ID(proto.id),
            count_id=strawberry.ID(proto.count_id),
            number=proto.number,
            item_sku=proto.item_sku,
            location=proto.location,
            lot=proto.lot or None,
            unit=proto.unit,
            origin=LineOrigin(proto.origin),
            state=LineState(proto.state),
            round=proto.round,
            book_at_open=_decimal(proto, "book_at_open"),
            opened_at=timestamp_from_proto(proto.opened_at),
            rounds=[RoundResult.from_proto(result) for result in proto.rounds],
            counted=_decimal(proto, "counted"),
            variance=_decimal(proto, "variance"),
            variance_value=_decimal(proto, "variance_value"),
            within_tolerance=proto.within_tolerance if proto.HasField("variance") else None,
            moved_during_count=proto.moved_during_count,
            reasons=[
                ReasonQuantity(reason_code=reason.reason_code, quantity=decimal_from_proto(reason.quantity))
                for reason in proto.reasons
            ],
            movement_id=strawberry.ID(proto.movement_id) if proto.movement_id else None,
        )


@strawberry.type(description="The caller's next line to count, and how many are left for them.")
class NextLine:
    line: CountLine | None = strawberry.field(description="Null when the caller has nothing left to count.")
    remaining: int

    @classmethod
    def from_proto(cls, proto: pb.NextLineResponse) -> NextLine:
        return cls(line=CountLine.from_proto(proto.line) if proto.HasField("line") else None, remaining=proto.remaining)


@strawberry.type
class AcceptedEntry:
    entry_id: strawberry.ID
    line_id: strawberry.ID
    round: int
    duplicate: bool = strawberry.field(description="Accepted before with this entryId: not counted again.")

    @classmethod
    def from_proto(cls, proto: pb.AcceptedEntry) -> AcceptedEntry:
        return cls(
            entry_id=strawberry.ID(proto.entry_id),
            line_id=strawberry.ID(proto.line_id),
            round=proto.round,
            duplicate=proto.duplicate,
        )


@strawberry.type(description="Who approves a count, by the absolute value of its variances.")
class ApprovalPolicy:
    warehouse: str
    supervisor_limit: decimal.Decimal = strawberry.field(description="Up to this a supervisor alone approves.")
    finance_limit: decimal.Decimal = strawberry.field(description="Up to this finance also; above it a manager too.")

    @classmethod
    def from_proto(cls, proto: pb.ApprovalPolicy) -> ApprovalPolicy:
        return cls(
            warehouse=proto.warehouse,
            supervisor_limit=decimal_from_proto(proto.supervisor_limit),
            finance_limit=decimal_from_proto(proto.finance_limit),
        )


@strawberry.type(description="Why a line differs, e.g. DAMAGE_NOT_RECORDED.")
class ReasonCode:
    code: str
    name: str
    active: bool

    @classmethod
    def from_proto(cls, proto: pb.ReasonCode) -> ReasonCode:
        return cls(code=proto.code, name=proto.name, active=proto.active)


@strawberry.type(description="The gain/loss document of an approved count.")
class CountAdjustmentsCsv:
    filename: str
    csv: str

    @classmethod
    def from_proto(cls, proto: pb.ExportAdjustmentsResponse) -> CountAdjustmentsCsv:
        return cls(filename=proto.filename, csv=proto.csv)


@strawberry.enum(description="How accuracy is grouped.")
class AccuracyGrouping(Enum):
    WAREHOUSE = "WAREHOUSE"
    ABC_CLASS = "ABC_CLASS"
    COUNTER = "COUNTER"
    REASON = "REASON"
    MONTH = "MONTH"


@strawberry.type(description="Inventory record accuracy of posted counts for one group.")
class AccuracyRow:
    group: str
    lines: int
    lines_within_tolerance: int
    record_accuracy: decimal.Decimal = strawberry.field(
        description="Share of lines within tolerance at the first count."
    )
    value_accuracy: decimal.Decimal = strawberry.field(description="1 - absolute variance value / book value.")

    @classmethod
    def from_proto(cls, proto: pb.AccuracyRow) -> AccuracyRow:
        return cls(
            group=proto.group,
            lines=proto.lines,
            lines_within_tolerance=proto.lines_within_tolerance,
            record_accuracy=decimal_from_proto(proto.record_accuracy),
            value_accuracy=decimal_from_proto(proto.value_accuracy),
        )


@strawberry.type(description="A movement of the traced line's place, with its signed effect on the line.")
class TracedMovement:
    movement_id: strawberry.ID
    type: str
    quantity: decimal.Decimal
    document_type: str
    document_id: str
    actor: str
    business_time: dt.datetime | None
    posted_at: dt.datetime | None
    correction: bool

    @classmethod
    def from_proto(cls, proto: pb.TracedMovement) -> TracedMovement:
        return cls(
            movement_id=strawberry.ID(proto.movement_id),
            type=proto.type,
            quantity=decimal_from_proto(proto.quantity),
            document_type=proto.document_type,
            document_id=proto.document_id,
            actor=proto.actor,
            business_time=timestamp_from_proto(proto.business_time),
            posted_at=timestamp_from_proto(proto.posted_at),
            correction=proto.correction,
        )


@strawberry.type(description="A suggested cause of a variance, most likely first.")
class Suspect:
    kind: str
    explanation: str
    rank: int
    movements: list[TracedMovement]

    @classmethod
    def from_proto(cls, proto: pb.Suspect) -> Suspect:
        return cls(
            kind=proto.kind,
            explanation=proto.explanation,
            rank=proto.rank,
            movements=[TracedMovement.from_proto(m) for m in proto.movements],
        )


@strawberry.type(description="Where book and shelf parted: the line's ledger since its last posted count.")
class LineTrace:
    line: CountLine
    since: dt.datetime | None = strawberry.field(description="The line's last posted count; null: never counted.")
    suspects: list[Suspect]
    movements: list[TracedMovement]

    @classmethod
    def from_proto(cls, proto: pb.LineTrace) -> LineTrace:
        return cls(
            line=CountLine.from_proto(proto.line),
            since=timestamp_from_proto(proto.since) if proto.HasField("since") else None,
            suspects=[Suspect.from_proto(s) for s in proto.suspects],
            movements=[TracedMovement.from_proto(m) for m in proto.movements],
        )


@strawberry.type(description="An item's ABC class in a warehouse and the issue value it was ranked by.")
class ItemClass:
    item_sku: str
    abc_class: AbcClass
    issue_value: decimal.Decimal


@strawberry.type(description="A warehouse's ABC classes as last computed.")
class AbcClasses:
    warehouse: str
    computed_at: dt.datetime | None = strawberry.field(description="Null: never computed.")
    classes: list[ItemClass]

    @classmethod
    def from_proto(cls, proto: pb.AbcClasses) -> AbcClasses:
        return cls(
            warehouse=proto.warehouse,
            computed_at=timestamp_from_proto(proto.computed_at) if proto.HasField("computed_at") else None,
            classes=[
                ItemClass(
                    item_sku=c.item_sku, abc_class=AbcClass(c.abc_class), issue_value=decimal_from_proto(c.issue_value)
                )
                for c in proto.classes
            ],
        )


@strawberry.type(description="How often each class is counted in a warehouse, and how big a planned count may be.")
class CyclePolicy:
    warehouse: str
    a_days: int
    b_days: int
    c_days: int
    capacity: int
    large_adjustment_value: decimal.Decimal

    @classmethod
    def from_proto(cls, proto: pb.CyclePolicy) -> CyclePolicy:
        return cls(
            warehouse=proto.warehouse,
            a_days=proto.a_days,
            b_days=proto.b_days,
            c_days=proto.c_days,
            capacity=proto.capacity,
            large_adjustment_value=decimal_from_proto(proto.large_adjustment_value),
        )


@strawberry.type(description="An item a plan counts, and why it is due.")
class DueItem:
    item_sku: str
    abc_class: AbcClass | None
    triggers: list[str] = strawberry.field(
        description="DUE_BY_CLASS, NEVER_COUNTED, SHORTAGE, NEGATIVE_BALANCE_ATTEMPT or LARGE_ADJUSTMENT."
    )

    @classmethod
    def from_proto(cls, proto: pb.DueItem) -> DueItem:
        return cls(
            item_sku=proto.item_sku,
            abc_class=AbcClass(proto.abc_class) if proto.abc_class else None,
            triggers=list(proto.triggers),
        )
