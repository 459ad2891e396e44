"""Domain events to the protobuf payloads published on inventory.catalog.*."""

from __future__ import annotations

from google.protobuf.message import Message
from google.type.decimal_pb2 import Decimal as PbDecimal

from catalog.domain.events import BomActivated, ItemUpserted, ThresholdsChanged
from invariant.events.v1 import catalog_pb2 as events


def to_message(event: object) -> tuple[str, Message]:
    match event:
        case ItemUpserted(item=item):
            return "inventory.catalog.item.upserted", events.ItemUpserted(
                item_id=item.id,
                sku=item.sku,
                name=item.name,
                base_unit=item.base_unit,
                units=[events.UnitConversion(unit=u, factor=PbDecimal(value=str(f))) for u, f in item.units.items()],
                barcodes=[b.code for b in item.barcodes],
                standard_cost=PbDecimal(value=str(item.standard_cost)),
                lot_tracked=item.lot_tracked,
                inspect_on_receipt=item.inspect_on_receipt,
                inspect_on_production=item.inspect_on_production,
                status=str(item.status),
            )
        case ThresholdsChanged():
            return "inventory.catalog.thresholds.changed", events.ThresholdsChanged(
                item_id=event.item_id,
                sku=event.sku,
                warehouse=event.warehouse,
                safety_stock=PbDecimal(value=str(event.safety_stock)),
                max_stock=PbDecimal(value=str(event.max_stock)),
            )
        case BomActivated():
            return "inventory.catalog.bom.activated", events.BomActivated(
                bom_id=event.bom_id,
                parent_sku=event.parent_sku,
                version=event.version,
                replaced_bom_id=event.replaced_bom_id,
            )
    raise TypeError(f"no message for {event!r}")
