"""Which schools receive leads (task directory): off until an operator switches a school on.

Schools that already have an API token, a webhook or a linked chat were configured by an
operator to receive leads, so they start switched on.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "school_participation",
        sa.Column("school_id", sa.String(64), primary_key=True),
        sa.Column("participates", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )
    for table, reason, extra in (
        ("school_webhooks", "webhook", ""),
        ("school_chats", "link", ""),
        ("api_tokens", "token", " AND kind = 'school' AND revoked_at IS NULL"),
    ):
        # table and reason are the constants above, never input
        query = (
            "INSERT INTO school_participation (school_id, participates, reason, changed_at) "  # noqa: S608
            f"SELECT DISTINCT school_id, TRUE, '{reason}', CURRENT_TIMESTAMP FROM {table} "
            f"WHERE school_id IS NOT NULL{extra} AND school_id NOT IN "
            "(SELECT school_id FROM school_participation)"
        )
        op.execute(query)


def downgrade() -> None:
    op.drop_table("school_participation")
