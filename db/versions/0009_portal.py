"""School portal: sign-in invites and sessions, each lead's status and note, the audit log.

Revision ID: 0009_portal
Revises: 0007_handoff
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_portal"
down_revision = "0007_handoff"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portal_invites",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("school_id", sa.String(64), nullable=True),
        sa.Column("label", sa.String(100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_portal_invites"),
        sa.UniqueConstraint("token_hash", name="uq_portal_invites_token_hash"),
    )
    op.create_table(
        "portal_sessions",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("invite_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("school_id", sa.String(64), nullable=True),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["invite_id"],
            ["portal_invites.id"],
            name="fk_portal_sessions_invite_id_portal_invites",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name="pk_portal_sessions"),
    )
    op.create_table(
        "lead_statuses",
        sa.Column("lead_id", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name="fk_lead_statuses_lead_id_leads", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("lead_id", name="pk_lead_statuses"),
    )
    op.create_index("ix_lead_statuses_status", "lead_statuses", ["status"])
    op.create_table(
        "portal_audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("school_id", sa.String(64), nullable=True),
        sa.Column("lead_id", sa.String(32), nullable=True),
        sa.Column("invite_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("old", sa.Text(), nullable=True),
        sa.Column("new", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name="fk_portal_audit_lead_id_leads", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_portal_audit"),
    )
    op.create_index("ix_portal_audit_lead", "portal_audit", ["lead_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_portal_audit_lead", table_name="portal_audit")
    op.drop_table("portal_audit")
    op.drop_index("ix_lead_statuses_status", table_name="lead_statuses")
    for table in ("lead_statuses", "portal_sessions", "portal_invites"):
        op.drop_table(table)
