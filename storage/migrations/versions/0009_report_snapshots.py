"""report snapshots: an enhet's egenkontroll figures for a month, frozen once the month has
ended, so that a month's report gives the same figures whenever it is rerun

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_snapshot",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("enhet_id", sa.Integer(), sa.ForeignKey("enhet.id"), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("figures", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("enhet_id", "month", name="uq_report_snapshot"),
    )


def downgrade() -> None:
    op.drop_table("report_snapshot")
