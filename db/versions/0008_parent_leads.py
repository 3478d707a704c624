"""Parent confirmation codes and leads that stay right (issue 12, parent).

Leads may wait for a parent (status awaiting_parent, their deliveries held in the outbox),
record how a parent confirmed, and count their revisions (lead.updated events).

Revision ID: 0008_parent_leads
Revises: 0009_portal
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_parent_leads"
down_revision = "0009_portal"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parent_how", sa.String(16), nullable=True))
        batch_op.add_column(sa.Column("parent_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "parent_codes",
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column(
            "response_id",
            sa.String(32),
            sa.ForeignKey(
                "responses.id",
                ondelete="CASCADE",
                name="fk_parent_codes_response_id_responses",
            ),
            nullable=False,
        ),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("user_key", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("code_hash", name="pk_parent_codes"),
    )
    op.create_index("ix_parent_codes_response", "parent_codes", ["response_id"])
    op.create_table(
        "parent_code_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("who", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_parent_code_attempts"),
    )
    op.create_index("ix_parent_code_attempts_at", "parent_code_attempts", ["at"])


def downgrade() -> None:
    op.drop_index("ix_parent_code_attempts_at", table_name="parent_code_attempts")
    op.drop_table("parent_code_attempts")
    op.drop_index("ix_parent_codes_response", table_name="parent_codes")
    op.drop_table("parent_codes")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_column("updated_at")
        batch_op.drop_column("revision")
        batch_op.drop_column("parent_at")
        batch_op.drop_column("parent_how")
