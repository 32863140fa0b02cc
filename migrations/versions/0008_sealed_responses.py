"""sealed responses: submissions wait to be released in shuffled batches

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sealed_responses',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_sealed_responses_campaign_id_campaigns')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sealed_responses'))
    )
    with op.batch_alter_table('sealed_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sealed_responses_campaign_id'), ['campaign_id'], unique=False)


def downgrade():
    with op.batch_alter_table('sealed_responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sealed_responses_campaign_id'))

    op.drop_table('sealed_responses')
