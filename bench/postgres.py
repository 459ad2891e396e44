"""What every benchmark does to the PostgreSQL server between its phases."""

from __future__ import annotations

import sys

import asyncpg


async def settle(dsn: str, vacuum: bool = True) -> None:
    """Let the next phase start from a clean server, not pay for the one before.

    VACUUM ANALYZE: the rows a phase updated leave dead versions that autovacuum would
    otherwise clean up in the middle of the next phase (measured in the stock benchmark:
    the service, run right after its baseline, lost up to a fifth of its rate to it).
    CHECKPOINT: the WAL a phase wrote would otherwise be flushed during the next one.
    """
    connection = await asyncpg.connect(dsn)
    try:
        if vacuum:
            await connection.execute("VACUUM ANALYZE")
        await connection.execute("CHECKPOINT")
    except asyncpg.InsufficientPrivilegeError:
        print("no CHECKPOINT (needs a superuser or pg_checkpoint): figures may vary more", file=sys.stderr)
    finally:
        await connection.close()
