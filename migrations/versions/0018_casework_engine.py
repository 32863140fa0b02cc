"""The casework engine: complaints become one kind of case; assignments, events and files belong to cases

Issue 16: complaints, entrepreneurs' forum problems and (next) policy applications share one engine. What every
kind has — its number, subject, status, reply, verdict and history — moves from ``complaints`` to ``cases``
(joined-table inheritance: ``complaints.id`` is its case's id), and ``complaint_assignments``, ``complaint_events``
and ``complaint_attachments`` become ``case_assignments``, ``case_events`` and ``case_attachments``. Every row
keeps its id, so attachments keep their assignment and nothing refers to a changed number.

New on a case: the outcome (已解决 …), who confirmed the closing, attempts to reach the raiser; on an assignment:
lead or co-department, when it was acknowledged, the outcome the department reported. Complaints closed before
this revision have no recorded outcome (NULL: shown as not recorded, counted nowhere); their verdict was recorded
by a handler after a call, so their confirmation is ``staff_call`` (none when the complainant was unreachable).
A replied assignment counts as acknowledged when it replied.

Downgrade moves the complaints back and drops every case of another kind (they did not exist before).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06

"""
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

CASE_COLUMNS = ("id, tracking_number, subject, status, submitted_at, accepted_at, declined_at, decline_reason, "
                "public_reply, closed_at, satisfaction, reopen_count")
ASSIGNMENT_COLUMNS = ("id, department_id, cycle, instructions, assigned_at, assigned_by_id, due_on, status, "
                      "reminder_count, last_reminded_at, reply, replied_at, replied_by_id, substantiated")
EVENT_COLUMNS = "id, at, kind, actor_id, department_id, note, public"
ATTACHMENT_COLUMNS = ("id, assignment_id, stored_name, original_name, content_type, size, sha256, uploaded_at, "
                      "uploaded_by_id, shared")
MOVED_TO_CASES = ("tracking_number", "subject", "status", "submitted_at", "accepted_at", "declined_at",
                  "decline_reason", "public_reply", "closed_at", "satisfaction", "reopen_count")
STATUS_V1 = ('submitted', 'declined', 'accepted', 'assigned', 'replied', 'closed')
SATISFACTION = ('satisfied', 'basically', 'unsatisfied', 'unreachable')
OUTCOMES = ('solved', 'partly_solved', 'explained', 'duplicate', 'redirected', 'answered_on_spot')


def _enum(*values, name, length=20):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=length)


def _reset_sequence(table: str) -> None:
    """After rows were copied with their ids, PostgreSQL's sequence must continue after the largest one."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                   f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)")


@contextmanager
def _rebuilding_complaints():
    """SQLite changes ``complaints`` by rebuilding it (copy, drop, rename), and the migration runs inside a
    transaction, where foreign keys cannot be switched off: dropping the old table would cascade to
    ``complaint_departments`` and empty it. Its rows are read before and written back after. PostgreSQL alters the
    table in place and loses nothing."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    rows = op.get_bind().execute(sa.text("SELECT complaint_id, department_id FROM complaint_departments")).all() \
        if sqlite else []
    yield
    if sqlite:
        op.execute("DELETE FROM complaint_departments")
        for complaint_id, department_id in rows:
            op.get_bind().execute(sa.text("INSERT INTO complaint_departments (complaint_id, department_id) "
                                          "VALUES (:c, :d)"), {"c": complaint_id, "d": department_id})


def _create_case_tables() -> None:
    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', _enum('complaint', 'forum', name='case_kind', length=12), nullable=False),
    sa.Column('tracking_number', sa.String(length=20), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('status', _enum(*STATUS_V1[:5], 'confirming', 'closed', name='case_status'), nullable=False),
    sa.Column('identity_shared', sa.Boolean(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('declined_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decline_reason', sa.Text(), nullable=False),
    sa.Column('public_reply', sa.Text(), nullable=False),
    sa.Column('outcome', _enum(*OUTCOMES, name='case_outcome'), nullable=True),
    sa.Column('duplicate_of_id', sa.Integer(), nullable=True),
    sa.Column('redirected_to_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('satisfaction', _enum(*SATISFACTION, name='case_satisfaction'), nullable=True),
    sa.Column('confirmation', _enum('raiser', 'staff_call', 'sign_off', name='case_confirmation', length=12),
              nullable=True),
    sa.Column('confirmation_note', sa.Text(), nullable=False),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('contact_attempts', sa.Integer(), nullable=False),
    sa.Column('reopen_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['users.id'], name=op.f('fk_cases_confirmed_by_id_users')),
    sa.ForeignKeyConstraint(['duplicate_of_id'], ['cases.id'], name=op.f('fk_cases_duplicate_of_id_cases')),
    sa.ForeignKeyConstraint(['redirected_to_id'], ['departments.id'],
                            name=op.f('fk_cases_redirected_to_id_departments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('tracking_number', name=op.f('uq_cases_tracking_number'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cases_closed_at'), ['closed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_submitted_at'), ['submitted_at'], unique=False)

    op.create_table('case_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('lead', sa.Boolean(), nullable=False),
    sa.Column('cycle', sa.Integer(), nullable=False),
    sa.Column('instructions', sa.Text(), nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', _enum('pending', 'replied', 'withdrawn', name='assignment_status', length=12),
              nullable=False),
    sa.Column('reminder_count', sa.Integer(), nullable=False),
    sa.Column('last_reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reply', sa.Text(), nullable=False),
    sa.Column('outcome', _enum(*OUTCOMES, name='assignment_outcome'), nullable=True),
    sa.Column('replied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('replied_by_id', sa.Integer(), nullable=True),
    sa.Column('substantiated', sa.Boolean(), nullable=True),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['users.id'], name=op.f('fk_case_assignments_assigned_by_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_assignments_case_id_cases'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'],
                            name=op.f('fk_case_assignments_department_id_departments')),
    sa.ForeignKeyConstraint(['replied_by_id'], ['users.id'], name=op.f('fk_case_assignments_replied_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_assignments'))
    )
    with op.batch_alter_table('case_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_assignments_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_assignments_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_assignments_due_on'), ['due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_assignments_status'), ['status'], unique=False)

    op.create_table('case_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_case_events_actor_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_events_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_case_events_department_id_departments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_events'))
    )
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_events_case_id'), ['case_id'], unique=False)

    op.create_table('case_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=True),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('original_name', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('shared', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['case_assignments.id'],
                            name=op.f('fk_case_attachments_assignment_id_case_assignments')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_attachments_case_id_cases'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_case_attachments_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_attachments')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_case_attachments_stored_name'))
    )
    with op.batch_alter_table('case_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_attachments_case_id'), ['case_id'], unique=False)


def upgrade():
    _create_case_tables()
    op.execute(f"INSERT INTO cases ({CASE_COLUMNS}, kind, identity_shared, confirmation, confirmation_note, "
               f"contact_attempts) SELECT {CASE_COLUMNS}, 'complaint', false, "
               "CASE WHEN status = 'closed' AND satisfaction <> 'unreachable' THEN 'staff_call' END, '', 0 "
               "FROM complaints")
    op.execute(f"INSERT INTO case_assignments ({ASSIGNMENT_COLUMNS}, case_id, lead, acknowledged_at) "
               f"SELECT {ASSIGNMENT_COLUMNS}, complaint_id, true, replied_at FROM complaint_assignments")
    op.execute(f"INSERT INTO case_events ({EVENT_COLUMNS}, case_id) "
               f"SELECT {EVENT_COLUMNS}, complaint_id FROM complaint_events")
    op.execute(f"INSERT INTO case_attachments ({ATTACHMENT_COLUMNS}, case_id) "
               f"SELECT {ATTACHMENT_COLUMNS}, complaint_id FROM complaint_attachments")
    for table in ('cases', 'case_assignments', 'case_events', 'case_attachments'):
        _reset_sequence(table)

    op.drop_table('complaint_attachments')
    op.drop_table('complaint_events')
    op.drop_table('complaint_assignments')
    with _rebuilding_complaints(), op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaints_closed_at'))
        batch_op.drop_index(batch_op.f('ix_complaints_status'))
        batch_op.drop_index(batch_op.f('ix_complaints_submitted_at'))
        batch_op.drop_constraint(batch_op.f('uq_complaints_tracking_number'), type_='unique')
        batch_op.drop_constraint(batch_op.f('ck_complaints_complaint_status'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_complaints_complaint_satisfaction'), type_='check')
        for column in MOVED_TO_CASES:
            batch_op.drop_column(column)
        batch_op.create_foreign_key(batch_op.f('fk_complaints_id_cases'), 'cases', ['id'], ['id'], ondelete='CASCADE')
    if op.get_bind().dialect.name == "postgresql":
        # The id is now its case's: no sequence of its own.
        op.execute("ALTER TABLE complaints ALTER COLUMN id DROP DEFAULT")
        op.execute("DROP SEQUENCE IF EXISTS complaints_id_seq")


def downgrade():
    op.execute("DELETE FROM cases WHERE kind <> 'complaint'")
    with _rebuilding_complaints(), op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_complaints_id_cases'), type_='foreignkey')
        batch_op.add_column(sa.Column('tracking_number', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('subject', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('status', _enum(*STATUS_V1, name='complaint_status'), nullable=True))
        batch_op.add_column(sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('declined_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('decline_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('public_reply', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('satisfaction', _enum(*SATISFACTION, name='complaint_satisfaction'),
                                      nullable=True))
        batch_op.add_column(sa.Column('reopen_count', sa.Integer(), nullable=True))
    # A case waiting for the raiser's confirmation was "replied" before confirmations existed.
    for column in MOVED_TO_CASES:
        value = (f"CASE WHEN c.status = 'confirming' THEN 'replied' ELSE c.status END" if column == 'status'
                 else f"c.{column}")
        op.execute(f"UPDATE complaints SET {column} = (SELECT {value} FROM cases c WHERE c.id = complaints.id)")
    with _rebuilding_complaints(), op.batch_alter_table('complaints', schema=None) as batch_op:
        for column in ("tracking_number", "subject", "status", "submitted_at", "decline_reason", "public_reply",
                       "reopen_count"):
            batch_op.alter_column(column, nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_complaints_tracking_number'), ['tracking_number'])
        batch_op.create_index(batch_op.f('ix_complaints_submitted_at'), ['submitted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_closed_at'), ['closed_at'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE IF NOT EXISTS complaints_id_seq OWNED BY complaints.id")
        op.execute("ALTER TABLE complaints ALTER COLUMN id SET DEFAULT nextval('complaints_id_seq')")

    op.create_table('complaint_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('cycle', sa.Integer(), nullable=False),
    sa.Column('instructions', sa.Text(), nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', _enum('pending', 'replied', 'withdrawn', name='assignment_status', length=12), nullable=False),
    sa.Column('reminder_count', sa.Integer(), nullable=False),
    sa.Column('last_reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reply', sa.Text(), nullable=False),
    sa.Column('replied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('replied_by_id', sa.Integer(), nullable=True),
    sa.Column('substantiated', sa.Boolean(), nullable=True),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['users.id'], name=op.f('fk_complaint_assignments_assigned_by_id_users')),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_complaint_assignments_complaint_id_complaints'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_complaint_assignments_department_id_departments')),
    sa.ForeignKeyConstraint(['replied_by_id'], ['users.id'], name=op.f('fk_complaint_assignments_replied_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_assignments'))
    )
    with op.batch_alter_table('complaint_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_assignments_complaint_id'), ['complaint_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_assignments_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_assignments_due_on'), ['due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_assignments_status'), ['status'], unique=False)
    op.create_table('complaint_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_complaint_events_actor_id_users')),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_complaint_events_complaint_id_complaints'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_complaint_events_department_id_departments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_events'))
    )
    with op.batch_alter_table('complaint_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_events_complaint_id'), ['complaint_id'], unique=False)
    op.create_table('complaint_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=True),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('original_name', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('shared', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['complaint_assignments.id'], name=op.f('fk_complaint_attachments_assignment_id_complaint_assignments')),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_complaint_attachments_complaint_id_complaints'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_complaint_attachments_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_attachments')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_complaint_attachments_stored_name'))
    )
    with op.batch_alter_table('complaint_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_attachments_complaint_id'), ['complaint_id'], unique=False)

    op.execute(f"INSERT INTO complaint_assignments ({ASSIGNMENT_COLUMNS}, complaint_id) "
               f"SELECT {ASSIGNMENT_COLUMNS}, case_id FROM case_assignments")
    op.execute(f"INSERT INTO complaint_events ({EVENT_COLUMNS}, complaint_id) "
               f"SELECT {EVENT_COLUMNS}, case_id FROM case_events")
    op.execute(f"INSERT INTO complaint_attachments ({ATTACHMENT_COLUMNS}, complaint_id) "
               f"SELECT {ATTACHMENT_COLUMNS}, case_id FROM case_attachments")
    for table in ('complaints', 'complaint_assignments', 'complaint_events', 'complaint_attachments'):
        _reset_sequence(table)
    op.drop_table('case_attachments')
    op.drop_table('case_events')
    op.drop_table('case_assignments')
    op.drop_table('cases')
