"""Where picks of an item came up short, kept from orders' failed picks: the places a spot
count covers.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import invariant_core.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "failed_picks",
        sa.Column("warehouse", sa.String(length=20), nullable=False),
        sa.Column("item_sku", sa.String(length=40), nullable=False),
        sa.Column("location", sa.String(length=40), nullable=False),
        sa.Column("last_at", invariant_core.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("warehouse", "item_sku", "location"),
    )


def downgrade() -> None:
    op.drop_table("failed_picks")
