"""The forum organisers' staff role (issue 16): ``users.role`` may be ``forum``

Only the check constraint of the role column changes; no row does. The downgrade refuses while a forum account
exists (it would lose the account's role), so that nothing is lost silently.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 22:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

BEFORE = ('admin', 'designer', 'operator', 'hr', 'liaison', 'complaints', 'auditor')
AFTER = ('admin', 'designer', 'operator', 'hr', 'liaison', 'complaints', 'auditor', 'forum')


def _role(values):
    return sa.Enum(*values, name='user_role', native_enum=False, create_constraint=True, length=16)


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('role', existing_type=_role(BEFORE), type_=_role(AFTER), existing_nullable=False)


def downgrade():
    forum_accounts = op.get_bind().scalar(sa.text("SELECT count(*) FROM users WHERE role = 'forum'"))
    if forum_accounts:
        raise RuntimeError(f"{forum_accounts} forum organiser account(s) exist: give them another role first")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('role', existing_type=_role(AFTER), type_=_role(BEFORE), existing_nullable=False)
