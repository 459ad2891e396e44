"""Catalog commands: the result and the user errors side by side, nothing raised."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry

from gateway import described
from gateway.auth import require_role
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
from invariant.catalog.v1 import catalog_pb2, catalog_pb2_grpc

EDITORS = frozenset({"supervisor", "manager", "admin"})

Stub = catalog_pb2_grpc.CatalogServiceStub
M = TypeVar("M")


@strawberry.type
class ItemPayload:
    item: Item | None
    user_errors: list[UserError]


@strawberry.type
class BomVersionPayload:
    bom_version: BomVersion | None
    user_errors: list[UserError]


async def _edit(info: Info, action: str, send: Callable[[Stub], Awaitable[M]]) -> tuple[M | None, list[UserError]]:
    async def run() -> M:
        require_role(info.context.identity, EDITORS, action)
        stub = info.context.stubs.catalog
        return await call(lambda: send(stub))

    return await attempt(run)


async def _item(info: Info, action: str, send: Callable[[Stub], Awaitable[catalog_pb2.Item]]) -> ItemPayload:
    proto, errors = await _edit(info, action, send)
    item = Item.from_proto(proto) if proto is not None else None
    return ItemPayload(item=item, user_errors=errors)


async def _bom(info: Info, action: str, send: Callable[[Stub], Awaitable[catalog_pb2.BomVersion]]) -> BomVersionPayload:
    proto, errors = await _edit(info, action, send)
    version = BomVersion.from_proto(proto) if proto is not None else None
    return BomVersionPayload(bom_version=version, user_errors=errors)


@strawberry.type
class CatalogMutation:
    @strawberry.mutation
    async def create_item(self, info: Info, input: CreateItemInput) -> ItemPayload:
        return await _item(info, "creating an item", lambda stub: stub.CreateItem(input.to_proto()))

    @strawberry.mutation
    async def update_item(self, info: Info, input: UpdateItemInput) -> ItemPayload:
        return await _item(info, "changing an item", lambda stub: stub.UpdateItem(input.to_proto()))

    @described.mutation("Safety and maximum stock of an item in one warehouse.")
    async def set_thresholds(self, info: Info, input: SetThresholdsInput) -> ItemPayload:
        return await _item(info, "setting thresholds", lambda stub: stub.SetThresholds(input.to_proto()))

    @described.mutation("A new DRAFT version of a parent's BOM.")
    async def create_bom_version(self, info: Info, input: CreateBomVersionInput) -> BomVersionPayload:
        return await _bom(info, "creating a BOM version", lambda stub: stub.CreateBomVersion(input.to_proto()))

    @strawberry.mutation
    async def add_bom_line(self, info: Info, input: AddBomLineInput) -> BomVersionPayload:
        return await _bom(info, "changing a BOM", lambda stub: stub.AddBomLine(input.to_proto()))

    @strawberry.mutation
    async def remove_bom_line(self, info: Info, input: RemoveBomLineInput) -> BomVersionPayload:
        return await _bom(info, "changing a BOM", lambda stub: stub.RemoveBomLine(input.to_proto()))

    @strawberry.mutation
    async def activate_bom_version(self, info: Info, input: ActivateBomVersionInput) -> BomVersionPayload:
        return await _bom(info, "activating a BOM version", lambda stub: stub.ActivateBomVersion(input.to_proto()))

    @strawberry.mutation
    async def obsolete_bom_version(self, info: Info, input: ObsoleteBomVersionInput) -> BomVersionPayload:
        return await _bom(info, "obsoleting a BOM version", lambda stub: stub.ObsoleteBomVersion(input.to_proto()))
