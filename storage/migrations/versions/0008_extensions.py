"""extensions: every decided extension of a deadline, so that the case history shows each one
(the frist row keeps only the latest); existing extensions are copied over

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "forlangning",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("frist_id", sa.Integer(), sa.ForeignKey("frist.id"), nullable=False),
        sa.Column("from_day", sa.Date(), nullable=False),
        sa.Column("to_day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("decided_by", sa.String(length=40), nullable=True),
        sa.Column("level", sa.String(length=30), nullable=True),
        sa.Column("at", storage.types.UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_forlangning_frist_id", "forlangning", ["frist_id"])
    op.execute(
        "INSERT INTO forlangning (frist_id, from_day, to_day, reason, decided_by, level, at) "
        "SELECT id, last_day, extended_to, COALESCE(extension_reason, ''), "
        "extension_decided_by, extension_level, updated_at FROM frist "
        "WHERE extended_to IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_index("ix_forlangning_frist_id", table_name="forlangning")
    op.drop_table("forlangning")
