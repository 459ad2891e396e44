"""A warehouse's ABC classes are listed class by class, each by item, which this index reads
in order.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("abc_classes", schema=None) as batch_op:
        batch_op.create_index("ix_abc_classes_class", ["warehouse", "abc_class", "item_sku"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("abc_classes", schema=None) as batch_op:
        batch_op.drop_index("ix_abc_classes_class")
