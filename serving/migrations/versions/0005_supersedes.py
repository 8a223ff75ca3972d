"""A decision names the earlier decision on the same assessment that it supersedes (none for the first).

Nullable: the first decision on an assessment supersedes nothing; decisions logged before this revision
keep None (the export takes the latest by time, as before).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        batch.add_column(sa.Column("supersedes", sa.String(36), nullable=True))
        batch.create_foreign_key("fk_decisions_supersedes", "decisions", ["supersedes"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        batch.drop_constraint("fk_decisions_supersedes", type_="foreignkey")
        batch.drop_column("supersedes")
