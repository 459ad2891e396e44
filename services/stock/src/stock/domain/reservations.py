"""Reservations: stock promised to a document, per (item, warehouse).

A reservation holds `open`; what leaves it is either `consumed` (issued against it) or
`released` (given back, by a caller or by expiry). The quantity it was granted is
open + consumed + released, which may be less than `requested` under the PARTIAL policy.
It stays OPEN while anything is open, then becomes CONSUMED if anything was issued against
it and RELEASED otherwise; EXPIRED when its expiry gave back what was open.

`grant` decides how much each line of a request gets from what is available to promise;
the caller then reserves exactly that with the conditional update of DESIGN §3.2, which
is what actually guards against overselling under concurrency.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from invariant_kernel.errors import DomainError, ErrorCode
from invariant_kernel.limits import CODE, ID, bounded
from invariant_kernel.units import decimal_text
from stock.domain.codes import ReservationPolicy, ReservationState


@dataclass(frozen=True)
class DocumentRef:
    """For example SALES_ORDER, WORK_ORDER; `line` is empty when the whole document is meant."""

    type: str
    id: str
    line: str = ""

    @classmethod
    def of(cls, type: str, id: str, line: str, field: str) -> DocumentRef:
        """A reference as a user sends it: trimmed, the type upper-cased, each part within its limit."""
        return cls(
            bounded(type.strip().upper(), f"{field}.type", CODE),
            bounded(id.strip(), f"{field}.id", ID),
            bounded(line.strip(), f"{field}.line", CODE),
        )


def grant(
    policy: ReservationPolicy,
    lines: Sequence[tuple[tuple[str, str], Decimal]],
    available_to_promise: Mapping[tuple[str, str], Decimal],
) -> list[Decimal]:
    """What each line gets, in line order: lines are ((item_sku, warehouse), requested base quantity).

    Lines naming the same item and warehouse share what is there, the earlier line first.
    ALL_OR_NOTHING grants every line in full or refuses with INSUFFICIENT_STOCK naming the
    first line that cannot be met; PARTIAL grants each line what is left, up to its request.
    """
    left = {key: max(quantity, Decimal(0)) for key, quantity in available_to_promise.items()}
    granted: list[Decimal] = []
    seen: set[tuple[str, str]] = set()
    for index, (key, requested) in enumerate(lines):
        field = f"lines[{index}].quantity"
        if requested <= 0:
            raise DomainError(ErrorCode.OUT_OF_RANGE, f"{field} must be greater than zero", field)
        there = left.get(key, Decimal(0))
        if policy is ReservationPolicy.ALL_OR_NOTHING and requested > there:
            sku, warehouse = key
            shared = " after the earlier lines for the same item and warehouse" if key in seen else ""
            raise DomainError(
                ErrorCode.INSUFFICIENT_STOCK,
                f"item {sku} in warehouse {warehouse}: asked {decimal_text(requested)}, "
                f"available {decimal_text(there)}{shared}",
                field,
            )
        given = min(requested, there)
        left[key] = there - given
        seen.add(key)
        granted.append(given)
    return granted


@dataclass
class Reservation:
    id: str
    item_sku: str
    warehouse: str
    requested: Decimal
    open: Decimal
    consumed: Decimal
    released: Decimal
    owner: DocumentRef
    expires_at: datetime | None
    state: ReservationState
    created_at: datetime

    @classmethod
    def create(
        cls,
        id: str,
        item_sku: str,
        warehouse: str,
        requested: Decimal,
        granted: Decimal,
        owner: DocumentRef,
        expires_at: datetime | None,
        now: datetime,
    ) -> Reservation:
        """A reservation holding what `grant` gave; a line granted nothing is RELEASED at once."""
        if not Decimal(0) <= granted <= requested:
            raise DomainError(
                ErrorCode.OUT_OF_RANGE,
                f"granted {decimal_text(granted)} must be between 0 and the requested {decimal_text(requested)}",
                "quantity",
            )
        check_expiry(expires_at, now)
        return cls(
            id=id,
            item_sku=item_sku,
            warehouse=warehouse,
            requested=requested,
            open=granted,
            consumed=Decimal(0),
            released=Decimal(0),
            owner=owner,
            expires_at=expires_at,
            state=ReservationState.OPEN if granted > 0 else ReservationState.RELEASED,
            created_at=now,
        )

    @property
    def granted(self) -> Decimal:
        return self.open + self.consumed + self.released

    def release(self, quantity: Decimal | None = None) -> Decimal:
        """Give back `quantity` (everything open when None); returns what was given back."""
        self._check_open()
        amount = self.open if quantity is None else self._check_quantity(quantity, "release")
        self.open -= amount
        self.released += amount
        self._settle()
        return amount

    def consume(self, quantity: Decimal) -> Decimal:
        """Record stock issued against the reservation; returns what it held of it."""
        self._check_open()
        amount = self._check_quantity(quantity, "issue")
        self.open -= amount
        self.consumed += amount
        self._settle()
        return amount

    def expire(self, now: datetime) -> Decimal:
        """Give back what is open once the expiry has come; returns what was given back."""
        if self.state is not ReservationState.OPEN or self.expires_at is None or self.expires_at > now:
            return Decimal(0)
        amount = self.open
        self.released += amount
        self.open = Decimal(0)
        self.state = ReservationState.EXPIRED
        return amount

    def _check_open(self) -> None:
        if self.state is not ReservationState.OPEN:
            raise DomainError(
                ErrorCode.INVALID_STATE,
                f"reservation {self.id} is {self.state}, not OPEN: nothing is held any more",
                "reservation_id",
            )

    def _check_quantity(self, quantity: Decimal, verb: str) -> Decimal:
        if quantity <= 0:
            raise DomainError(ErrorCode.OUT_OF_RANGE, "quantity must be greater than zero", "quantity")
        if quantity > self.open:
            raise DomainError(
                ErrorCode.OUT_OF_RANGE,
                f"cannot {verb} {decimal_text(quantity)} of reservation {self.id}: "
                f"only {decimal_text(self.open)} is open",
                "quantity",
            )
        return quantity

    def _settle(self) -> None:
        if self.open == 0:
            self.state = ReservationState.CONSUMED if self.consumed > 0 else ReservationState.RELEASED


def check_expiry(expires_at: datetime | None, now: datetime) -> None:
    """A reservation may run until a moment in the future, stated with its time zone."""
    if expires_at is None:
        return
    if expires_at.tzinfo is None:
        raise DomainError(ErrorCode.INVALID_FORMAT, "expires_at must carry a time zone", "expires_at")
    if expires_at <= now:
        raise DomainError(ErrorCode.OUT_OF_RANGE, "expires_at must be in the future", "expires_at")
