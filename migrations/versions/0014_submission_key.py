"""invitation_submissions.submission_key: the one-page survey's own id of a submission

A submission retried after a lost response carries the same key and is answered with the thanks page; a
different second submission on the same invitation is refused. The key is made by the respondent's browser
and stored on the invitation side only (never with the response).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('invitation_submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submission_key', sa.String(length=32), nullable=True))


def downgrade():
    # Plain DROP COLUMN (SQLite 3.35+ too): a batch copy would be needless for one nullable column.
    op.drop_column('invitation_submissions', 'submission_key')
