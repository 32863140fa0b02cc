"""The policy catalogue (issue 17): policies, items and their versions, windows, enterprise profiles, match runs and
their results, pushes and their notices, investment promises; and the policy officer's role (``users.role`` may be
``policy``).

Only new tables, and the check constraint of the role column: no existing row changes. The downgrade refuses while
a policy officer's account exists (it would lose its role), so that nothing is lost silently.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 00:26:38.702540

"""
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

BEFORE = ('admin', 'designer', 'operator', 'hr', 'liaison', 'complaints', 'auditor', 'forum')
AFTER = BEFORE + ('policy',)


def _role(values):
    return sa.Enum(*values, name='user_role', native_enum=False, create_constraint=True, length=16)


# SQLite changes ``users`` by rebuilding it inside the migration's transaction, where foreign keys cannot be
# switched off: dropping the old table would cascade to the tables that delete with their account. Their rows are
# read before and written back after (as 0022 does). PostgreSQL alters in place and loses nothing.
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
    op.create_table('policies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('issuer', sa.String(length=200), nullable=False),
    sa.Column('level', sa.Enum('national', 'provincial', 'city', 'county', name='policy_level', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('doc_number', sa.String(length=100), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('source_url', sa.String(length=500), nullable=False),
    sa.Column('full_text', sa.Text(), nullable=False),
    sa.Column('attachment_name', sa.String(length=255), nullable=False),
    sa.Column('attachment_type', sa.String(length=100), nullable=False),
    sa.Column('attachment', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policies'))
    )
    op.create_table('policy_windows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('district', sa.String(length=50), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('hours', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=30), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_windows')),
    sa.UniqueConstraint('name', name=op.f('uq_policy_windows_name'))
    )
    op.create_table('policy_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('policy_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('status', sa.Enum('draft', 'published', 'expired', 'repealed', name='policy_item_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('current_version_id', sa.Integer(), nullable=True),
    sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['current_version_id'], ['policy_item_versions.id'], name='fk_policy_items_current_version', use_alter=True),
    sa.ForeignKeyConstraint(['policy_id'], ['policies.id'], name=op.f('fk_policy_items_policy_id_policies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_items')),
    sa.UniqueConstraint('code', name=op.f('uq_policy_items_code'))
    )
    with op.batch_alter_table('policy_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_items_policy_id'), ['policy_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_policy_items_status'), ['status'], unique=False)

    op.create_table('policy_item_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('grant', 'tax', 'qualification', 'factor', 'other', name='policy_item_kind', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('benefit_kind', sa.String(length=8), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('rate', sa.Numeric(precision=7, scale=3), nullable=True),
    sa.Column('rate_base', sa.String(length=32), nullable=False),
    sa.Column('cap', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('benefit_text', sa.String(length=500), nullable=False),
    sa.Column('budget', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('mode', sa.Enum('automatic', 'instant', 'review', name='policy_delivery_mode', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('materials', sa.JSON(), nullable=False),
    sa.Column('promised_days', sa.Integer(), nullable=False),
    sa.Column('rules', sa.JSON(), nullable=False),
    sa.Column('reviews', sa.JSON(), nullable=False),
    sa.Column('sizes', sa.JSON(), nullable=False),
    sa.Column('industries', sa.JSON(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_policy_item_versions_created_by_id_users')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_policy_item_versions_department_id_departments')),
    sa.ForeignKeyConstraint(['item_id'], ['policy_items.id'], name=op.f('fk_policy_item_versions_item_id_policy_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_item_versions')),
    sa.UniqueConstraint('item_id', 'number', name=op.f('uq_policy_item_versions_item_id'))
    )
    with op.batch_alter_table('policy_item_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_item_versions_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_policy_item_versions_item_id'), ['item_id'], unique=False)
    if op.get_bind().dialect.name != 'sqlite':
        # The item's current version: a cycle between the two tables, so created once both exist (SQLite takes it
        # inside CREATE TABLE, where a reference may point forward).
        op.create_foreign_key('fk_policy_items_current_version', 'policy_items', 'policy_item_versions',
                              ['current_version_id'], ['id'])

    op.create_table('policy_match_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_version_id', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('profiles', sa.Integer(), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('by_district', sa.JSON(), nullable=False),
    sa.Column('run_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_version_id'], ['policy_item_versions.id'], name=op.f('fk_policy_match_runs_item_version_id_policy_item_versions')),
    sa.ForeignKeyConstraint(['run_by_id'], ['users.id'], name=op.f('fk_policy_match_runs_run_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_match_runs'))
    )
    with op.batch_alter_table('policy_match_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_match_runs_item_version_id'), ['item_version_id'], unique=False)

    op.create_table('policy_pushes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_version_id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('criteria', sa.JSON(), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('sent_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_version_id'], ['policy_item_versions.id'], name=op.f('fk_policy_pushes_item_version_id_policy_item_versions')),
    sa.ForeignKeyConstraint(['run_id'], ['policy_match_runs.id'], name=op.f('fk_policy_pushes_run_id_policy_match_runs')),
    sa.ForeignKeyConstraint(['sent_by_id'], ['users.id'], name=op.f('fk_policy_pushes_sent_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_pushes'))
    )
    with op.batch_alter_table('policy_pushes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_pushes_item_version_id'), ['item_version_id'], unique=False)

    op.create_table('enterprise_profiles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('respondent_id', sa.Integer(), nullable=True),
    sa.Column('industry', sa.String(length=8), nullable=False),
    sa.Column('size', sa.String(length=4), nullable=False),
    sa.Column('district', sa.String(length=50), nullable=False),
    sa.Column('registered_on', sa.Date(), nullable=True),
    sa.Column('revenue', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('employees', sa.Integer(), nullable=True),
    sa.Column('tax_paid', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('rd_ratio', sa.Numeric(precision=6, scale=2), nullable=True),
    sa.Column('qualifications', sa.JSON(), nullable=False),
    sa.Column('field_updated', sa.JSON(), nullable=False),
    sa.Column('contact_name', sa.String(length=50), nullable=False),
    sa.Column('contact_phone', sa.String(length=255), nullable=False),
    sa.Column('contact_phone_hash', sa.String(length=64), nullable=False),
    sa.Column('contact_phone_masked', sa.String(length=20), nullable=False),
    sa.Column('push_opted_out_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['respondent_id'], ['respondents.id'], name=op.f('fk_enterprise_profiles_respondent_id_respondents'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enterprise_profiles')),
    sa.UniqueConstraint('respondent_id', name=op.f('uq_enterprise_profiles_respondent_id')),
    sa.UniqueConstraint('uscc', name=op.f('uq_enterprise_profiles_uscc'))
    )
    with op.batch_alter_table('enterprise_profiles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enterprise_profiles_contact_phone_hash'), ['contact_phone_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_enterprise_profiles_district'), ['district'], unique=False)

    op.create_table('investment_promises',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('profile_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('promised', 'delivered', 'cancelled', name='investment_promise_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('delivered_on', sa.Date(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_investment_promises_created_by_id_users')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_investment_promises_department_id_departments')),
    sa.ForeignKeyConstraint(['profile_id'], ['enterprise_profiles.id'], name=op.f('fk_investment_promises_profile_id_enterprise_profiles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_investment_promises'))
    )
    with op.batch_alter_table('investment_promises', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_investment_promises_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_investment_promises_due_on'), ['due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_investment_promises_profile_id'), ['profile_id'], unique=False)

    op.create_table('policy_match_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('profile_id', sa.Integer(), nullable=False),
    sa.Column('result', sa.String(length=12), nullable=False),
    sa.Column('trace', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['profile_id'], ['enterprise_profiles.id'], name=op.f('fk_policy_match_results_profile_id_enterprise_profiles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['policy_match_runs.id'], name=op.f('fk_policy_match_results_run_id_policy_match_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_match_results')),
    sa.UniqueConstraint('run_id', 'profile_id', name=op.f('uq_policy_match_results_run_id'))
    )
    with op.batch_alter_table('policy_match_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_match_results_profile_id'), ['profile_id'], unique=False)
        batch_op.create_index('ix_policy_match_results_run_result', ['run_id', 'result'], unique=False)

    op.create_table('policy_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('push_id', sa.Integer(), nullable=False),
    sa.Column('item_version_id', sa.Integer(), nullable=False),
    sa.Column('profile_id', sa.Integer(), nullable=False),
    sa.Column('match_result_id', sa.Integer(), nullable=False),
    sa.Column('result', sa.String(length=12), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['item_version_id'], ['policy_item_versions.id'], name=op.f('fk_policy_notices_item_version_id_policy_item_versions')),
    sa.ForeignKeyConstraint(['match_result_id'], ['policy_match_results.id'], name=op.f('fk_policy_notices_match_result_id_policy_match_results')),
    sa.ForeignKeyConstraint(['profile_id'], ['enterprise_profiles.id'], name=op.f('fk_policy_notices_profile_id_enterprise_profiles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['push_id'], ['policy_pushes.id'], name=op.f('fk_policy_notices_push_id_policy_pushes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_notices')),
    sa.UniqueConstraint('item_version_id', 'profile_id', name=op.f('uq_policy_notices_item_version_id')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_policy_notices_token_hash'))
    )
    with op.batch_alter_table('policy_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_notices_profile_id'), ['profile_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_policy_notices_push_id'), ['push_id'], unique=False)



def downgrade():
    officers = op.get_bind().scalar(sa.text("SELECT count(*) FROM users WHERE role = 'policy'"))
    if officers:
        raise RuntimeError(f"{officers} policy officer account(s) exist: give them another role first")
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint('fk_policy_items_current_version', 'policy_items', type_='foreignkey')
    with op.batch_alter_table('policy_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_notices_push_id'))
        batch_op.drop_index(batch_op.f('ix_policy_notices_profile_id'))

    op.drop_table('policy_notices')
    with op.batch_alter_table('policy_match_results', schema=None) as batch_op:
        batch_op.drop_index('ix_policy_match_results_run_result')
        batch_op.drop_index(batch_op.f('ix_policy_match_results_profile_id'))

    op.drop_table('policy_match_results')
    with op.batch_alter_table('investment_promises', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_investment_promises_profile_id'))
        batch_op.drop_index(batch_op.f('ix_investment_promises_due_on'))
        batch_op.drop_index(batch_op.f('ix_investment_promises_department_id'))

    op.drop_table('investment_promises')
    with op.batch_alter_table('enterprise_profiles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enterprise_profiles_district'))
        batch_op.drop_index(batch_op.f('ix_enterprise_profiles_contact_phone_hash'))

    op.drop_table('enterprise_profiles')
    with op.batch_alter_table('policy_pushes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_pushes_item_version_id'))

    op.drop_table('policy_pushes')
    with op.batch_alter_table('policy_match_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_match_runs_item_version_id'))

    op.drop_table('policy_match_runs')
    with op.batch_alter_table('policy_item_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_item_versions_item_id'))
        batch_op.drop_index(batch_op.f('ix_policy_item_versions_department_id'))

    op.drop_table('policy_item_versions')
    with op.batch_alter_table('policy_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_items_status'))
        batch_op.drop_index(batch_op.f('ix_policy_items_policy_id'))

    op.drop_table('policy_items')
    op.drop_table('policy_windows')
    op.drop_table('policies')
    with _rebuilding_users(), op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('role', existing_type=_role(AFTER), type_=_role(BEFORE), existing_nullable=False)
