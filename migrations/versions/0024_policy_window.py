"""The policy window, part 2 (issue 18): window staff and their window, consultations, applications as a kind of
case (``cases.kind`` may be ``policy``), payments, 免申即享 batches; ``users.role`` may be ``window``.

New tables, and two check constraints widened: no existing row changes. SQLite widens a check constraint by
rebuilding the table inside the migration's transaction, where foreign keys cannot be switched off, so dropping the
old ``users`` or ``cases`` would cascade to every table that deletes with it: those rows are read before and written
back after (parents first). PostgreSQL alters in place and loses nothing. The downgrade refuses while a window
account or a policy application exists (they would lose their role or their case).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 00:48:00.825724

"""
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

ROLES_BEFORE = ('admin', 'designer', 'operator', 'hr', 'liaison', 'complaints', 'auditor', 'forum', 'policy')
ROLES_AFTER = ROLES_BEFORE + ('window',)
KINDS_BEFORE = ('complaint', 'forum')
KINDS_AFTER = KINDS_BEFORE + ('policy',)

# What is deleted with a row of the rebuilt table, parents before children (the order they are written back in).
CASCADING = {
    'users': ('user_known_devices', 'user_recovery_codes'),
    'cases': ('complaints', 'complaint_departments', 'forum_problems', 'case_assignments', 'case_events',
              'case_attachments', 'callback_frame_members', 'callback_calls'),
}


def _enum(values, name, length):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=length)


@contextmanager
def _rebuilding(table_name):
    """On SQLite, keep a copy of every row that cascades from ``table_name`` and write it back, byte for byte."""
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        yield
        return
    children = CASCADING[table_name]
    for name in children:
        bind.exec_driver_sql(f'CREATE TEMP TABLE saved_{name} AS SELECT * FROM {name}')
    yield
    for name in reversed(children):
        bind.exec_driver_sql(f'DELETE FROM {name}')
    for name in children:
        bind.exec_driver_sql(f'INSERT INTO {name} SELECT * FROM saved_{name}')
        bind.exec_driver_sql(f'DROP TABLE saved_{name}')


def _widen(before_roles, after_roles, before_kinds, after_kinds):
    with _rebuilding('users'), op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('role', existing_type=_enum(before_roles, 'user_role', 16),
                              type_=_enum(after_roles, 'user_role', 16), existing_nullable=False)
    with _rebuilding('cases'), op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.alter_column('kind', existing_type=_enum(before_kinds, 'case_kind', 12),
                              type_=_enum(after_kinds, 'case_kind', 12), existing_nullable=False)


def upgrade():
    _widen(ROLES_BEFORE, ROLES_AFTER, KINDS_BEFORE, KINDS_AFTER)
    op.create_table('policy_window_posts',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('window_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_policy_window_posts_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['window_id'], ['policy_windows.id'], name=op.f('fk_policy_window_posts_window_id_policy_windows')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_policy_window_posts'))
    )
    with op.batch_alter_table('policy_window_posts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_window_posts_window_id'), ['window_id'], unique=False)

    op.create_table('policy_automatic_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_version_id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('window_id', sa.Integer(), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_policy_automatic_batches_created_by_id_users')),
    sa.ForeignKeyConstraint(['item_version_id'], ['policy_item_versions.id'], name=op.f('fk_policy_automatic_batches_item_version_id_policy_item_versions')),
    sa.ForeignKeyConstraint(['run_id'], ['policy_match_runs.id'], name=op.f('fk_policy_automatic_batches_run_id_policy_match_runs')),
    sa.ForeignKeyConstraint(['window_id'], ['policy_windows.id'], name=op.f('fk_policy_automatic_batches_window_id_policy_windows')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_automatic_batches'))
    )
    with op.batch_alter_table('policy_automatic_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_automatic_batches_item_version_id'), ['item_version_id'], unique=False)

    op.create_table('policy_cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_version_id', sa.Integer(), nullable=False),
    sa.Column('profile_id', sa.Integer(), nullable=False),
    sa.Column('window_id', sa.Integer(), nullable=False),
    sa.Column('origin', sa.Enum('window', 'online', 'automatic', name='policy_case_origin', native_enum=False, create_constraint=True, length=10), nullable=False),
    sa.Column('stage', sa.Enum('draft', 'consent', 'intake', 'supplement', 'handling', 'review', 'approved', 'paid', 'delivered', 'rejected', 'declined', 'withdrawn', name='policy_case_stage', native_enum=False, create_constraint=True, length=12), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('declared', sa.JSON(), nullable=False),
    sa.Column('eligibility', sa.String(length=12), nullable=False),
    sa.Column('trace', sa.JSON(), nullable=False),
    sa.Column('materials', sa.JSON(), nullable=False),
    sa.Column('supplement_requests', sa.Integer(), nullable=False),
    sa.Column('supplement_list', sa.JSON(), nullable=False),
    sa.Column('visits', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('phone', sa.String(length=255), nullable=False),
    sa.Column('phone_masked', sa.String(length=20), nullable=False),
    sa.Column('decision', sa.Enum('approved', 'partly', 'rejected', 'rework', name='policy_case_decision', native_enum=False, create_constraint=True, length=10), nullable=True),
    sa.Column('approved_amount', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('amount_reason', sa.Text(), nullable=False),
    sa.Column('failed_rule', sa.Integer(), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('consent', sa.Enum('accepted', 'declined', 'correction', name='policy_case_consent', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('consent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivery_note', sa.Text(), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('receipt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('receipt', sa.Enum('link', 'phone', name='policy_case_receipt', native_enum=False, create_constraint=True, length=8), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['policy_automatic_batches.id'], name=op.f('fk_policy_cases_batch_id_policy_automatic_batches')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_policy_cases_decided_by_id_users')),
    sa.ForeignKeyConstraint(['id'], ['cases.id'], name=op.f('fk_policy_cases_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_version_id'], ['policy_item_versions.id'], name=op.f('fk_policy_cases_item_version_id_policy_item_versions')),
    sa.ForeignKeyConstraint(['profile_id'], ['enterprise_profiles.id'], name=op.f('fk_policy_cases_profile_id_enterprise_profiles')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_policy_cases_reviewed_by_id_users')),
    sa.ForeignKeyConstraint(['window_id'], ['policy_windows.id'], name=op.f('fk_policy_cases_window_id_policy_windows')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_cases')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_policy_cases_token_hash'))
    )
    with op.batch_alter_table('policy_cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_cases_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_policy_cases_item_version_id'), ['item_version_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_policy_cases_profile_id'), ['profile_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_policy_cases_stage'), ['stage'], unique=False)
        batch_op.create_index(batch_op.f('ix_policy_cases_window_id'), ['window_id'], unique=False)

    op.create_table('policy_consultations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('window_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.Enum('window', 'phone', 'online', name='policy_consultation_channel', native_enum=False, create_constraint=True, length=8), nullable=False),
    sa.Column('profile_id', sa.Integer(), nullable=True),
    sa.Column('enterprise_name', sa.String(length=200), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('phone', sa.String(length=255), nullable=False),
    sa.Column('phone_masked', sa.String(length=20), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_policy_consultations_answered_by_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['policy_cases.id'], name=op.f('fk_policy_consultations_case_id_policy_cases')),
    sa.ForeignKeyConstraint(['item_id'], ['policy_items.id'], name=op.f('fk_policy_consultations_item_id_policy_items')),
    sa.ForeignKeyConstraint(['profile_id'], ['enterprise_profiles.id'], name=op.f('fk_policy_consultations_profile_id_enterprise_profiles')),
    sa.ForeignKeyConstraint(['window_id'], ['policy_windows.id'], name=op.f('fk_policy_consultations_window_id_policy_windows')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_consultations')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_policy_consultations_token_hash'))
    )
    with op.batch_alter_table('policy_consultations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_consultations_asked_at'), ['asked_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_policy_consultations_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_policy_consultations_profile_id'), ['profile_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_policy_consultations_window_id'), ['window_id'], unique=False)

    op.create_table('policy_payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('voucher', sa.String(length=100), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('over_budget_reason', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['policy_cases.id'], name=op.f('fk_policy_payments_case_id_policy_cases')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_policy_payments_department_id_departments')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_policy_payments_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_payments'))
    )
    with op.batch_alter_table('policy_payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_payments_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_policy_payments_paid_on'), ['paid_on'], unique=False)



def downgrade():
    bind = op.get_bind()
    staff = bind.scalar(sa.text("SELECT count(*) FROM users WHERE role = 'window'"))
    cases = bind.scalar(sa.text("SELECT count(*) FROM cases WHERE kind = 'policy'"))
    if staff or cases:
        raise RuntimeError(f"{staff} window staff account(s) and {cases} policy application(s) exist: "
                           "they would be lost")
    with op.batch_alter_table('policy_payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_payments_paid_on'))
        batch_op.drop_index(batch_op.f('ix_policy_payments_case_id'))

    op.drop_table('policy_payments')
    with op.batch_alter_table('policy_consultations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_consultations_window_id'))
        batch_op.drop_index(batch_op.f('ix_policy_consultations_profile_id'))
        batch_op.drop_index(batch_op.f('ix_policy_consultations_item_id'))
        batch_op.drop_index(batch_op.f('ix_policy_consultations_asked_at'))

    op.drop_table('policy_consultations')
    with op.batch_alter_table('policy_cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_cases_window_id'))
        batch_op.drop_index(batch_op.f('ix_policy_cases_stage'))
        batch_op.drop_index(batch_op.f('ix_policy_cases_profile_id'))
        batch_op.drop_index(batch_op.f('ix_policy_cases_item_version_id'))
        batch_op.drop_index(batch_op.f('ix_policy_cases_batch_id'))

    op.drop_table('policy_cases')
    with op.batch_alter_table('policy_automatic_batches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_automatic_batches_item_version_id'))

    op.drop_table('policy_automatic_batches')
    with op.batch_alter_table('policy_window_posts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_window_posts_window_id'))

    op.drop_table('policy_window_posts')
    _widen(ROLES_AFTER, ROLES_BEFORE, KINDS_AFTER, KINDS_BEFORE)
