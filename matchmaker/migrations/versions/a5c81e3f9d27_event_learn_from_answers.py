"""event.learn_from_answers and event.learned_weights: weights learnt from answers

Revision ID: a5c81e3f9d27
Revises: 7b3e9a1c5d20
Create Date: 2026-11-29 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a5c81e3f9d27'
down_revision = '7b3e9a1c5d20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('learn_from_answers', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('learned_weights', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('learned_weights')
        batch_op.drop_column('learn_from_answers')
