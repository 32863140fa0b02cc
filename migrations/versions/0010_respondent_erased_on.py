"""respondents.erased_on: the day `flask retention purge` erased a departed member's personal data

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    # A nullable column: SQLite adds it with ALTER TABLE, without rebuilding the table.
    with op.batch_alter_table('respondents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_on', sa.Date(), nullable=True))


def downgrade():
    # Not batch mode: rebuilding the table on SQLite would lose the partial unique index on active phones.
    # (SQLite has ALTER TABLE … DROP COLUMN since 3.35.)
    op.drop_column('respondents', 'erased_on')
