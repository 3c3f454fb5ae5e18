"""job leases and fair scheduling: who runs a job, until when, and when each job started and finished

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("owner", sa.String(128), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("started_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_jobs_state_created", "jobs", ["state", "created_at"])
    op.create_index("ix_jobs_tenant_started", "jobs", ["tenant_id", "started_at"])


def downgrade() -> None:
    op.drop_index("ix_jobs_tenant_started", table_name="jobs")
    op.drop_index("ix_jobs_state_created", table_name="jobs")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("finished_at")
        batch.drop_column("started_at")
        batch.drop_column("lease_until")
        batch.drop_column("owner")
