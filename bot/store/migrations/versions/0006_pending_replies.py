"""replies owed to people whose last update Telegram would not let us answer

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
    # When a reply fails after its retries (Telegram down), the person is owed one: sent
    # once Telegram answers again, so that they see the next step without asking.
    op.create_table(
        "pending_replies",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("card_message_id", sa.BigInteger(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("chat_id"),
    )
    op.create_index(
        op.f("ix_pending_replies_user_id"), "pending_replies", ["user_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_pending_replies_user_id"), table_name="pending_replies")
    op.drop_table("pending_replies")
