"""Non-conformance records: what a rejection found, and what becomes of every rejected unit.

A rejection (a decision that rejects some of a lot) opens one record with the rejected
quantity, the defects the lot's results found, the supplier and where the rejected goods
lie. Each rejected unit gets a disposition: returned to the supplier, scrapped, reworked, or
used as is. A disposition is planned first, which reserves its quantity against the rejected
quantity (planned and carried out never exceed it), and is carried out when the stock
movement that does it exists: for rework, stock's issue of the goods to the rework work
order orders made for it. Use as is needs a manager's
approval, from someone other than who asked for it, before stock is asked to release the
goods. The record closes once every rejected unit has a disposition carried out, and not
before: a rejection cannot be undone, so there is no cancelling one.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from invariant_kernel.decimals import parse_decimal
from invariant_kernel.errors import DomainError, ErrorCode, quoted
from invariant_kernel.limits import ID, TEXT, bounded
from quality.domain.lots import Place, Result
from quality.domain.plans import require_aware

# Roles that may approve using rejected goods as they are (an admin may stand in for any role).
MANAGER_ROLES = frozenset({"manager", "admin"})
# A photo is a reference to where it is kept (a URL or an object key); object stores key
# objects by at most 1,024 bytes.
PHOTO_REFERENCE = 1024
MAX_PHOTOS = 50


class NcrState(StrEnum):
    OPEN = "OPEN"
    CLOSED = "CLOSED"


class DispositionKind(StrEnum):
    RETURN_TO_SUPPLIER = "RETURN_TO_SUPPLIER"
    SCRAP = "SCRAP"
    REWORK = "REWORK"
    USE_AS_IS = "USE_AS_IS"


class DispositionState(StrEnum):
    PLANNED = "PLANNED"
    CARRIED_OUT = "CARRIED_OUT"
    # Given up before it was carried out (use as is that no manager approves, say): its
    # quantity is free for another disposition.
    WITHDRAWN = "WITHDRAWN"


@dataclass(frozen=True)
class DefectCount:
    code: str
    count: int


def defects_found(results: Iterable[Result]) -> tuple[DefectCount, ...]:
    """The nonconforming results of a lot counted by defect, most frequent first (then by code).
    A failed attribute counts under its defect code; a measured value outside its limits,
    which names no defect, under its characteristic's code."""
    counts = Counter(r.defect_code or r.characteristic for r in results if not r.conforming)
    return tuple(DefectCount(code, count) for code, count in sorted(counts.items(), key=lambda c: (-c[1], c[0])))


@dataclass(frozen=True)
class Disposition:
    id: str
    kind: DispositionKind
    # In the item's base unit.
    quantity: Decimal
    state: DispositionState
    # For use as is, who asks for it.
    planned_by: str
    planned_at: datetime
    approved_by: str = ""
    approved_at: datetime | None = None
    # What carried it out: the stock movement (for rework, stock's issue to the work order).
    movement_id: str = ""
    # For rework: the work order orders made for it, known before it is carried out.
    work_order_id: str = ""
    carried_out_by: str = ""
    carried_out_at: datetime | None = None
    withdrawn_by: str = ""
    withdrawn_at: datetime | None = None
    # Stock has been asked to carry it out: it is no longer withdrawn, since stock may be
    # posting it. Stock's refusal (too little REJECTED left, say) clears it and says why.
    requested: bool = False
    refusal: str = ""

    @property
    def awaiting_approval(self) -> bool:
        return self.kind is DispositionKind.USE_AS_IS and not self.approved_by


@dataclass(frozen=True)
class RejectedStock:
    """What a disposition asks of the REJECTED stock at `place`. Stock posts it with the NCR
    as document (`ncr_id`, the disposition as its line) and keys it on `disposition_id`, so
    it happens once however often it is asked."""

    ncr_id: str
    disposition_id: str
    item_sku: str
    place: Place
    quantity: Decimal


@dataclass(frozen=True)
class ReturnToSupplier(RejectedStock):
    """An ISSUE of the rejected goods with reason RETURN_TO_SUPPLIER, to `supplier`."""

    supplier: str


@dataclass(frozen=True)
class ScrapRejected(RejectedStock):
    """A SCRAP of the rejected goods."""


@dataclass(frozen=True)
class ReworkOrder(RejectedStock):
    """A rework work order asked of orders, naming the NCR and the disposition, which issues
    the goods from REJECTED with reason REWORK at its release."""


@dataclass(frozen=True)
class UseAsIs(RejectedStock):
    """A STATUS_CHANGE of the goods from REJECTED to AVAILABLE at the same place, by the NCR's
    decision, which names the manager who approved it."""

    requested_by: str
    approved_by: str


StockRequest = ReturnToSupplier | ScrapRejected | ReworkOrder | UseAsIs


@dataclass(frozen=True)
class NonConformanceOpened:
    ncr_id: str
    decision_id: str
    inspection_lot_id: str
    item_sku: str
    supplier: str
    place: Place
    rejected: Decimal
    defects: tuple[DefectCount, ...]
    opened_by: str
    opened_at: datetime


@dataclass(frozen=True)
class DispositionPlanned:
    ncr_id: str
    disposition: Disposition


@dataclass(frozen=True)
class DispositionApproved:
    ncr_id: str
    disposition: Disposition


@dataclass(frozen=True)
class DispositionWithdrawn:
    ncr_id: str
    disposition: Disposition


@dataclass(frozen=True)
class DispositionCarriedOut:
    ncr_id: str
    disposition: Disposition


@dataclass(frozen=True)
class NonConformanceClosed:
    ncr_id: str
    closed_by: str
    closed_at: datetime


@dataclass
class NonConformance:
    id: str
    # The decision that rejected the goods; one record per decision.
    decision_id: str
    inspection_lot_id: str
    item_sku: str
    # Empty for goods not bought (a production completion, a customer return).
    supplier: str
    # Where the rejected goods lie, in status REJECTED: where they were held until stock
    # has put them aside (`located`), then where stock put them.
    place: Place
    # In the item's base unit.
    rejected: Decimal
    defects: tuple[DefectCount, ...]
    opened_by: str
    opened_at: datetime
    state: NcrState = NcrState.OPEN
    located: bool = False
    photos: list[str] = field(default_factory=list)
    root_cause: str = ""
    dispositions: list[Disposition] = field(default_factory=list)
    closed_by: str = ""
    closed_at: datetime | None = None
    events: list[object] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def open(
        cls,
        *,
        id: str,
        decision_id: str,
        inspection_lot_id: str,
        item_sku: str,
        supplier: str,
        place: Place,
        rejected: Decimal,
        defects: Iterable[DefectCount],
        opened_by: str,
        now: datetime,
    ) -> NonConformance:
        """The record of what decision `decision_id` rejected of inspection lot `inspection_lot_id`."""
        require_aware(now)
        if not decision_id:
            raise DomainError(ErrorCode.REQUIRED, "a non-conformance names the decision that rejected", "decision_id")
        amount = parse_decimal(rejected, "rejected", strictly_positive=True)
        found = tuple(defects)
        if any(defect.count < 1 for defect in found):
            raise DomainError(ErrorCode.OUT_OF_RANGE, "each defect is counted at least once", "defects")
        who = bounded(supplier.strip(), "supplier", ID)
        ncr = cls(id, decision_id, inspection_lot_id, item_sku, who, place, amount, found, opened_by, now)
        ncr.events.append(
            NonConformanceOpened(
                id, decision_id, inspection_lot_id, item_sku, who, place, amount, found, opened_by, now
            )
        )
        return ncr

    # what was found

    def attach_photo(self, reference: str) -> None:
        """Keep a reference to a photo of the defect; the same reference again is kept once."""
        self._require_open()
        kept = bounded(reference.strip(), "photo", PHOTO_REFERENCE)
        if not kept:
            raise DomainError(ErrorCode.REQUIRED, "a photo is a URL or an object key", "photo")
        if kept in self.photos:
            return
        if len(self.photos) >= MAX_PHOTOS:
            raise DomainError(ErrorCode.OUT_OF_RANGE, f"a non-conformance keeps at most {MAX_PHOTOS} photos", "photo")
        self.photos.append(kept)

    def record_root_cause(self, text: str) -> None:
        """State (or restate) why the goods did not conform."""
        self._require_open()
        self.root_cause = bounded(text.strip(), "root_cause", TEXT)

    def locate(self, place: Place) -> bool:
        """Stock put the rejected goods aside at `place` (its quarantine location); whether
        this is news (stock's movement may be told twice)."""
        if self.located:
            return False
        self.place = place
        self.located = True
        return True

    # dispositions

    @property
    def carried_out(self) -> Decimal:
        return self._total(DispositionState.CARRIED_OUT)

    @property
    def planned(self) -> Decimal:
        """What dispositions planned and not yet carried out hold."""
        return self._total(DispositionState.PLANNED)

    @property
    def unplanned(self) -> Decimal:
        """Rejected units no disposition holds."""
        return self.rejected - self.planned - self.carried_out

    def plan_disposition(
        self, *, disposition_id: str, kind: DispositionKind, quantity: Decimal, actor: str, now: datetime
    ) -> Disposition:
        """Plan what becomes of `quantity` rejected units, holding them against the rejected
        quantity. Planning the same disposition again (same id, kind and quantity) changes
        nothing."""
        require_aware(now)
        self._require_open()
        if not disposition_id:
            raise DomainError(ErrorCode.REQUIRED, "a disposition has an id", "disposition_id")
        amount = parse_decimal(quantity, "quantity", strictly_positive=True)
        known = self._find(disposition_id)
        if known is not None:
            if (known.kind, known.quantity) == (kind, amount):
                return known
            raise DomainError(
                ErrorCode.ALREADY_EXISTS,
                f"disposition {quoted(disposition_id)} is {known.kind} of {known.quantity}",
                "disposition_id",
            )
        if amount > self.unplanned:
            raise DomainError(
                ErrorCode.OUT_OF_RANGE,
                f"{amount} is more than the {self.unplanned} of {self.rejected} rejected units no disposition holds",
                "quantity",
            )
        disposition = Disposition(disposition_id, kind, amount, DispositionState.PLANNED, actor, now)
        self.dispositions.append(disposition)
        self.events.append(DispositionPlanned(self.id, disposition))
        return disposition

    def approve_use_as_is(self, disposition_id: str, actor: str, roles: Iterable[str], now: datetime) -> Disposition:
        """A manager's approval of using rejected goods as they are; the one who asked for it
        does not approve it. Approving it again changes nothing."""
        require_aware(now)
        self._require_open()
        disposition = self._disposition(disposition_id)
        if disposition.kind is not DispositionKind.USE_AS_IS:
            raise DomainError(
                ErrorCode.INVALID_STATE, f"{disposition.kind} needs no approval; only USE_AS_IS does", "disposition_id"
            )
        if not MANAGER_ROLES & set(roles):
            raise DomainError(ErrorCode.PERMISSION_DENIED, "only a manager approves use as is", "approved_by")
        if actor == disposition.planned_by:
            raise DomainError(
                ErrorCode.PERMISSION_DENIED,
                f"{actor} asked to use these goods as they are; another manager approves it",
                "approved_by",
            )
        if disposition.approved_by and disposition.state is not DispositionState.WITHDRAWN:
            return disposition
        self._require_planned(disposition)
        approved = self._put(dataclasses.replace(disposition, approved_by=actor, approved_at=now))
        self.events.append(DispositionApproved(self.id, approved))
        return approved

    def withdraw(self, disposition_id: str, actor: str, now: datetime) -> Disposition:
        """Give up a disposition not carried out, freeing its quantity for another. Withdrawing
        it again changes nothing."""
        require_aware(now)
        self._require_open()
        disposition = self._disposition(disposition_id)
        if disposition.state is DispositionState.WITHDRAWN:
            return disposition
        self._require_planned(disposition)
        if disposition.requested:
            raise DomainError(
                ErrorCode.INVALID_STATE,
                f"stock has been asked to carry out disposition {disposition.id}; it can no longer be withdrawn",
                "disposition_id",
            )
        withdrawn = self._put(
            dataclasses.replace(disposition, state=DispositionState.WITHDRAWN, withdrawn_by=actor, withdrawn_at=now)
        )
        self.events.append(DispositionWithdrawn(self.id, withdrawn))
        return withdrawn

    def stock_request(self, disposition_id: str) -> StockRequest:
        """What stock (or orders, for rework) is asked to do for a planned disposition; use as is
        only once approved."""
        disposition = self._disposition(disposition_id)
        self._require_planned(disposition)
        if disposition.awaiting_approval:
            raise DomainError(
                ErrorCode.INVALID_STATE, f"use as is {disposition.id} awaits a manager's approval", "approved_by"
            )
        base = (self.id, disposition.id, self.item_sku, self.place, disposition.quantity)
        match disposition.kind:
            case DispositionKind.RETURN_TO_SUPPLIER:
                return ReturnToSupplier(*base, supplier=self.supplier)
            case DispositionKind.SCRAP:
                return ScrapRejected(*base)
            case DispositionKind.REWORK:
                return ReworkOrder(*base)
            case DispositionKind.USE_AS_IS:
                return UseAsIs(*base, requested_by=disposition.planned_by, approved_by=disposition.approved_by)

    def ready(self) -> list[StockRequest]:
        """What stock is to be asked now: every planned disposition not yet asked, use as is
        once approved, once stock has put the rejected goods aside; each marked asked."""
        if not self.located:
            return []
        waiting = [
            d
            for d in self.dispositions
            if d.state is DispositionState.PLANNED and not d.requested and not d.refusal and not d.awaiting_approval
        ]
        for disposition in waiting:
            self._put(dataclasses.replace(disposition, requested=True))
        return [self.stock_request(disposition.id) for disposition in waiting]

    def stock_refused(self, disposition_id: str, reason: str) -> Disposition:
        """Stock refused to carry the disposition out: it stays planned, with the reason, to be
        withdrawn (and another planned)."""
        disposition = self._disposition(disposition_id)
        if disposition.state is not DispositionState.PLANNED:
            return disposition
        return self._put(dataclasses.replace(disposition, requested=False, refusal=reason or "refused"))

    def rework_ordered(self, disposition_id: str, work_order: str) -> Disposition:
        """Orders made the work order `work_order` for a planned rework. The same again changes
        nothing; another work order for it is refused."""
        disposition = self._disposition(disposition_id)
        if disposition.kind is not DispositionKind.REWORK:
            raise DomainError(
                ErrorCode.INVALID_FORMAT, f"{disposition.kind} is carried out by a stock movement", "work_order_id"
            )
        number = bounded(work_order.strip(), "work_order_id", ID)
        if disposition.work_order_id:
            if disposition.work_order_id == number:
                return disposition
            raise DomainError(
                ErrorCode.INVALID_STATE,
                f"disposition {disposition.id} is reworked by {disposition.work_order_id}",
                "work_order_id",
            )
        self._require_planned(disposition)
        return self._put(dataclasses.replace(disposition, work_order_id=number))

    def rework_issued(
        self, disposition_id: str, *, issued: Decimal, movement_id: str, actor: str, now: datetime
    ) -> Disposition | None:
        """Stock issued `issued` of the goods to the disposition's work order, the last of it by
        `movement_id`: the rework is carried out once that is its whole quantity."""
        disposition = self._disposition(disposition_id)
        if disposition.state is not DispositionState.PLANNED or issued < disposition.quantity:
            return None
        return self.carry_out(
            disposition_id, actor=actor, now=now, movement_id=movement_id, work_order_id=disposition.work_order_id
        )

    def carry_out(
        self, disposition_id: str, *, actor: str, now: datetime, movement_id: str = "", work_order_id: str = ""
    ) -> Disposition:
        """Record that the stock movement `movement_id` carried the disposition out (for
        rework, the issue to its work order `work_order_id`). The same again changes nothing;
        another movement for a disposition already carried out is refused."""
        require_aware(now)
        disposition = self._disposition(disposition_id)
        by = self._reference(disposition, movement_id.strip(), work_order_id.strip())
        if disposition.state is DispositionState.CARRIED_OUT:
            if (disposition.movement_id, disposition.work_order_id) == by:
                return disposition
            raise DomainError(
                ErrorCode.INVALID_STATE,
                f"disposition {disposition.id} was carried out by {disposition.movement_id}",
                "movement_id",
            )
        self._require_open()
        self._require_planned(disposition)
        if disposition.awaiting_approval:
            raise DomainError(
                ErrorCode.INVALID_STATE, f"use as is {disposition.id} awaits a manager's approval", "approved_by"
            )
        done = self._put(
            dataclasses.replace(
                disposition,
                state=DispositionState.CARRIED_OUT,
                movement_id=by[0],
                work_order_id=by[1],
                carried_out_by=actor,
                carried_out_at=now,
            )
        )
        self.events.append(DispositionCarriedOut(self.id, done))
        return done

    def close(self, actor: str, now: datetime) -> None:
        """Close the record once every rejected unit has a disposition carried out."""
        require_aware(now)
        self._require_open()
        if self.carried_out != self.rejected:
            pending = [d for d in self.dispositions if d.state is DispositionState.PLANNED]
            waiting = "; ".join(f"{d.id} ({d.kind} of {d.quantity}) is not carried out" for d in pending)
            raise DomainError(
                ErrorCode.INVALID_STATE,
                f"{self.rejected - self.carried_out} of {self.rejected} rejected units are unaccounted for: "
                f"{self.unplanned} have no disposition" + (f"; {waiting}" if waiting else ""),
                "dispositions",
            )
        self.state = NcrState.CLOSED
        self.closed_by = actor
        self.closed_at = now
        self.events.append(NonConformanceClosed(self.id, actor, now))

    def _reference(self, disposition: Disposition, movement_id: str, work_order_id: str) -> tuple[str, str]:
        if not movement_id:
            raise DomainError(
                ErrorCode.REQUIRED, "movement_id is required: the stock movement that carried it out", "movement_id"
            )
        rework = disposition.kind is DispositionKind.REWORK
        if work_order_id and not rework:
            raise DomainError(
                ErrorCode.INVALID_FORMAT, f"{disposition.kind} is carried out by a stock movement", "work_order_id"
            )
        if rework and not work_order_id:
            raise DomainError(
                ErrorCode.REQUIRED,
                "work_order_id is required: a rework is carried out by the issue to its work order",
                "work_order_id",
            )
        return bounded(movement_id, "movement_id", ID), bounded(work_order_id, "work_order_id", ID)

    def _total(self, state: DispositionState) -> Decimal:
        return sum((d.quantity for d in self.dispositions if d.state is state), Decimal(0))

    def _find(self, disposition_id: str) -> Disposition | None:
        return next((d for d in self.dispositions if d.id == disposition_id), None)

    def _disposition(self, disposition_id: str) -> Disposition:
        found = self._find(disposition_id)
        if found is None:
            raise DomainError(
                ErrorCode.NOT_FOUND, f"NCR {self.id} has no disposition {quoted(disposition_id)}", "disposition_id"
            )
        return found

    def _put(self, changed: Disposition) -> Disposition:
        self.dispositions = [changed if d.id == changed.id else d for d in self.dispositions]
        return changed

    def _require_planned(self, disposition: Disposition) -> None:
        if disposition.state is not DispositionState.PLANNED:
            raise DomainError(
                ErrorCode.INVALID_STATE, f"disposition {disposition.id} is {disposition.state}", "disposition_id"
            )

    def _require_open(self) -> None:
        if self.state is not NcrState.OPEN:
            raise DomainError(ErrorCode.INVALID_STATE, f"NCR {self.id} was closed by {self.closed_by}", "ncr_id")
