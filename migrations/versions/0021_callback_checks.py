"""The call-back check (回访抽查): checks with their frozen frames, the calls, and the anonymous answers

Issue 16, point 6. New tables only; nothing existing changes. ``callback_answers`` has no column that leads to a
case, a call or a person, and no time: answers reach it from ``callback_sealed_answers`` in shuffled batches.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('callback_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('minimum', sa.Integer(), nullable=False),
    sa.Column('maximum', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('frozen', 'seeded', 'drawn', 'closed', name='callback_check_status', native_enum=False, create_constraint=True, length=12), nullable=False),
    sa.Column('stratum_sizes', sa.JSON(), nullable=False),
    sa.Column('allocation', sa.JSON(), nullable=False),
    sa.Column('without_phone', sa.JSON(), nullable=False),
    sa.Column('frame_size', sa.Integer(), nullable=False),
    sa.Column('commitment', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('seed', sa.String(length=200), nullable=True),
    sa.Column('seed_source', sa.String(length=16), nullable=True),
    sa.Column('seeded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('seeded_by_id', sa.Integer(), nullable=True),
    sa.Column('drawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('drawn_by_id', sa.Integer(), nullable=True),
    sa.Column('selected_count', sa.Integer(), nullable=False),
    sa.Column('selection_hash', sa.String(length=64), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('minimum >= 1 AND maximum >= minimum', name=op.f('ck_callback_checks_per_department_bounds')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_callback_checks_closed_by_id_users')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_callback_checks_created_by_id_users')),
    sa.ForeignKeyConstraint(['drawn_by_id'], ['users.id'], name=op.f('fk_callback_checks_drawn_by_id_users')),
    sa.ForeignKeyConstraint(['seeded_by_id'], ['users.id'], name=op.f('fk_callback_checks_seeded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callback_checks'))
    )
    with op.batch_alter_table('callback_checks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_callback_checks_status'), ['status'], unique=False)

    op.create_table('callback_answers',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('check_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('claimed_solved', sa.Boolean(), nullable=False),
    sa.Column('solved', sa.Enum('yes', 'partly', 'no', name='callback_solved', native_enum=False, create_constraint=True, length=8), nullable=False),
    sa.Column('satisfied', sa.Enum('satisfied', 'basically', 'not_satisfied', name='callback_satisfied', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('returns', sa.Integer(), nullable=False),
    sa.CheckConstraint('returns BETWEEN 0 AND 3', name=op.f('ck_callback_answers_returns_range')),
    sa.ForeignKeyConstraint(['check_id'], ['callback_checks.id'], name=op.f('fk_callback_answers_check_id_callback_checks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_callback_answers_department_id_departments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callback_answers'))
    )
    with op.batch_alter_table('callback_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_callback_answers_check_id'), ['check_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_callback_answers_department_id'), ['department_id'], unique=False)

    op.create_table('callback_calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('check_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('stratum', sa.String(length=60), nullable=False),
    sa.Column('claimed_solved', sa.Boolean(), nullable=False),
    sa.Column('inclusion_probability', sa.Float(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('send_failures', sa.Integer(), nullable=False),
    sa.Column('used', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_callback_calls_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['check_id'], ['callback_checks.id'], name=op.f('fk_callback_calls_check_id_callback_checks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_callback_calls_department_id_departments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callback_calls')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_callback_calls_token_hash'))
    )
    with op.batch_alter_table('callback_calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_callback_calls_check_id'), ['check_id'], unique=False)

    op.create_table('callback_frame_members',
    sa.Column('check_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=20), nullable=False),
    sa.Column('stratum', sa.String(length=60), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('claimed_solved', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_callback_frame_members_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['check_id'], ['callback_checks.id'], name=op.f('fk_callback_frame_members_check_id_callback_checks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_callback_frame_members_department_id_departments')),
    sa.PrimaryKeyConstraint('check_id', 'case_id', name=op.f('pk_callback_frame_members'))
    )
    op.create_table('callback_sealed_answers',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('check_id', sa.Integer(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['check_id'], ['callback_checks.id'], name=op.f('fk_callback_sealed_answers_check_id_callback_checks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callback_sealed_answers'))
    )
    with op.batch_alter_table('callback_sealed_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_callback_sealed_answers_check_id'), ['check_id'], unique=False)



def downgrade():
    with op.batch_alter_table('callback_sealed_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_callback_sealed_answers_check_id'))

    op.drop_table('callback_sealed_answers')
    op.drop_table('callback_frame_members')
    with op.batch_alter_table('callback_calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_callback_calls_check_id'))

    op.drop_table('callback_calls')
    with op.batch_alter_table('callback_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_callback_answers_department_id'))
        batch_op.drop_index(batch_op.f('ix_callback_answers_check_id'))

    op.drop_table('callback_answers')
    with op.batch_alter_table('callback_checks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_callback_checks_status'))

    op.drop_table('callback_checks')
