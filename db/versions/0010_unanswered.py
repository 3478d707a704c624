"""Questions the bot could not answer, kept for people to answer next time (issue 10).

Revision ID: 0010_unanswered
Revises: 0008_parent_leads
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_unanswered"
down_revision = "0008_parent_leads"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unanswered",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("user_key", sa.String(128), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("offered", sa.JSON(), nullable=False),
        sa.Column("chosen", sa.String(128), nullable=True),
        sa.Column("chosen_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_unanswered"),
    )
    op.create_index("ix_unanswered_user", "unanswered", ["channel", "user_key"])
    op.create_index("ix_unanswered_asked_at", "unanswered", ["asked_at"])


def downgrade() -> None:
    op.drop_index("ix_unanswered_asked_at", table_name="unanswered")
    op.drop_index("ix_unanswered_user", table_name="unanswered")
    op.drop_table("unanswered")
