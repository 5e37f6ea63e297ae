"""addresses: where Teams reaches a person or channel proactively (conversation, service URL);
channel and conversation columns wide enough for Teams ids (19:…@thread.tacv2, a:…)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# (table, column, Slack-era length, length for Teams ids)
WIDER = (
    ("enhet", "escalation_channel", 40, 200),
    ("enhet_channel", "channel_id", 40, 200),
    ("notification", "recipient", 60, 240),
    ("notification", "channel", 40, 400),
)


def _resize(grow: bool) -> None:
    for table, column, old, new in WIDER:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                column,
                existing_type=sqlmodel.sql.sqltypes.AutoString(length=old if grow else new),
                type_=sqlmodel.sql.sqltypes.AutoString(length=new if grow else old),
            )


def upgrade() -> None:
    _resize(grow=True)
    op.create_table(
        "chat_address",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("conversation_id", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
        sa.Column("service_url", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
        sa.Column("tenant_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "key", name="uq_chat_address"),
    )


def downgrade() -> None:
    op.drop_table("chat_address")
    _resize(grow=False)
