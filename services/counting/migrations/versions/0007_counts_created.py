"""Counts are listed in the order they were created (their id only tells apart counts created at
the same moment), which this index reads in order.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("counts", schema=None) as batch_op:
        batch_op.create_index("ix_counts_created", ["created_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("counts", schema=None) as batch_op:
        batch_op.drop_index("ix_counts_created")
