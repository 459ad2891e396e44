"""Partners the orders service owns: customers it sells to and suppliers it buys from."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from invariant_kernel.codes import normalise_code
from invariant_kernel.errors import DomainError, ErrorCode
from invariant_kernel.limits import NAME, bounded

PARTNER_PATTERN = re.compile(r"[A-Z][A-Z0-9_-]{0,19}")
PARTNER_RULE = "a partner code is 1 to 20 letters, digits, '_' or '-', starting with a letter"
# A lead time beyond a year is a typing error, not a supplier.
MAX_LEAD_TIME_DAYS = 366


def partner_code(raw: str, field: str) -> str:
    return normalise_code(raw, PARTNER_PATTERN, field, PARTNER_RULE)


def partner_name(raw: str, field: str = "name") -> str:
    name = raw.strip()
    if not name:
        raise DomainError(ErrorCode.REQUIRED, f"{field} is required", field)
    return bounded(name, field, NAME)


@dataclass(frozen=True)
class Customer:
    id: str
    code: str
    name: str
    created_at: datetime

    @classmethod
    def create(cls, id: str, code: str, name: str, now: datetime) -> Customer:
        return cls(id, partner_code(code, "code"), partner_name(name), now)


@dataclass(frozen=True)
class SupplierItem:
    """What a supplier delivers of an item: whole packs of `pack_size` base units (None: any
    quantity), `lead_time_days` after it is ordered."""

    item_sku: str
    pack_size: Decimal | None
    lead_time_days: int


@dataclass(frozen=True)
class Supplier:
    id: str
    code: str
    name: str
    created_at: datetime
    items: tuple[SupplierItem, ...] = field(default=())

    @classmethod
    def create(cls, id: str, code: str, name: str, items: Sequence[SupplierItem], now: datetime) -> Supplier:
        """`items` name items by their catalog SKU, with pack sizes in the base unit already."""
        seen: set[str] = set()
        for index, item in enumerate(items):
            where = f"items[{index}]"
            if item.item_sku in seen:
                raise DomainError(
                    ErrorCode.ALREADY_EXISTS, f"{where}: item {item.item_sku} is listed twice", f"{where}.item_sku"
                )
            seen.add(item.item_sku)
            if not 0 <= item.lead_time_days <= MAX_LEAD_TIME_DAYS:
                raise DomainError(
                    ErrorCode.OUT_OF_RANGE,
                    f"{where}.lead_time_days must be 0 to {MAX_LEAD_TIME_DAYS}",
                    f"{where}.lead_time_days",
                )
        return cls(id, partner_code(code, "code"), partner_name(name), now, tuple(items))
