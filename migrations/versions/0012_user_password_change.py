"""users.must_change_password and users.password_changed_at: a password somebody else chose must be changed

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    # Existing accounts chose their passwords before the rule: they are not sent to the password page.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('password_changed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    # Plain DROP COLUMN (SQLite 3.35+ too): a batch copy of the table would lose its CHECK constraints there.
    op.drop_column('users', 'password_changed_at')
    op.drop_column('users', 'must_change_password')
