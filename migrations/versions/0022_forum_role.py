"""The forum organisers' staff role (issue 16): ``users.role`` may be ``forum``

Only the check constraint of the role column changes; no row does. The downgrade refuses while a forum account
exists (it would lose the account's role), so that nothing is lost silently.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 22:00:00

"""
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

BEFORE = ('admin', 'designer', 'operator', 'hr', 'liaison', 'complaints', 'auditor')
AFTER = ('admin', 'designer', 'operator', 'hr', 'liaison', 'complaints', 'auditor', 'forum')


def _role(values):
    return sa.Enum(*values, name='user_role', native_enum=False, create_constraint=True, length=16)



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
    with _rebuilding_users(), op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('role', existing_type=_role(BEFORE), type_=_role(AFTER), existing_nullable=False)


def downgrade():
    forum_accounts = op.get_bind().scalar(sa.text("SELECT count(*) FROM users WHERE role = 'forum'"))
    if forum_accounts:
        raise RuntimeError(f"{forum_accounts} forum organiser account(s) exist: give them another role first")
    with _rebuilding_users(), op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('role', existing_type=_role(AFTER), type_=_role(BEFORE), existing_nullable=False)
