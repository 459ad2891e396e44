"""SQL the orders repositories share: an order's child rows, and its histories."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import Row, Select, Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from invariant_core.db import insert_rows, one_of

T = TypeVar("T")


def record(kind: type[T], row: Row[Any], /, **given: Any) -> T:
    """A domain record from the row whose columns bear its fields' names; `given`, the
    fields the row holds no column for, or holds in another form. A field that is in
    neither keeps its default (an aggregate's recorded events)."""
    values = {**row._mapping, **given}
    fields = dataclasses.fields(kind)  # type: ignore[arg-type]
    return kind(**{f.name: values[f.name] for f in fields if f.init and f.name in values})


class OrderRows:
    """Reads orders' child rows, and appends to their histories (transitions, postings,
    receipts: numbered by `seq`, they only grow) only the rows an order gained since this
    transaction read it, all of them for an order it did not read (a new one). A
    repository lives as long as its transaction, and so does what this remembers."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        # (table, order id) → how many of the order's rows in the table are stored.
        self._stored: dict[tuple[str, str], int] = {}

    async def read(self, table: Table, ids: Sequence[str], *within: str) -> Sequence[Row[Any]]:
        """The rows of the orders `ids`, by order and then by the columns `within`."""
        rows: Sequence[Row[Any]] = (await self._session.execute(_of_orders(table, within), {"ids": list(ids)})).all()
        held = Counter(row.order_id for row in rows)
        self._stored.update(((table.name, order_id), held[order_id]) for order_id in ids)
        return rows

    async def append(self, table: Table, histories: Mapping[str, Sequence[dict[str, Any]]]) -> None:
        """Store each order's (by id) history rows, in order, that are not stored yet."""
        new = []
        for order_id, rows in histories.items():
            stored = self._stored.get((table.name, order_id), 0)
            new += [{"order_id": order_id, "seq": seq, **row} for seq, row in enumerate(rows) if seq >= stored]
            self._stored[table.name, order_id] = len(rows)
        await insert_rows(self._session, table, new)


@cache
def _of_orders(table: Table, within: tuple[str, ...]) -> Select[Any]:
    """Built once per table: every read of an order runs it."""
    return (
        select(table)
        .where(one_of(table.c.order_id, "ids"))
        .order_by(table.c.order_id, *(table.c[name] for name in within))
    )
