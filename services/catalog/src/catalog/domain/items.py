"""Items: SKUs, units of measure, barcodes, standard cost and stock thresholds.

Codes that people type are normalised before they are checked: surrounding spaces are
stripped and letters upper-cased, so " box" and "BOX" name the same unit.

- SKU: 1 to 40 characters after stripping; upper-case letters A-Z, digits, dot,
  underscore and hyphen; the first character is a letter or a digit (SKU_PATTERN).
- Unit code: 1 to 16 characters; letters, digits and underscore; starts with a letter
  (UNIT_PATTERN). Warehouse codes follow the same rule with up to 20 characters.
- Units: each listed unit holds `factor` base units (factor > 0, at most 6 decimal
  places). The base unit is implicit with factor 1 and is never listed.
- Barcodes: EAN13 (13 digits) and UPCA (12 digits) must carry a valid GS1 check digit;
  OTHER is 1 to 64 printable ASCII characters without spaces, kept as given. Without a
  symbology, 13 digits mean EAN13, 12 digits UPCA, anything else OTHER.
- Conversion: quantity * factor(from) / factor(to), computed with 28 significant digits
  (CONVERSION_CONTEXT), so it is exact whenever the result fits in 28 digits.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Context, Decimal, localcontext
from enum import StrEnum
from typing import TypeAlias

from catalog.domain.events import ItemUpserted, ThresholdsChanged
from invariant_kernel.codes import normalise_code, normalise_warehouse
from invariant_kernel.decimals import MONEY_PLACES, parse_decimal
from invariant_kernel.errors import DomainError, ErrorCode, quoted
from invariant_kernel.limits import NAME, bounded
from invariant_kernel.units import decimal_text

SKU_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9._-]{0,39}")
UNIT_PATTERN = re.compile(r"[A-Z][A-Z0-9_]{0,15}")
CONVERSION_CONTEXT = Context(prec=28)

_OTHER_BARCODE_PATTERN = re.compile(r"[!-~]{1,64}")

JsonValue: TypeAlias = "str | int | bool | list[JsonValue] | dict[str, JsonValue] | None"


class ItemStatus(StrEnum):
    ACTIVE = "ACTIVE"
    BLOCKED = "BLOCKED"


class Symbology(StrEnum):
    EAN13 = "EAN13"
    UPCA = "UPCA"
    OTHER = "OTHER"


_GS1_LENGTHS = {Symbology.EAN13: 13, Symbology.UPCA: 12}


@dataclass(frozen=True)
class Barcode:
    code: str
    symbology: Symbology


@dataclass(frozen=True)
class Thresholds:
    warehouse: str
    safety_stock: Decimal
    max_stock: Decimal


@dataclass(frozen=True)
class FieldChange:
    """One audited field; `before` is None when the field had no value yet."""

    field: str
    before: JsonValue
    after: JsonValue


def normalise_sku(raw: str, field: str = "sku") -> str:
    return normalise_code(
        raw,
        SKU_PATTERN,
        field,
        "a SKU is 1 to 40 letters, digits, '.', '_' or '-', starting with a letter or digit",
    )


def normalise_unit(raw: str, field: str = "unit") -> str:
    return normalise_code(
        raw,
        UNIT_PATTERN,
        field,
        "a unit code is 1 to 16 letters, digits or '_', starting with a letter",
    )


def gs1_check_digit(payload: str) -> int:
    """The GS1 mod-10 check digit: weights 3, 1, 3, … from the payload's rightmost digit."""
    total = sum(int(digit) * (3 - 2 * (index % 2)) for index, digit in enumerate(payload[::-1]))
    return (10 - total % 10) % 10


def validate_barcode(code: str, symbology: str, field: str = "code") -> Barcode:
    """Check a barcode against its symbology, inferring the symbology when it is empty.

    `field` names the code; a bad symbology is reported on the sibling field
    ("barcodes[0].code" -> "barcodes[0].symbology").
    """
    text = code.strip()
    if not text:
        raise DomainError(ErrorCode.REQUIRED, f"{field} is required", field)
    kind = _symbology(text, symbology, field.removesuffix("code") + "symbology")
    if kind is Symbology.OTHER:
        if not _OTHER_BARCODE_PATTERN.fullmatch(text):
            raise DomainError(
                ErrorCode.INVALID_FORMAT,
                f"{field} must be 1 to 64 printable ASCII characters without spaces",
                field,
            )
        return Barcode(text, kind)
    length = _GS1_LENGTHS[kind]
    if not (len(text) == length and text.isascii() and text.isdigit()):
        raise DomainError(
            ErrorCode.INVALID_FORMAT,
            f"{field} must be {length} digits for {kind}, got {text!r}",
            field,
        )
    expected = gs1_check_digit(text[:-1])
    if int(text[-1]) != expected:
        raise DomainError(
            ErrorCode.INVALID_FORMAT,
            f"{field} {text} ends in check digit {text[-1]}, but {kind} requires {expected}",
            field,
        )
    return Barcode(text, kind)


def _symbology(code: str, raw: str, field: str) -> Symbology:
    name = raw.strip().upper()
    if not name:
        if code.isascii() and code.isdigit() and len(code) == 13:
            return Symbology.EAN13
        if code.isascii() and code.isdigit() and len(code) == 12:
            return Symbology.UPCA
        return Symbology.OTHER
    try:
        return Symbology(name)
    except ValueError:
        raise DomainError(
            ErrorCode.INVALID_FORMAT, f"{field} must be EAN13, UPCA or OTHER, got {quoted(raw)}", field
        ) from None


@dataclass
class Item:
    id: str
    sku: str
    name: str
    base_unit: str
    units: dict[str, Decimal]
    barcodes: list[Barcode]
    standard_cost: Decimal
    lot_tracked: bool
    inspect_on_receipt: bool
    inspect_on_production: bool
    status: ItemStatus = ItemStatus.ACTIVE
    thresholds: dict[str, Thresholds] = dataclasses.field(default_factory=dict)
    # Grows by one with every change (see ItemUpserted.version).
    version: int = 1
    updated_at: datetime | None = dataclasses.field(default=None, compare=False)
    events: list[object] = dataclasses.field(default_factory=list, repr=False, compare=False)

    def _upserted(self) -> ItemUpserted:
        return ItemUpserted(
            item_id=self.id,
            sku=self.sku,
            name=self.name,
            base_unit=self.base_unit,
            units=tuple(self.units.items()),
            barcodes=tuple(b.code for b in self.barcodes),
            standard_cost=self.standard_cost,
            lot_tracked=self.lot_tracked,
            inspect_on_receipt=self.inspect_on_receipt,
            inspect_on_production=self.inspect_on_production,
            status=str(self.status),
            version=self.version,
        )

    @classmethod
    def create(
        cls,
        id: str,
        sku: str,
        name: str,
        base_unit: str,
        units: Sequence[tuple[str, str]],
        barcodes: Sequence[tuple[str, str]],
        standard_cost: str,
        lot_tracked: bool,
        inspect_on_receipt: bool,
        inspect_on_production: bool,
    ) -> Item:
        base = normalise_unit(base_unit, "base_unit")
        item = cls(
            id=id,
            sku=normalise_sku(sku),
            name=_name(name),
            base_unit=base,
            units=_units(units, base),
            barcodes=_barcodes(barcodes),
            standard_cost=_cost(standard_cost),
            lot_tracked=lot_tracked,
            inspect_on_receipt=inspect_on_receipt,
            inspect_on_production=inspect_on_production,
        )
        item.events.append(item._upserted())
        return item

    def update(
        self,
        name: str | None = None,
        standard_cost: str | None = None,
        lot_tracked: bool | None = None,
        inspect_on_receipt: bool | None = None,
        inspect_on_production: bool | None = None,
        status: str | None = None,
        units: Sequence[tuple[str, str]] | None = None,
        barcodes: Sequence[tuple[str, str]] | None = None,
    ) -> list[FieldChange]:
        """Change the given fields (None leaves a field as it is); returns what changed."""
        # Everything is validated before anything is assigned: a refused update changes nothing.
        new_name = self.name if name is None else _name(name)
        new_cost = self.standard_cost if standard_cost is None else _cost(standard_cost)
        new_status = self.status if status is None else _status(status)
        new_units = self.units if units is None else _units(units, self.base_unit)
        new_barcodes = self.barcodes if barcodes is None else _barcodes(barcodes)

        before = self.snapshot()
        self.name = new_name
        self.standard_cost = new_cost
        self.status = new_status
        self.units = new_units
        self.barcodes = new_barcodes
        if lot_tracked is not None:
            self.lot_tracked = lot_tracked
        if inspect_on_receipt is not None:
            self.inspect_on_receipt = inspect_on_receipt
        if inspect_on_production is not None:
            self.inspect_on_production = inspect_on_production
        after = self.snapshot()

        changes = [FieldChange(key, before[key], after[key]) for key in before if before[key] != after[key]]
        if changes:
            self.version += 1
            self.events.append(self._upserted())
        return changes

    def set_thresholds(self, warehouse: str, safety_stock: str, max_stock: str) -> list[FieldChange]:
        code = normalise_warehouse(warehouse)
        safety = parse_decimal(safety_stock, "safety_stock", minimum=Decimal(0))
        maximum = parse_decimal(max_stock, "max_stock", minimum=Decimal(0))
        if maximum < safety:
            raise DomainError(
                ErrorCode.OUT_OF_RANGE,
                f"max stock ({maximum}) must not be below safety stock ({safety})",
                "max_stock",
            )
        old = self.thresholds.get(code)
        changes: list[FieldChange] = []
        if old is None or old.safety_stock != safety:
            changes.append(
                FieldChange(
                    f"thresholds[{code}].safety_stock",
                    None if old is None else decimal_text(old.safety_stock),
                    decimal_text(safety),
                )
            )
        if old is None or old.max_stock != maximum:
            changes.append(
                FieldChange(
                    f"thresholds[{code}].max_stock",
                    None if old is None else decimal_text(old.max_stock),
                    decimal_text(maximum),
                )
            )
        if changes:
            self.version += 1
            self.thresholds[code] = Thresholds(code, safety, maximum)
            self.events.append(ThresholdsChanged(self.id, self.sku, code, safety, maximum))
        return changes

    def resolve_unit(self, unit: str, field: str = "unit") -> str:
        """The item's unit code for `unit`; empty means the base unit."""
        code = unit.strip().upper() or self.base_unit
        if code != self.base_unit and code not in self.units:
            known = ", ".join([self.base_unit, *self.units])
            raise DomainError(
                ErrorCode.NOT_FOUND,
                f"item {self.sku} has no unit {quoted(code)}; its units are {known}",
                field,
            )
        return code

    def factor(self, unit: str, field: str = "unit") -> Decimal:
        """How many base units one `unit` holds."""
        code = self.resolve_unit(unit, field)
        return Decimal(1) if code == self.base_unit else self.units[code]

    def convert(self, quantity: Decimal, from_unit: str, to_unit: str) -> Decimal:
        numerator = self.factor(from_unit, "from_unit")
        denominator = self.factor(to_unit, "to_unit")
        with localcontext(CONVERSION_CONTEXT):
            return quantity * numerator / denominator

    def to_base(self, quantity: Decimal, unit: str) -> Decimal:
        factor = self.factor(unit, "unit")
        with localcontext(CONVERSION_CONTEXT):
            return quantity * factor

    def snapshot(self) -> dict[str, JsonValue]:
        """The audited fields, keyed as in FieldChange."""
        return {
            "sku": self.sku,
            "name": self.name,
            "base_unit": self.base_unit,
            "units": [{"unit": unit, "factor": decimal_text(factor)} for unit, factor in self.units.items()],
            "barcodes": [{"code": barcode.code, "symbology": barcode.symbology.value} for barcode in self.barcodes],
            "standard_cost": decimal_text(self.standard_cost),
            "lot_tracked": self.lot_tracked,
            "inspect_on_receipt": self.inspect_on_receipt,
            "inspect_on_production": self.inspect_on_production,
            "status": self.status.value,
        }


def _name(raw: str) -> str:
    name = raw.strip()
    if not name:
        raise DomainError(ErrorCode.REQUIRED, "name is required", "name")
    return bounded(name, "name", NAME)


def _cost(raw: str) -> Decimal:
    if not raw.strip():
        return Decimal(0)
    return parse_decimal(raw, "standard_cost", places=MONEY_PLACES, minimum=Decimal(0))


def _status(raw: str) -> ItemStatus:
    try:
        return ItemStatus(raw.strip().upper())
    except ValueError:
        raise DomainError(
            ErrorCode.INVALID_FORMAT, f"status must be ACTIVE or BLOCKED, got {quoted(raw)}", "status"
        ) from None


def _units(pairs: Sequence[tuple[str, str]], base_unit: str) -> dict[str, Decimal]:
    units: dict[str, Decimal] = {}
    for index, (raw_unit, raw_factor) in enumerate(pairs):
        field = f"units[{index}].unit"
        unit = normalise_unit(raw_unit, field)
        if unit == base_unit:
            raise DomainError(
                ErrorCode.ALREADY_EXISTS,
                f"{field} {unit} is the base unit, whose factor is always 1; list only other units",
                field,
            )
        if unit in units:
            raise DomainError(ErrorCode.ALREADY_EXISTS, f"{field} {unit} is listed more than once", field)
        units[unit] = parse_decimal(raw_factor, f"units[{index}].factor", strictly_positive=True)
    return units


def _barcodes(pairs: Sequence[tuple[str, str]]) -> list[Barcode]:
    barcodes: list[Barcode] = []
    for index, (code, symbology) in enumerate(pairs):
        field = f"barcodes[{index}].code"
        barcode = validate_barcode(code, symbology, field)
        if any(seen.code == barcode.code for seen in barcodes):
            raise DomainError(ErrorCode.ALREADY_EXISTS, f"{field} {barcode.code} is listed more than once", field)
        barcodes.append(barcode)
    return barcodes
