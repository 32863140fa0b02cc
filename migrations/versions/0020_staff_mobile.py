"""users.mobile, users.mobile_masked: a liaison's mobile number (sealed) for the SMS reminders of the casework engine

Issue 16: reminders (督办) reach the department's liaisons by SMS. Existing accounts have no number (empty).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 21:42:41.084740

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mobile', sa.String(length=255), server_default='', nullable=False))
        batch_op.add_column(sa.Column('mobile_masked', sa.String(length=20), server_default='', nullable=False))



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('mobile_masked')
        batch_op.drop_column('mobile')

