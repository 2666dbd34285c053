"""organizer session token and sign-in throttle: sign-out ends every cookie, wrong passwords lock

Existing organizers get a random session token each; cookies issued before this revision
named the organizer's id and stop working, so everyone signs in once more.

Revision ID: c078dc1b68d1
Revises: 74cebcfc715e
Create Date: 2026-11-29 08:00:00.000000

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c078dc1b68d1'
down_revision = '74cebcfc715e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'sign_in_throttle',
        sa.Column('email_digest', sa.String(length=64), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('window_started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('email_digest', name=op.f('pk_sign_in_throttle')),
    )
    with op.batch_alter_table('sign_in_throttle', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_sign_in_throttle_window_started_at'), ['window_started_at'], unique=False
        )

    with op.batch_alter_table('organizer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_token', sa.String(length=64), nullable=True))

    organizer = sa.table('organizer', sa.column('id', sa.Integer()),
                         sa.column('session_token', sa.String(64)))
    connection = op.get_bind()
    for (organizer_id,) in connection.execute(sa.select(organizer.c.id)).all():
        connection.execute(
            organizer.update().where(organizer.c.id == organizer_id)
            .values(session_token=secrets.token_urlsafe(32))
        )

    with op.batch_alter_table('organizer', schema=None) as batch_op:
        batch_op.alter_column('session_token', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(
            batch_op.f('uq_organizer_session_token'), ['session_token']
        )


def downgrade():
    with op.batch_alter_table('organizer', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_organizer_session_token'), type_='unique')
        batch_op.drop_column('session_token')

    with op.batch_alter_table('sign_in_throttle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_throttle_window_started_at'))

    op.drop_table('sign_in_throttle')
