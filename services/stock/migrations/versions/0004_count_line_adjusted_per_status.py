"""A count line is adjusted once in each status: its difference may fall in several.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNT_ONLY = sa.text("document_type = 'COUNT'")


def upgrade() -> None:
    # Not batch mode: SQLite would copy the table and lose its append-only triggers.
    op.drop_index("ux_movements_count_line", table_name="movements")
    op.create_index(
        "ux_movements_count_line",
        "movements",
        ["document_type", "document_id", "document_line", sa.text("coalesce(from_status, to_status)")],
        unique=True,
        postgresql_where=COUNT_ONLY,
        sqlite_where=COUNT_ONLY,
    )


def downgrade() -> None:
    op.drop_index("ux_movements_count_line", table_name="movements")
    op.create_index(
        "ux_movements_count_line",
        "movements",
        ["document_type", "document_id", "document_line"],
        unique=True,
        postgresql_where=COUNT_ONLY,
        sqlite_where=COUNT_ONLY,
    )
