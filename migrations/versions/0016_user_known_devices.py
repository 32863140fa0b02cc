"""user_known_devices: browsers that completed a full login, which the login's back-off lets through

Only a SHA-256 digest of each device's random token is stored; a new table, nothing existing changes.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'user_known_devices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('fingerprint', sa.String(length=32), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_known_devices_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_user_known_devices')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_user_known_devices_token_hash')),
    )
    with op.batch_alter_table('user_known_devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_known_devices_user_id'), ['user_id'], unique=False)


def downgrade():
    op.drop_table('user_known_devices')
