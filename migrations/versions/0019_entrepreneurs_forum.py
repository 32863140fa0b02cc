"""The entrepreneurs' forum (issue 16): meetings, invitations with personal links, and problems as cases

A forum problem is a case of the casework engine (``forum_problems.id`` is its case's id); meetings keep the
verifiable draw of their random invitations (frame, commitment, seed). Nothing existing changes.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 21:37:27.489654

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('forum_meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('venue', sa.String(length=200), nullable=False),
    sa.Column('chair', sa.Enum('secretary', 'mayor', name='forum_chair', native_enum=False, create_constraint=True, length=12), nullable=False),
    sa.Column('theme', sa.String(length=200), nullable=False),
    sa.Column('status', sa.Enum('preparing', 'invited', 'held', 'reported', name='forum_meeting_status', native_enum=False, create_constraint=True, length=12), nullable=False),
    sa.Column('draw_size', sa.Integer(), nullable=False),
    sa.Column('exclude_last', sa.Integer(), nullable=False),
    sa.Column('draw_frame', sa.Text(), nullable=False),
    sa.Column('draw_commitment', sa.String(length=64), nullable=False),
    sa.Column('draw_seed', sa.String(length=200), nullable=False),
    sa.Column('drawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('report_summary', sa.Text(), nullable=False),
    sa.Column('report_published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_forum_meetings_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forum_meetings'))
    )
    with op.batch_alter_table('forum_meetings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forum_meetings_held_on'), ['held_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_forum_meetings_status'), ['status'], unique=False)

    op.create_table('forum_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('respondent_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.Enum('chosen', 'drawn', name='forum_invitation_source', native_enum=False, create_constraint=True, length=8), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attending', sa.Boolean(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attended', sa.Boolean(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['forum_meetings.id'], name=op.f('fk_forum_invitations_meeting_id_forum_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['respondent_id'], ['respondents.id'], name=op.f('fk_forum_invitations_respondent_id_respondents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forum_invitations')),
    sa.UniqueConstraint('meeting_id', 'respondent_id', name=op.f('uq_forum_invitations_meeting_id')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_forum_invitations_token_hash'))
    )
    with op.batch_alter_table('forum_invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forum_invitations_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_forum_invitations_respondent_id'), ['respondent_id'], unique=False)

    op.create_table('forum_problems',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('invitation_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.Enum('financing', 'land', 'labour', 'approval', 'policy', 'inspection', 'infrastructure', 'other', name='forum_problem_category', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('request', sa.Text(), nullable=False),
    sa.Column('raised_at_meeting', sa.Boolean(), nullable=False),
    sa.Column('named_in_ledger', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['id'], ['cases.id'], name=op.f('fk_forum_problems_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invitation_id'], ['forum_invitations.id'], name=op.f('fk_forum_problems_invitation_id_forum_invitations')),
    sa.ForeignKeyConstraint(['meeting_id'], ['forum_meetings.id'], name=op.f('fk_forum_problems_meeting_id_forum_meetings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forum_problems'))
    )
    with op.batch_alter_table('forum_problems', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forum_problems_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_forum_problems_invitation_id'), ['invitation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_forum_problems_meeting_id'), ['meeting_id'], unique=False)



def downgrade():
    # The forum's cases go with the forum (their assignments, events and files cascade from the case).
    op.execute("DELETE FROM cases WHERE kind = 'forum'")
    with op.batch_alter_table('forum_problems', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_forum_problems_meeting_id'))
        batch_op.drop_index(batch_op.f('ix_forum_problems_invitation_id'))
        batch_op.drop_index(batch_op.f('ix_forum_problems_category'))

    op.drop_table('forum_problems')
    with op.batch_alter_table('forum_invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_forum_invitations_respondent_id'))
        batch_op.drop_index(batch_op.f('ix_forum_invitations_meeting_id'))

    op.drop_table('forum_invitations')
    with op.batch_alter_table('forum_meetings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_forum_meetings_status'))
        batch_op.drop_index(batch_op.f('ix_forum_meetings_held_on'))

    op.drop_table('forum_meetings')
