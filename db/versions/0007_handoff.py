"""Handoff to counsellors: handed-off conversations, their posts in the group, web pushes.

Revision ID: 0007_handoff
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_handoff"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "handoffs",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("user_key", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("chat_id", sa.String(64), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=True),
        sa.Column("root_message_id", sa.BigInteger(), nullable=True),
        sa.Column("after_hours", sa.Boolean(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(16), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_handoffs"),
    )
    op.create_index("ix_handoffs_user", "handoffs", ["channel", "user_key", "status"])
    op.create_index("ix_handoffs_thread", "handoffs", ["chat_id", "thread_id"])
    op.create_table(
        "handoff_posts",
        sa.Column("chat_id", sa.String(64), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("handoff_id", sa.String(32), nullable=False),
        sa.ForeignKeyConstraint(
            ["handoff_id"],
            ["handoffs.id"],
            name="fk_handoff_posts_handoff_id_handoffs",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("chat_id", "message_id", name="pk_handoff_posts"),
    )
    op.create_table(
        "web_pushes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_key", sa.String(128), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_web_pushes"),
    )
    op.create_index("ix_web_pushes_user_key", "web_pushes", ["user_key"])


def downgrade() -> None:
    op.drop_index("ix_web_pushes_user_key", table_name="web_pushes")
    op.drop_table("web_pushes")
    op.drop_table("handoff_posts")
    op.drop_index("ix_handoffs_thread", table_name="handoffs")
    op.drop_index("ix_handoffs_user", table_name="handoffs")
    op.drop_table("handoffs")
