"""What every order line's message shows of the line's item, warehouse and quantities."""

from __future__ import annotations

from typing import Any

from invariant_core.messages import decimal_message
from orders.domain.lines import ItemLine


def item_line_fields(line: ItemLine) -> dict[str, Any]:
    return {
        "line": line.line,
        "item_sku": line.item_sku,
        "quantity": decimal_message(line.quantity),
        "unit": line.unit,
        "base_quantity": decimal_message(line.base_quantity),
        "base_unit": line.base_unit,
        "warehouse": line.warehouse,
    }
