"""Count lines are updated in place: no index on their state, room on each page.

A line changes state several times (counted, judged, posted). With no index on the state
and half of each page left free, PostgreSQL rewrites a line on its own page without
touching any index (a heap-only update): a round of 100,000 lines is about half as long.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_lines_count_state", table_name="lines")
    if op.get_context().dialect.name == "postgresql":
        # Pages written from now on; existing ones keep their fill until rewritten.
        op.execute("ALTER TABLE lines SET (fillfactor = 50)")


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("ALTER TABLE lines RESET (fillfactor)")
    op.create_index("ix_lines_count_state", "lines", ["count_id", "state"])
