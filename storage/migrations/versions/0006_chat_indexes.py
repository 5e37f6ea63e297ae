"""chat indexes: who stands in for whom (person.substitute_id) is read on every `/frister`
question of a substitute and on every home view

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("person") as batch:
        batch.create_index(
            "ix_person_substitute_id",
            ["substitute_id"],
            unique=False,
            sqlite_where=sa.text("substitute_id IS NOT NULL"),
            postgresql_where=sa.text("substitute_id IS NOT NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("person") as batch:
        batch.drop_index("ix_person_substitute_id")
