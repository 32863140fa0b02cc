"""免申即享 batches keep the enterprises the officer took off the list, each with the reason (issue 18, item 5).

One column added, ``[]`` for the batches already there (none exist before this part ships). The downgrade drops
it in place (SQLite 3.35+ and PostgreSQL alter the table without rebuilding it, so no application row is touched).

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 01:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('policy_automatic_batches',
                  sa.Column('exclusions', sa.JSON(), server_default=sa.text("'[]'"), nullable=False))


def downgrade():
    op.execute('ALTER TABLE policy_automatic_batches DROP COLUMN exclusions')
