"""What a warehouse sets for its counts: who approves how much, and the reasons a
variance may be explained by."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from invariant_kernel.decimals import MONEY_PLACES, parse_decimal
from invariant_kernel.errors import DomainError, ErrorCode
from invariant_kernel.limits import CODE, NAME, bounded


@dataclass(frozen=True)
class ApprovalLimits:
    """Up to `supervisor` (absolute variance value) a supervisor alone approves; up to
    `finance` finance also; above it a manager also."""

    supervisor: Decimal = Decimal(1000)
    finance: Decimal = Decimal(10000)

    @classmethod
    def parse(cls, supervisor: str, finance: str) -> ApprovalLimits:
        limits = cls(
            parse_decimal(supervisor, "policy.supervisor_limit", places=MONEY_PLACES, minimum=Decimal(0)),
            parse_decimal(finance, "policy.finance_limit", places=MONEY_PLACES, minimum=Decimal(0)),
        )
        if limits.finance < limits.supervisor:
            raise DomainError(
                ErrorCode.OUT_OF_RANGE,
                "policy.finance_limit must be at least the supervisor limit",
                "policy.finance_limit",
            )
        return limits


@dataclass(frozen=True)
class ReasonCode:
    code: str
    name: str
    active: bool = True

    @classmethod
    def parse(cls, code: str, name: str, active: bool) -> ReasonCode:
        found = cls(code.strip().upper(), name.strip(), active)
        if not found.code:
            raise DomainError(ErrorCode.REQUIRED, "reason_code.code is required", "reason_code.code")
        if not found.name:
            raise DomainError(ErrorCode.REQUIRED, "reason_code.name is required", "reason_code.name")
        bounded(found.code, "reason_code.code", CODE)
        bounded(found.name, "reason_code.name", NAME)
        return found


# They hold until someone changes them.
DEFAULT_REASON_CODES = (
    ReasonCode("DAMAGE_NOT_RECORDED", "Damage or scrap not recorded"),
    ReasonCode("GIFT_OR_SAMPLE_NOT_RECORDED", "Gift or sample not recorded"),
    ReasonCode("RECEIPT_NOT_RECORDED", "Receipt not recorded"),
    ReasonCode("ISSUE_NOT_RECORDED", "Issue not recorded"),
    ReasonCode("TRANSFER_NOT_RECORDED", "Transfer not recorded"),
    ReasonCode("UNIT_OF_MEASURE_ERROR", "Unit-of-measure error"),
    ReasonCode("ENTRY_ERROR", "Entry error"),
    ReasonCode("COUNTING_ERROR", "Counting error"),
    ReasonCode("SUPPLIER_SHORT_DELIVERY", "Supplier short delivery"),
    ReasonCode("THEFT_OR_UNKNOWN", "Theft or unknown"),
)
