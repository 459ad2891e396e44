"""What a service knows of an item's units, and exact quantities in its base unit.

A quantity arrives as a decimal string in any unit of the item and is converted to the
base unit by multiplying by the unit's factor (base units per unit). Factors and inputs
are terminating decimals, so the product is exact; it is refused as TOO_PRECISE when it
needs more than QUANTITY_PLACES decimal places, because balances are kept at that scale
and a rounded movement would make the ledger and the shelf disagree. A twelfth of a box
of 12 typed as 0.0833333 is 0.9999996 EA, and is refused rather than rounded to 1.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Context, Decimal, Inexact, InvalidOperation, Overflow, localcontext

from invariant_kernel.decimals import QUANTITY_PLACES, parse_decimal
from invariant_kernel.errors import DomainError, ErrorCode, quoted

# Base quantities stay below this, so that scaled by 10**6 they fit the 64-bit integers SQLite keeps.
QUANTITY_LIMIT = Decimal(10) ** 12
# Wide enough that multiplying any accepted input by any factor is exact; Inexact is a trap.
_EXACT = Context(prec=80, traps=[Inexact, InvalidOperation, Overflow])


@dataclass(frozen=True)
class ItemView:
    """The catalog's item as a service replicates it: its units and whether it is lot-tracked."""

    sku: str
    base_unit: str
    units: dict[str, Decimal] = dataclasses.field(default_factory=dict, hash=False)
    lot_tracked: bool = False

    def unit_code(self, unit: str, field: str = "unit") -> str:
        """The item's unit code for `unit`; empty means the base unit."""
        code = unit.strip().upper() or self.base_unit
        if code != self.base_unit and code not in self.units:
            known = ", ".join([self.base_unit, *self.units])
            raise DomainError(
                ErrorCode.NOT_FOUND, f"item {self.sku} has no unit {quoted(code)}; its units are {known}", field
            )
        return code

    def factor(self, unit: str, field: str = "unit") -> Decimal:
        """How many base units one `unit` holds."""
        code = self.unit_code(unit, field)
        return Decimal(1) if code == self.base_unit else self.units[code]

    def to_base(
        self,
        quantity: str | Decimal,
        unit: str = "",
        field: str = "quantity",
        unit_field: str = "unit",
        *,
        zero_allowed: bool = False,
    ) -> Decimal:
        """A quantity in `unit`, converted exactly to the base unit: strictly positive,
        or at least zero with `zero_allowed` (a counted shelf may be empty)."""
        factor = self.factor(unit, unit_field)
        number = parse_quantity(quantity, field, zero_allowed=zero_allowed)
        with localcontext(_EXACT):
            try:
                base: Decimal | None = number * factor
            except Inexact:
                base = None
            exponent = None if base is None else base.normalize().as_tuple().exponent
            if base is None or not isinstance(exponent, int) or exponent < -QUANTITY_PLACES:
                given = f"{field} {number} {self.unit_code(unit)}"
                converted = "" if base is None else f" is {base} {self.base_unit}, which"
                raise DomainError(
                    ErrorCode.TOO_PRECISE,
                    f"{given}{converted} has more than {QUANTITY_PLACES} decimal places in the base unit "
                    f"{self.base_unit}; quantities are kept to {QUANTITY_PLACES} places and never rounded",
                    field,
                )
            if base >= QUANTITY_LIMIT:
                raise DomainError(
                    ErrorCode.OUT_OF_RANGE,
                    f"{field} must be below {decimal_text(QUANTITY_LIMIT)} {self.base_unit}",
                    field,
                )
            return base.quantize(Decimal(1)) if exponent >= 0 else base.normalize()


def parse_quantity(value: str | Decimal, field: str, *, zero_allowed: bool = False) -> Decimal:
    """A finite decimal above zero (or at least zero); its precision is checked after conversion."""
    number = parse_decimal(
        value, field, places=None, strictly_positive=not zero_allowed, minimum=Decimal(0) if zero_allowed else None
    )
    # Anything this large is over QUANTITY_LIMIT whatever the unit, and would slow the exact arithmetic.
    if number.adjusted() > 30:
        raise DomainError(ErrorCode.OUT_OF_RANGE, f"{field} is too large", field)
    return number


def decimal_text(number: Decimal) -> str:
    """Fixed-point text without trailing fractional zeros, so equal amounts print alike."""
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text
