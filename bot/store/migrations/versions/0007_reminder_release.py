"""when each claimed reminder may start going out (its minute's planned release)

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A crowd that chose the same minute is released before it (coach/planning.py), so
    # that lateness is spread around their time; empty for rows claimed before this.
    with op.batch_alter_table("reminder_deliveries") as batch:
        batch.add_column(sa.Column("send_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reminder_deliveries") as batch:
        batch.drop_column("send_at")
