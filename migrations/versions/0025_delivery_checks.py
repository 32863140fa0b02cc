"""兑现回访 (issue 18, point 8): a call-back check gets a purpose, a call may carry the enterprise's request to be
contacted, and delivery checks' answers get their own anonymous table.

- ``callback_checks.purpose`` (``resolution`` | ``delivery``): every existing check is a ``resolution`` check;
- ``callback_calls.follow_up_requested`` (false for every existing call);
- ``callback_delivery_answers``: the check, the department and four answers — no case, call, person or time.

Both columns are added in place (``ALTER TABLE … ADD COLUMN``, on SQLite too): rebuilding ``callback_checks`` on
SQLite would cascade to its frames, calls and answers. The way back drops them in place again, and refuses while a
delivery check exists (it would turn into a resolution check of policy applications it never drew from).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 01:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    # The enum's check constraint inline, as SQLite can add a column with its constraint but no constraint alone.
    op.execute("ALTER TABLE callback_checks ADD COLUMN purpose VARCHAR(12) DEFAULT 'resolution' NOT NULL "
               "CONSTRAINT ck_callback_checks_callback_check_purpose CHECK (purpose IN ('resolution', 'delivery'))")
    op.create_index(op.f('ix_callback_checks_purpose'), 'callback_checks', ['purpose'], unique=False)
    op.add_column('callback_calls', sa.Column('follow_up_requested', sa.Boolean(), server_default=sa.false(),
                                              nullable=False))
    op.create_table('callback_delivery_answers',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('check_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('received', sa.Enum('yes', 'partly', 'no', name='callback_received', native_enum=False, create_constraint=True, length=8), nullable=False),
    sa.Column('amount_right', sa.Enum('yes', 'no', 'not_money', name='callback_amount_right', native_enum=False, create_constraint=True, length=10), nullable=False),
    sa.Column('visits', sa.Integer(), nullable=False),
    sa.Column('satisfied', sa.Enum('satisfied', 'basically', 'not_satisfied', name='callback_satisfied', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.CheckConstraint('visits BETWEEN 0 AND 3', name=op.f('ck_callback_delivery_answers_visits_range')),
    sa.ForeignKeyConstraint(['check_id'], ['callback_checks.id'], name=op.f('fk_callback_delivery_answers_check_id_callback_checks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_callback_delivery_answers_department_id_departments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callback_delivery_answers'))
    )
    with op.batch_alter_table('callback_delivery_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_callback_delivery_answers_check_id'), ['check_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_callback_delivery_answers_department_id'), ['department_id'],
                              unique=False)


def downgrade():
    bind = op.get_bind()
    delivery = bind.scalar(sa.text("SELECT count(*) FROM callback_checks WHERE purpose = 'delivery'"))
    if delivery:
        raise RuntimeError(f"{delivery} delivery check(s) exist: they would be lost or read as resolution checks")
    with op.batch_alter_table('callback_delivery_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_callback_delivery_answers_department_id'))
        batch_op.drop_index(batch_op.f('ix_callback_delivery_answers_check_id'))
    op.drop_table('callback_delivery_answers')
    # In place on both databases (SQLite ≥ 3.35 drops a column that no index or other table's constraint names).
    op.execute("ALTER TABLE callback_calls DROP COLUMN follow_up_requested")
    op.drop_index(op.f('ix_callback_checks_purpose'), table_name='callback_checks')
    op.execute("ALTER TABLE callback_checks DROP COLUMN purpose")
