"""Alembic, shared by every service: each keeps its scripts in services/<name>/migrations."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from invariant_core.db import create_engine


def config(script_location: Path, url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


async def upgrade(script_location: Path, url: str) -> None:
    """Bring the database to the newest revision (alembic runs its own event loop)."""
    await asyncio.to_thread(command.upgrade, config(script_location, url), "head")


def head(script_location: Path) -> str | None:
    """The newest revision of a service's migrations: what its code expects of its database."""
    return ScriptDirectory.from_config(config(script_location, "")).get_current_head()


async def current(connection: AsyncConnection) -> str | None:
    """The revision the database is at; None before its first migration."""
    return await connection.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())


def run_env(metadata: MetaData) -> None:
    """The body of every service's migrations/env.py."""
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url is set by invariant_core.migrations.config"

    def migrate(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            user_module_prefix="invariant_core.types.",
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_engine(url)
        async with engine.connect() as connection:
            await connection.run_sync(migrate)
            await connection.commit()
        await engine.dispose()

    asyncio.run(run())


def revision(service: str, message: str) -> None:
    """Write a new revision for `service` from the difference between its tables and its migrations."""
    import tempfile

    from invariant_core import services

    spec = services.spec(service)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/scratch.db"
        cfg = config(spec.migrations, url)
        command.upgrade(cfg, "head")
        command.revision(cfg, message=message, autogenerate=True)


if __name__ == "__main__":
    import sys

    match sys.argv[1:]:
        case ["revision", service, message]:
            revision(service, message)
        case _:
            sys.exit("usage: python -m invariant_core.migrations revision <service> <message>")
