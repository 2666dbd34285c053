"""job.attempts, and at most one queued or running job of a kind per event (a partial
unique index that every web and worker process shares)

Revision ID: d7a3f19c6e42
Revises: b41e7c9d2a60
Create Date: 2026-11-30 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd7a3f19c6e42'
down_revision = 'b41e7c9d2a60'
branch_labels = None
depends_on = None

ACTIVE = sa.text("status IN ('queued', 'running')")


def upgrade():
    # Older rows may hold two active jobs of a kind for an event (one left behind by a
    # restart): all but the newest stopped long ago, so they are failed as a page would.
    op.execute(
        """
        UPDATE job SET status = 'failed',
            message = 'The job stopped without finishing (the server may have restarted). Start it again.'
        WHERE status IN ('queued', 'running')
          AND id NOT IN (
              SELECT newest FROM (
                  SELECT MAX(id) AS newest FROM job
                  WHERE status IN ('queued', 'running')
                  GROUP BY event_id, kind
              ) AS active
          )
        """
    )
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_index('uq_job_event_kind_active', ['event_id', 'kind'], unique=True, sqlite_where=ACTIVE, postgresql_where=ACTIVE)


def downgrade():
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_index('uq_job_event_kind_active', sqlite_where=ACTIVE, postgresql_where=ACTIVE)
        batch_op.drop_column('attempts')
