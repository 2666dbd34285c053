"""outbox_message.follow_up_of_id: a follow-up reminder email an attendee asked for, due
weeks later, tied to the person it is about

Revision ID: 5e8c1d2b7a94
Revises: 3df239fb50b6
Create Date: 2026-11-29 11:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e8c1d2b7a94'
down_revision = '3df239fb50b6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('follow_up_of_id', sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f('ix_outbox_message_follow_up_of_id'), ['follow_up_of_id'], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_outbox_message_follow_up_of_id_attendee'),
            'attendee',
            ['follow_up_of_id'],
            ['id'],
            ondelete='CASCADE',
        )


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_outbox_message_follow_up_of_id_attendee'), type_='foreignkey'
        )
        batch_op.drop_index(batch_op.f('ix_outbox_message_follow_up_of_id'))
        batch_op.drop_column('follow_up_of_id')
