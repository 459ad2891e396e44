"""The one place that picks the catalog's concrete adapters."""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path

from catalog.adapters.events import to_message
from catalog.adapters.repository import SqlCatalogRepository
from catalog.adapters.tables import metadata
from catalog.api.servicer import CatalogServicer
from catalog.service.handlers import COMMANDS
from invariant.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from invariant_core.commands import Dispatcher
from invariant_core.db import UnitOfWork, UnitOfWorkFactory
from invariant_core.rpc import Registry
from invariant_core.runtime import ServiceSpec, Wiring
from invariant_core.settings import Settings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
SERVICE_NAME = catalog_pb2.DESCRIPTOR.services_by_name["CatalogService"].full_name


async def wire(uows: UnitOfWorkFactory, settings: Settings, stack: AsyncExitStack) -> Wiring:
    def repository(uow: UnitOfWork) -> SqlCatalogRepository:
        return SqlCatalogRepository(uow.session)

    servicer = CatalogServicer(uows, repository, Dispatcher(uows, repository, COMMANDS))

    def register(server: Registry) -> None:
        catalog_pb2_grpc.add_CatalogServiceServicer_to_server(servicer, server)  # type: ignore[no-untyped-call]

    return Wiring([register])


SPEC = ServiceSpec(
    name="catalog",
    metadata=metadata,
    migrations=MIGRATIONS,
    translate=to_message,
    wire=wire,
    grpc_services=[SERVICE_NAME],
)
