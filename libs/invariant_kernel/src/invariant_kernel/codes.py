"""Codes people type (SKUs, warehouses, locations): trimmed, upper-cased, checked.

Standard library only, so that every service's domain may use it; one rule per kind
of code for the whole suite.
"""

from __future__ import annotations

import re

from invariant_kernel.errors import DomainError, ErrorCode, quoted

WAREHOUSE_PATTERN = re.compile(r"[A-Z][A-Z0-9_-]{0,19}")


def normalise_code(raw: str, pattern: re.Pattern[str], field: str, rule: str) -> str:
    stripped = raw.strip()
    if not stripped:
        raise DomainError(ErrorCode.REQUIRED, f"{field} is required", field)
    # Checked before upper-casing: some non-ASCII letters upper-case to ASCII (dotless i to "I").
    code = stripped.upper()
    if not (stripped.isascii() and pattern.fullmatch(code)):
        raise DomainError(ErrorCode.INVALID_FORMAT, f"{field} {quoted(raw)} is not valid: {rule}", field)
    return code


def normalise_warehouse(raw: str, field: str = "warehouse") -> str:
    return normalise_code(
        raw,
        WAREHOUSE_PATTERN,
        field,
        "a warehouse code is 1 to 20 letters, digits, '_' or '-', starting with a letter",
    )
