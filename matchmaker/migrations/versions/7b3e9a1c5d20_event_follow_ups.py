"""event.follow_ups: what matching does with pairs who met at the organizer's earlier
events (suggest as usual, prefer, or leave out)

Revision ID: 7b3e9a1c5d20
Revises: 5e8c1d2b7a94
Create Date: 2026-11-29 11:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7b3e9a1c5d20'
down_revision = '5e8c1d2b7a94'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('follow_ups', sa.String(length=12), server_default='as_usual', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('follow_ups')
