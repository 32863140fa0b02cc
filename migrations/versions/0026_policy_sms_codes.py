"""One-time SMS codes for starting a policy application online with a USCC (issue 18): a new table only.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 01:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'policy_sms_codes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('profile_id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['profile_id'], ['enterprise_profiles.id'], name=op.f('fk_policy_sms_codes_profile_id_enterprise_profiles'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_sms_codes')),
    )
    with op.batch_alter_table('policy_sms_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_sms_codes_profile_id'), ['profile_id'], unique=False)


def downgrade():
    with op.batch_alter_table('policy_sms_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_sms_codes_profile_id'))
    op.drop_table('policy_sms_codes')
