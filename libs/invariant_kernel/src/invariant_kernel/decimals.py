"""Exact decimals from the outside world: parsed, checked and refused with the field named."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from invariant_kernel.errors import DomainError, ErrorCode, quoted

QUANTITY_PLACES = 6
MONEY_PLACES = 4


def parse_decimal(
    value: str | Decimal,
    field: str,
    *,
    places: int | None = QUANTITY_PLACES,
    minimum: Decimal | None = None,
    strictly_positive: bool = False,
) -> Decimal:
    """Parse a decimal string and enforce precision and range.

    `minimum` is inclusive; `strictly_positive` refuses zero and below; `places=None`
    leaves precision to the caller (checked after a unit conversion, say).
    """
    if isinstance(value, str):
        if not value.strip():
            raise DomainError(ErrorCode.REQUIRED, f"{field} is required", field)
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise DomainError(
                ErrorCode.INVALID_FORMAT, f"{field} must be a decimal number, got {quoted(str(value))}", field
            ) from None
    else:
        number = value
    if not number.is_finite():
        raise DomainError(ErrorCode.INVALID_FORMAT, f"{field} must be a finite number", field)
    if places is not None:
        exponent = number.as_tuple().exponent
        assert isinstance(exponent, int)  # finite numbers have an integer exponent
        if -exponent > places and number != number.quantize(Decimal(1).scaleb(-places)):
            raise DomainError(ErrorCode.TOO_PRECISE, f"{field} allows at most {places} decimal places", field)
    if strictly_positive and number <= 0:
        raise DomainError(ErrorCode.OUT_OF_RANGE, f"{field} must be greater than zero", field)
    if minimum is not None and number < minimum:
        raise DomainError(ErrorCode.OUT_OF_RANGE, f"{field} must be at least {minimum}", field)
    return number
