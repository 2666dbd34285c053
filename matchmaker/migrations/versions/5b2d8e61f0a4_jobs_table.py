"""jobs: the matching_run table becomes job, with the job's params and start time

Revision ID: 5b2d8e61f0a4
Revises: c078dc1b68d1
Create Date: 2026-11-29 07:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b2d8e61f0a4'
down_revision = 'c078dc1b68d1'
branch_labels = None
depends_on = None

COMMON = "id, event_id, kind, status, progress, message, figures, created_at, finished_at"


def _reset_id_sequence(table):
    """PostgreSQL: rows copied with their ids leave the new table's sequence at 1."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        )


def upgrade():
    op.create_table('job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('progress', sa.Double(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_job_event_id_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job'))
    )
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_event_id'), ['event_id'], unique=False)
    op.execute(f"INSERT INTO job ({COMMON}, params) SELECT {COMMON}, '{{}}' FROM matching_run")
    _reset_id_sequence('job')
    with op.batch_alter_table('matching_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_matching_run_event_id'))
    op.drop_table('matching_run')


def downgrade():
    op.create_table('matching_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('progress', sa.Double(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('kind', sa.String(length=12), server_default='matching', nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_matching_run_event_id_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_matching_run'))
    )
    with op.batch_alter_table('matching_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_matching_run_event_id'), ['event_id'], unique=False)
    op.execute(f"INSERT INTO matching_run ({COMMON}) SELECT {COMMON} FROM job")
    _reset_id_sequence('matching_run')
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_event_id'))
    op.drop_table('job')
