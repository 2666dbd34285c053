"""role presets and exposure penalty: who may meet whom by name, suggestions shared out

Events that saved their own role matrix keep it as the "custom" preset; the others get
"everyone", the new default (anyone may meet anyone).

Revision ID: 74cebcfc715e
Revises: 320361e37343
Create Date: 2026-12-01 09:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '74cebcfc715e'
down_revision = '320361e37343'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('exposure_penalty', sa.Float(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('role_preset', sa.String(length=20), server_default='everyone', nullable=False))

    # A stored matrix may be SQL NULL or JSON null; reading it back in Python tells both apart
    # from a real matrix the same way on SQLite and PostgreSQL.
    event = sa.table('event', sa.column('id', sa.Integer()), sa.column('role_rules', sa.JSON()),
                     sa.column('role_preset', sa.String(20)))
    connection = op.get_bind()
    custom = [row.id for row in connection.execute(sa.select(event.c.id, event.c.role_rules))
              if row.role_rules]
    for start in range(0, len(custom), 1000):
        connection.execute(
            event.update().where(event.c.id.in_(custom[start:start + 1000])).values(role_preset='custom')
        )


def downgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('role_preset')
        batch_op.drop_column('exposure_penalty')
