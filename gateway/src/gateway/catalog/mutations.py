"""Catalog commands: the result and the user errors side by side, nothing raised."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import strawberry

from gateway import described
from gateway.catalog.inputs import (
    ActivateBomVersionInput,
    AddBomLineInput,
    CreateBomVersionInput,
    CreateItemInput,
    ObsoleteBomVersionInput,
    RemoveBomLineInput,
    SetThresholdsInput,
    UpdateItemInput,
)
from gateway.catalog.types import BomVersion, Item
from gateway.context import Info
from gateway.errors import UserError, attempt, call
from gateway.permissions import require
from invariant.catalog.v1 import catalog_pb2, catalog_pb2_grpc

Stub = catalog_pb2_grpc.CatalogServiceStub
M = TypeVar("M")


@strawberry.type(description="The item after an item mutation, or why the mutation was refused.")
class ItemPayload:
    item: Item | None = strawberry.field(description="The item as it is after the change; null when refused.")
    user_errors: list[UserError] = strawberry.field(
        description="Why the mutation was refused, with nothing written; empty on success."
    )


@strawberry.type(description="The BOM version after a BOM mutation, or why the mutation was refused.")
class BomVersionPayload:
    bom_version: BomVersion | None = strawberry.field(
        description="The BOM version as it is after the change; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why the mutation was refused, with nothing written; empty on success."
    )


async def _edit(info: Info, send: Callable[[Stub], Awaitable[M]]) -> tuple[M | None, list[UserError]]:
    async def run() -> M:
        require(info)
        stub = info.context.stubs.catalog
        return await call(lambda: send(stub))

    return await attempt(run)


async def _item(info: Info, send: Callable[[Stub], Awaitable[catalog_pb2.Item]]) -> ItemPayload:
    proto, errors = await _edit(info, send)
    item = Item.from_proto(proto) if proto is not None else None
    return ItemPayload(item=item, user_errors=errors)


async def _bom(info: Info, send: Callable[[Stub], Awaitable[catalog_pb2.BomVersion]]) -> BomVersionPayload:
    proto, errors = await _edit(info, send)
    version = BomVersion.from_proto(proto) if proto is not None else None
    return BomVersionPayload(bom_version=version, user_errors=errors)


@strawberry.type
class CatalogMutation:
    @described.mutation(
        "Adds an item to the catalog; needs the supervisor, manager or admin role. Refused with ALREADY_EXISTS "
        "when the SKU or a barcode is taken. A retry with the same idempotencyKey returns the first result."
    )
    async def create_item(
        self, info: Info, input: Annotated[CreateItemInput, strawberry.argument(description="The new item.")]
    ) -> ItemPayload:
        return await _item(info, lambda stub: stub.CreateItem(input.to_proto()))

    @described.mutation(
        "Changes the given fields of an item (supervisor, manager or admin); a change is audited only when "
        "something actually changed. A retry with the same idempotencyKey returns the first result."
    )
    async def update_item(
        self,
        info: Info,
        input: Annotated[UpdateItemInput, strawberry.argument(description="The item's SKU and the fields to change.")],
    ) -> ItemPayload:
        return await _item(info, lambda stub: stub.UpdateItem(input.to_proto()))

    @described.mutation(
        "Sets the safety and maximum stock of an item in one warehouse (supervisor, manager or admin); the stock "
        "service raises its alerts against them. A retry with the same idempotencyKey returns the first result."
    )
    async def set_thresholds(
        self,
        info: Info,
        input: Annotated[
            SetThresholdsInput, strawberry.argument(description="The item, the warehouse and both levels.")
        ],
    ) -> ItemPayload:
        return await _item(info, lambda stub: stub.SetThresholds(input.to_proto()))

    @described.mutation(
        "Starts a new DRAFT version of a parent's BOM, numbered after its latest (supervisor, manager or admin). "
        "A retry with the same idempotencyKey returns the first draft instead of a second one."
    )
    async def create_bom_version(
        self,
        info: Info,
        input: Annotated[
            CreateBomVersionInput,
            strawberry.argument(description="The parent, the dates and optionally a version to copy."),
        ],
    ) -> BomVersionPayload:
        return await _bom(info, lambda stub: stub.CreateBomVersion(input.to_proto()))

    @described.mutation(
        "Adds a component line to a DRAFT BOM version (supervisor, manager or admin). "
        "A retry with the same idempotencyKey returns the first result instead of a second line."
    )
    async def add_bom_line(
        self,
        info: Info,
        input: Annotated[AddBomLineInput, strawberry.argument(description="The draft version and the line to add.")],
    ) -> BomVersionPayload:
        return await _bom(info, lambda stub: stub.AddBomLine(input.to_proto()))

    @described.mutation(
        "Removes a line from a DRAFT BOM version (supervisor, manager or admin). "
        "A retry with the same idempotencyKey returns the first result."
    )
    async def remove_bom_line(
        self,
        info: Info,
        input: Annotated[
            RemoveBomLineInput, strawberry.argument(description="The draft version and the line to remove.")
        ],
    ) -> BomVersionPayload:
        return await _bom(info, lambda stub: stub.RemoveBomLine(input.to_proto()))

    @described.mutation(
        "Puts a DRAFT version into use (supervisor, manager or admin): it becomes ACTIVE and the version "
        "active before becomes OBSOLETE, ending where this one starts. "
        "A retry with the same idempotencyKey returns the first result."
    )
    async def activate_bom_version(
        self,
        info: Info,
        input: Annotated[ActivateBomVersionInput, strawberry.argument(description="The draft version to activate.")],
    ) -> BomVersionPayload:
        return await _bom(info, lambda stub: stub.ActivateBomVersion(input.to_proto()))

    @described.mutation(
        "Takes a DRAFT or ACTIVE version out of use (supervisor, manager or admin): it becomes OBSOLETE, and "
        "an active one is no longer in effect from today on. "
        "A retry with the same idempotencyKey returns the first result."
    )
    async def obsolete_bom_version(
        self,
        info: Info,
        input: Annotated[ObsoleteBomVersionInput, strawberry.argument(description="The version to make obsolete.")],
    ) -> BomVersionPayload:
        return await _bom(info, lambda stub: stub.ObsoleteBomVersion(input.to_proto()))
