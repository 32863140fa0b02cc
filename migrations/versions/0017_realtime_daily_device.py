"""Real-time ratings keep no device or phone identifier; today's raters per point get a table of their own

Issue 24, finding 8: the 400-day device cookie was stored (as a keyed hash) on every rating, linking all
ratings from one phone; so was the verified phone's hash at SMS points. The one-rating-a-day rule now keeps a
daily-keyed mark per device (or phone) and point in realtime_seen_devices, deleted when the day is over. The
ratings stay; their device_hash and phone_hash columns go.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('realtime_seen_devices',
    sa.Column('service_point_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('mark', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['service_point_id'], ['service_points.id'], name=op.f('fk_realtime_seen_devices_service_point_id_service_points')),
    sa.PrimaryKeyConstraint('service_point_id', 'day', 'mark', name=op.f('pk_realtime_seen_devices'))
    )
    with op.batch_alter_table('realtime_seen_devices', schema=None) as batch_op:
        batch_op.create_index('ix_realtime_seen_devices_day', ['day'], unique=False)
    # Plain DROP COLUMN (SQLite 3.35+ too): the columns have no index or constraint, the rows stay as they are.
    op.drop_column('realtime_ratings', 'device_hash')
    op.drop_column('realtime_ratings', 'phone_hash')


def downgrade():
    # The hashes are gone for good: the old ratings come back with empty ones, as blanked ones had.
    with op.batch_alter_table('realtime_ratings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('device_hash', sa.String(length=32), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('phone_hash', sa.String(length=64), nullable=True))
    with op.batch_alter_table('realtime_ratings', schema=None) as batch_op:
        batch_op.alter_column('device_hash', server_default=None)
    with op.batch_alter_table('realtime_seen_devices', schema=None) as batch_op:
        batch_op.drop_index('ix_realtime_seen_devices_day')
    op.drop_table('realtime_seen_devices')
