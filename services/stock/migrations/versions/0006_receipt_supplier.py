"""A purchase receipt keeps its supplier and the supplier's lot number.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("movements") as batch:
        batch.add_column(sa.Column("supplier", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("supplier_lot", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("movements") as batch:
        batch.drop_column("supplier_lot")
        batch.drop_column("supplier")
