"""freeze published assessments in the database: triggers refuse changing or deleting them and their results

The model layer (app/assessment/models.py) already refuses these changes; the
triggers make raw SQL refuse them too. What stays allowed is exactly what the
scoring service does: anything on a ``scored`` assessment (re-scoring deletes
and replaces it), the moves scored → published and published → superseded
when only the lifecycle columns change, and a correction, which is a new
assessment whose results are inserted while it is still ``scored``.

SQLite note: Alembic's batch mode rebuilds a table by copying it, which drops
its triggers. A later migration that batch-alters ``assessments``,
``assessment_results`` or ``assessment_schemes`` on SQLite must create these
triggers again (and add any new column of ``assessments`` to FROZEN_COLUMNS).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# Every column of ``assessments`` but the lifecycle ones (status, published_at, published_by_id, superseded_at).
FROZEN_COLUMNS = ("id", "campaign_id", "scheme_id", "version", "input_hash", "seed", "invited", "responded",
                  "details", "correction_reason", "scored_at", "scored_by_id")
ALLOWED_MOVE = ("((OLD.status = 'scored' AND NEW.status = 'published') "
                "OR (OLD.status = 'published' AND NEW.status = 'superseded'))")

SQLITE_TRIGGERS = {
    "assessments_frozen_update": f"""
        CREATE TRIGGER assessments_frozen_update BEFORE UPDATE ON assessments
        WHEN NOT (OLD.status = 'scored' AND NEW.status = 'scored')
         AND NOT ({ALLOWED_MOVE} AND {" AND ".join(f"NEW.{c} IS OLD.{c}" for c in FROZEN_COLUMNS)})
        BEGIN SELECT RAISE(ABORT, 'published assessments are frozen: UPDATE refused; make a correction instead'); END
    """,
    "assessments_frozen_delete": """
        CREATE TRIGGER assessments_frozen_delete BEFORE DELETE ON assessments
        WHEN OLD.status <> 'scored'
        BEGIN SELECT RAISE(ABORT, 'published assessments are frozen: DELETE refused'); END
    """,
    "assessment_results_frozen_insert": """
        CREATE TRIGGER assessment_results_frozen_insert BEFORE INSERT ON assessment_results
        WHEN (SELECT status FROM assessments WHERE id = NEW.assessment_id) <> 'scored'
        BEGIN SELECT RAISE(ABORT, 'results of a published assessment are frozen: INSERT refused'); END
    """,
    "assessment_results_frozen_update": """
        CREATE TRIGGER assessment_results_frozen_update BEFORE UPDATE ON assessment_results
        WHEN (SELECT status FROM assessments WHERE id = OLD.assessment_id) <> 'scored'
          OR (SELECT status FROM assessments WHERE id = NEW.assessment_id) <> 'scored'
        BEGIN SELECT RAISE(ABORT, 'results of a published assessment are frozen: UPDATE refused'); END
    """,
    "assessment_results_frozen_delete": """
        CREATE TRIGGER assessment_results_frozen_delete BEFORE DELETE ON assessment_results
        WHEN (SELECT status FROM assessments WHERE id = OLD.assessment_id) <> 'scored'
        BEGIN SELECT RAISE(ABORT, 'results of a published assessment are frozen: DELETE refused'); END
    """,
    "assessment_schemes_frozen_update": """
        CREATE TRIGGER assessment_schemes_frozen_update BEFORE UPDATE ON assessment_schemes
        WHEN EXISTS (SELECT 1 FROM assessments WHERE scheme_id = OLD.id AND status <> 'scored')
        BEGIN SELECT RAISE(ABORT, 'the scheme of a published assessment is frozen: UPDATE refused'); END
    """,
    # The foreign key would refuse it on the application's connections, but the sqlite3 shell runs without
    # foreign keys unless told.
    "assessment_schemes_frozen_delete": """
        CREATE TRIGGER assessment_schemes_frozen_delete BEFORE DELETE ON assessment_schemes
        WHEN EXISTS (SELECT 1 FROM assessments WHERE scheme_id = OLD.id AND status <> 'scored')
        BEGIN SELECT RAISE(ABORT, 'the scheme of a published assessment is frozen: DELETE refused'); END
    """,
}

POSTGRES_FUNCTIONS = {
    # A generic comparison: the row with its lifecycle columns put back must equal the old row.
    "assessments_frozen": f"""
        CREATE OR REPLACE FUNCTION assessments_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            probe assessments;
        BEGIN
            IF TG_OP = 'DELETE' THEN
                IF OLD.status <> 'scored' THEN
                    RAISE EXCEPTION 'published assessments are frozen: DELETE of assessment % refused', OLD.id;
                END IF;
                RETURN OLD;
            END IF;
            IF OLD.status = 'scored' AND NEW.status = 'scored' THEN
                RETURN NEW;
            END IF;
            probe := NEW;
            probe.status := OLD.status;
            probe.published_at := OLD.published_at;
            probe.published_by_id := OLD.published_by_id;
            probe.superseded_at := OLD.superseded_at;
            IF {ALLOWED_MOVE} AND to_jsonb(probe) = to_jsonb(OLD) THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION 'published assessments are frozen: UPDATE of assessment % refused; %', OLD.id,
                'make a correction instead';
        END $$
    """,
    "assessment_results_frozen": """
        CREATE OR REPLACE FUNCTION assessment_results_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            parent text;
        BEGIN
            IF TG_OP IN ('UPDATE', 'DELETE') THEN
                SELECT status INTO parent FROM assessments WHERE id = OLD.assessment_id;
                IF parent IS NOT NULL AND parent <> 'scored' THEN
                    RAISE EXCEPTION 'results of a published assessment are frozen: % refused', TG_OP;
                END IF;
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') THEN
                SELECT status INTO parent FROM assessments WHERE id = NEW.assessment_id;
                IF parent IS NOT NULL AND parent <> 'scored' THEN
                    RAISE EXCEPTION 'results of a published assessment are frozen: % refused', TG_OP;
                END IF;
                RETURN NEW;
            END IF;
            RETURN OLD;
        END $$
    """,
    "assessment_schemes_frozen": """
        CREATE OR REPLACE FUNCTION assessment_schemes_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM assessments WHERE scheme_id = OLD.id AND status <> 'scored') THEN
                RAISE EXCEPTION 'the scheme of a published assessment is frozen: % refused', TG_OP;
            END IF;
            IF TG_OP = 'DELETE' THEN
                RETURN OLD;
            END IF;
            RETURN NEW;
        END $$
    """,
}
POSTGRES_TRIGGERS = {
    "assessments_frozen": ("assessments", "UPDATE OR DELETE"),
    "assessment_results_frozen": ("assessment_results", "INSERT OR UPDATE OR DELETE"),
    "assessment_schemes_frozen": ("assessment_schemes", "UPDATE OR DELETE"),
}


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for name, body in POSTGRES_FUNCTIONS.items():
            op.execute(body)
            table, events = POSTGRES_TRIGGERS[name]
            # OR REPLACE / IF EXISTS: a backup of an older revision restored over a newer database leaves the
            # functions behind (pg_restore --clean drops only what the dump holds); upgrading again must work.
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(f"CREATE TRIGGER {name} BEFORE {events} ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()")
    elif dialect == "sqlite":
        for body in SQLITE_TRIGGERS.values():
            op.execute(body)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for name, (table, _events) in POSTGRES_TRIGGERS.items():
            op.execute(f"DROP TRIGGER {name} ON {table}")
            op.execute(f"DROP FUNCTION {name}()")
    elif dialect == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
