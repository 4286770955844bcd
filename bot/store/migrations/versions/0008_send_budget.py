"""one bot-wide send budget for all instances (PostgreSQL)

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Telegram's limit is the bot's, whatever the number of instances: they share its
    # schedule here (bot/store/budget.py). One row; unused on SQLite (one process).
    op.create_table(
        "send_budget",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("next_slot", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute("INSERT INTO send_budget (id, next_slot) VALUES (1, CURRENT_TIMESTAMP)")


def downgrade() -> None:
    op.drop_table("send_budget")
