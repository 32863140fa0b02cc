"""published assessments keep their labels: department code and name on each result, scheme and dimensions

Issue 24, finding 3: renaming (or swapping the names and codes of) departments after publication changed the
frozen ranking page and its exports. From now on the scoring service writes these labels while an assessment is
still ``scored``, and the freezing triggers of 0009 keep them as they are once it is published.

Existing assessments are backfilled from the departments' current codes and names, the scheme's label and the
round's questionnaire: the best record there is (a department renamed between publication and this upgrade keeps
its new name). For every published or superseded assessment an ``assessment.labels_backfilled`` entry is appended
to the audit log with the labels written, so that `flask scores verify` has a record to check them against.

The freezing triggers refuse the backfill's UPDATEs on published rows: on PostgreSQL they are disabled for it
(the generic comparison of 0009 covers the new ``labels`` column by itself); on SQLite the two UPDATE triggers
are dropped and created again, the one on ``assessments`` with ``labels`` among its frozen columns (a later
migration that batch-alters ``assessments`` on SQLite must keep ``labels`` in that list).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06

"""
import hashlib
import json
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

# As in 0009.
FROZEN_COLUMNS_0009 = ("id", "campaign_id", "scheme_id", "version", "input_hash", "seed", "invited", "responded",
                       "details", "correction_reason", "scored_at", "scored_by_id")
ALLOWED_MOVE = ("((OLD.status = 'scored' AND NEW.status = 'published') "
                "OR (OLD.status = 'published' AND NEW.status = 'superseded'))")
GENESIS_HASH = "0" * 64
CHAIN_LOCK_KEY = 0x6B6B62  # app/audit/service.py's advisory lock: one writer of the chain at a time


def _sqlite_assessments_trigger(columns) -> str:
    return f"""
        CREATE TRIGGER assessments_frozen_update BEFORE UPDATE ON assessments
        WHEN NOT (OLD.status = 'scored' AND NEW.status = 'scored')
         AND NOT ({ALLOWED_MOVE} AND {" AND ".join(f"NEW.{c} IS OLD.{c}" for c in columns)})
        BEGIN SELECT RAISE(ABORT, 'published assessments are frozen: UPDATE refused; make a correction instead'); END
    """


SQLITE_RESULTS_TRIGGER = """
    CREATE TRIGGER assessment_results_frozen_update BEFORE UPDATE ON assessment_results
    WHEN (SELECT status FROM assessments WHERE id = OLD.assessment_id) <> 'scored'
      OR (SELECT status FROM assessments WHERE id = NEW.assessment_id) <> 'scored'
    BEGIN SELECT RAISE(ABORT, 'results of a published assessment are frozen: UPDATE refused'); END
"""

assessments = sa.table('assessments', sa.column('id', sa.Integer), sa.column('campaign_id', sa.Integer),
                       sa.column('scheme_id', sa.Integer), sa.column('version', sa.Integer),
                       sa.column('status', sa.String), sa.column('labels', sa.JSON))
results = sa.table('assessment_results', sa.column('assessment_id', sa.Integer), sa.column('department_id', sa.Integer),
                   sa.column('department_code', sa.String), sa.column('department_name', sa.String))
audit_log = sa.table('audit_log', sa.column('id', sa.Integer), sa.column('at', sa.DateTime(timezone=True)),
                     sa.column('actor_id', sa.Integer), sa.column('actor_name', sa.String),
                     sa.column('action', sa.String), sa.column('target', sa.String), sa.column('details', sa.JSON),
                     sa.column('prev_hash', sa.String), sa.column('entry_hash', sa.String))


def _dimensions(bind, campaign_id: int, cache: dict) -> list:
    """The round's dimensions in the questionnaire's order, read as the application reads them today."""
    if campaign_id not in cache:
        from app.assessment.inputs import item_table  # only when there is something to backfill

        raw = bind.execute(sa.text(
            "SELECT v.document FROM campaigns c JOIN questionnaire_versions v ON v.id = c.questionnaire_version_id "
            "WHERE c.id = :id"), {"id": campaign_id}).scalar()
        document = json.loads(raw) if isinstance(raw, str) else raw
        cache[campaign_id] = item_table(document).dimensions if document else []
    return cache[campaign_id]


def _append_audit(bind, target: str, details: dict) -> None:
    """An audit entry chained and hashed exactly as app/audit/models.py does (canonical JSON, SHA-256)."""
    if bind.dialect.name == "postgresql":
        bind.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})
    prev = bind.execute(sa.text("SELECT entry_hash FROM audit_log ORDER BY id DESC LIMIT 1")).scalar() or GENESIS_HASH
    at = datetime.now(timezone.utc)
    content = json.dumps({"at": at.isoformat(timespec="microseconds"), "actor_id": None, "actor_name": "migration",
                          "action": "assessment.labels_backfilled", "target": target, "details": details},
                         sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    bind.execute(audit_log.insert().values(
        at=at, actor_id=None, actor_name="migration", action="assessment.labels_backfilled", target=target,
        details=details, prev_hash=prev, entry_hash=hashlib.sha256((prev + content).encode("utf-8")).hexdigest()))


def _backfill(bind) -> None:
    bind.execute(sa.text(
        "UPDATE assessment_results SET "
        "department_code = (SELECT code FROM departments WHERE departments.id = assessment_results.department_id), "
        "department_name = (SELECT name FROM departments WHERE departments.id = assessment_results.department_id)"))
    schemes = {row.id: f"{row.name} v{row.version}"
               for row in bind.execute(sa.text("SELECT id, name, version FROM assessment_schemes"))}
    cache: dict = {}
    for a in bind.execute(sa.select(assessments.c.id, assessments.c.campaign_id, assessments.c.scheme_id,
                                    assessments.c.version, assessments.c.status)
                          .order_by(assessments.c.campaign_id, assessments.c.version)).all():
        labels = {"scheme": schemes[a.scheme_id], "dimensions": _dimensions(bind, a.campaign_id, cache)}
        bind.execute(assessments.update().where(assessments.c.id == a.id).values(labels=labels))
        if a.status == "scored":
            continue  # a draft follows the live names; publishing writes its labels
        departments = {str(r.department_id): [r.department_code, r.department_name] for r in bind.execute(
            sa.select(results.c.department_id, results.c.department_code, results.c.department_name)
            .where(results.c.assessment_id == a.id).order_by(results.c.department_id))}
        _append_audit(bind, f"campaign:{a.campaign_id}", {
            "assessment": a.id, "version": a.version, "labels": {**labels, "departments": departments},
            "source": "migration 0015: the departments' codes and names at the upgrade"})


def upgrade():
    op.add_column('assessments', sa.Column('labels', sa.JSON(), nullable=True))
    op.add_column('assessment_results', sa.Column('department_code', sa.String(length=32), nullable=True))
    op.add_column('assessment_results', sa.Column('department_name', sa.String(length=100), nullable=True))
    bind = op.get_bind()
    dialect = bind.dialect.name
    if dialect == "postgresql":
        op.execute("ALTER TABLE assessments DISABLE TRIGGER assessments_frozen")
        op.execute("ALTER TABLE assessment_results DISABLE TRIGGER assessment_results_frozen")
        _backfill(bind)
        op.execute("ALTER TABLE assessments ENABLE TRIGGER assessments_frozen")
        op.execute("ALTER TABLE assessment_results ENABLE TRIGGER assessment_results_frozen")
    else:
        if dialect == "sqlite":
            op.execute("DROP TRIGGER IF EXISTS assessments_frozen_update")
            op.execute("DROP TRIGGER IF EXISTS assessment_results_frozen_update")
        _backfill(bind)
        if dialect == "sqlite":
            op.execute(_sqlite_assessments_trigger(FROZEN_COLUMNS_0009 + ("labels",)))
            op.execute(SQLITE_RESULTS_TRIGGER)


def downgrade():
    # The labels go; the audit log keeps its backfill entries (it is append-only), harmless to older code.
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("DROP TRIGGER IF EXISTS assessments_frozen_update")
    op.drop_column('assessment_results', 'department_name')
    op.drop_column('assessment_results', 'department_code')
    op.drop_column('assessments', 'labels')
    if sqlite:
        op.execute(_sqlite_assessments_trigger(FROZEN_COLUMNS_0009))
