"""attendee registration status and confirmation link; event scheduling mode and reserve

Revision ID: 9c41a7e2d5b3
Revises: 5b2d8e61f0a4
Create Date: 2026-11-29 07:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9c41a7e2d5b3'
down_revision = '5b2d8e61f0a4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attendee', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=20), server_default='active', nullable=False))
        batch_op.add_column(sa.Column('confirm_token', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('confirm_sent_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_attendee_confirm_token'), ['confirm_token'])
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scheduling_mode', sa.String(length=20), server_default='people_choose', nullable=False))
        batch_op.add_column(sa.Column('auto_schedule_reserve', sa.Integer(), server_default='2', nullable=False))


def downgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('auto_schedule_reserve')
        batch_op.drop_column('scheduling_mode')
    with op.batch_alter_table('attendee', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_attendee_confirm_token'), type_='unique')
        batch_op.drop_column('confirm_sent_at')
        batch_op.drop_column('confirm_token')
        batch_op.drop_column('status')
