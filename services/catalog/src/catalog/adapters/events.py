"""Domain events to the protobuf payloads published on inventory.catalog.*."""

from __future__ import annotations

from google.protobuf.message import Message

from catalog.domain.events import BomActivated, ItemUpserted, ThresholdsChanged
from invariant.events.v1 import catalog_pb2 as events
from invariant_core.messages import decimal_message


def to_message(event: object) -> tuple[str, Message]:
    match event:
        case ItemUpserted():
            return "inventory.catalog.item.upserted", events.ItemUpserted(
                item_id=event.item_id,
                sku=event.sku,
                name=event.name,
                base_unit=event.base_unit,
                units=[events.UnitConversion(unit=u, factor=decimal_message(f)) for u, f in event.units],
                barcodes=list(event.barcodes),
                standard_cost=decimal_message(event.standard_cost),
                lot_tracked=event.lot_tracked,
                inspect_on_receipt=event.inspect_on_receipt,
                inspect_on_production=event.inspect_on_production,
                status=event.status,
                version=event.version,
            )
        case ThresholdsChanged():
            return "inventory.catalog.thresholds.changed", events.ThresholdsChanged(
                item_id=event.item_id,
                sku=event.sku,
                warehouse=event.warehouse,
                safety_stock=decimal_message(event.safety_stock),
                max_stock=decimal_message(event.max_stock),
            )
        case BomActivated():
            return "inventory.catalog.bom.activated", events.BomActivated(
                bom_id=event.bom_id,
                parent_sku=event.parent_sku,
                version=event.version,
                replaced_bom_id=event.replaced_bom_id,
            )
    raise TypeError(f"no message for {event!r}")
