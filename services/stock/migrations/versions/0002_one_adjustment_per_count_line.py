"""One adjustment per count line: a unique index over the COUNT document of movements.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNT_ONLY = sa.text("document_type = 'COUNT'")


def upgrade() -> None:
    # Not batch mode: SQLite would copy the table and lose its append-only triggers.
    op.create_index(
        "ux_movements_count_line",
        "movements",
        ["document_type", "document_id", "document_line"],
        unique=True,
        postgresql_where=COUNT_ONLY,
        sqlite_where=COUNT_ONLY,
    )


def downgrade() -> None:
    op.drop_index("ux_movements_count_line", table_name="movements")
