"""Who moved stock at a line's place while a round counted it, kept as the round closes: a
trace reads recurring operators from posted counts' history and writes nothing, so the
actors traces used to remember go.

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
    op.create_table(
        "round_actors",
        sa.Column("line_id", sa.String(length=36), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("line_id", "round", "actor"),
    )
    with op.batch_alter_table("round_actors", schema=None) as batch_op:
        batch_op.create_index("ix_round_actors_actor", ["actor"], unique=False)
    op.drop_table("traced_actors")


def downgrade() -> None:
    op.create_table(
        "traced_actors",
        sa.Column("line_id", sa.String(length=36), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("line_id", "actor"),
    )
    with op.batch_alter_table("round_actors", schema=None) as batch_op:
        batch_op.drop_index("ix_round_actors_actor")
    op.drop_table("round_actors")
