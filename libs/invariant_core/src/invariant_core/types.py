"""Column types for exact decimals on both backends."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect, Numeric
from sqlalchemy.types import TypeDecorator, TypeEngine


class Exact(TypeDecorator[Decimal]):
    """NUMERIC on PostgreSQL; a scaled integer on SQLite, which has no exact decimal.

    Scaling keeps SQL arithmetic and comparisons exact on SQLite as well
    (`reserved + :q`, `on_hand - reserved >= :q`), which REAL would not.
    """

    impl = Numeric
    cache_ok = True

    def __init__(self, places: int) -> None:
        super().__init__(precision=24, scale=places, asdecimal=True)
        self.places = places
        self._unit = Decimal(1).scaleb(-places)

    def __repr__(self) -> str:
        return f"Exact({self.places})"

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(24, self.places, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        exact = Decimal(value).quantize(self._unit)
        if dialect.name == "sqlite":
            return int(exact.scaleb(self.places))
        return exact

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return (Decimal(int(value)).scaleb(-self.places)).quantize(self._unit).normalize() + 0
        return Decimal(value).normalize() + 0


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp that always comes back aware, in UTC, on SQLite too (which keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def __repr__(self) -> str:
        return "UtcDateTime()"

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are refused: give a time zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = value
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
