"""users.mobile, users.mobile_masked: a liaison's mobile number (sealed) for the SMS reminders of the casework engine

Issue 16: reminders (督办) reach the department's liaisons by SMS. Existing accounts have no number (empty).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 21:42:41.084740

"""
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None



# SQLite changes ``users`` by rebuilding it (copy, drop, rename) inside the migration's transaction, where foreign
# keys cannot be switched off: dropping the old table would cascade to the tables that delete with their account.
# Their rows are read before and written back after. PostgreSQL alters in place and loses nothing.
CASCADING_FROM_USERS = ("user_known_devices", "user_recovery_codes")


@contextmanager
def _rebuilding_users():
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        yield
        return
    meta = sa.MetaData()
    tables = [sa.Table(name, meta, autoload_with=bind) for name in CASCADING_FROM_USERS]
    saved = [(table, [dict(row) for row in bind.execute(sa.select(table)).mappings()]) for table in tables]
    yield
    for table, rows in saved:
        bind.execute(table.delete())
        if rows:
            bind.execute(table.insert(), rows)


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mobile', sa.String(length=255), server_default='', nullable=False))
        batch_op.add_column(sa.Column('mobile_masked', sa.String(length=20), server_default='', nullable=False))



def downgrade():
    with _rebuilding_users(), op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('mobile_masked')
        batch_op.drop_column('mobile')

