"""advice artifact

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("advice") as batch:
        batch.add_column(sa.Column("artifact", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("advice") as batch:
        batch.drop_column("artifact")
