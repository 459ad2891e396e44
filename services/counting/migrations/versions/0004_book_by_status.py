"""A round's book by stock status: a line is its place in every status, summed.

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


def upgrade() -> None:
    # Rounds judged before it have no breakdown: an empty object.
    op.add_column("rounds", sa.Column("book_by_status", sa.Text(), nullable=False, server_default="{}"))


def downgrade() -> None:
    op.drop_column("rounds", "book_by_status")
