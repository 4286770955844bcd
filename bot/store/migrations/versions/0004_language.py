"""the person's language, a session's last answer and its live message

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
    # Telegram's language_code, kept so that reminders and timers, which are sent without
    # an update from the person, use the same message catalog as the replies.
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(length=16), nullable=False, server_default="")
        )
    # When the last answer in a session was given: reminders wait only for a session
    # someone is answering, not one opened and left untouched.
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True))
        # The message carrying the session's live buttons.
        batch_op.add_column(sa.Column("card_message_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_column("card_message_id")
        batch_op.drop_column("answered_at")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("language")
