"""outbox_message.meeting_id indexed: deleting meetings (an event, an attendee) looks their
messages up by it

Revision ID: b41e7c9d2a60
Revises: 9c41a7e2d5b3
Create Date: 2026-11-29 08:20:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b41e7c9d2a60'
down_revision = '9c41a7e2d5b3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_message_meeting_id'), ['meeting_id'], unique=False)


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_message_meeting_id'))
