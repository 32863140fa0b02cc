"""Migration 0017 (issue 24, finding 8): the real-time ratings survive; their device and phone hashes do not."""
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from app import create_app
from app.config import TestConfig
from app.extensions import db
from tests.integration.test_migrations import empty_database_url  # noqa: F401 (fixture)

RATING = {"id": "r" * 32, "service_point_id": 1, "department_id": 1, "overall": 2, "efficiency": 5,
          "competence": None, "attitude": 1, "service_item": "营业执照", "comment": "窗口人员态度恶劣",
          "client_hash": "c" * 32, "device_hash": "d" * 32, "phone_hash": "p" * 64, "flagged": True,
          "flag_reason": "client_burst", "reviewed": False, "excluded": False, "excluded_reason": ""}


def _seed(connection) -> None:
    """A department, a service point and a rating with its device and phone hashes, as the schema before 0017 holds them."""
    now = "2026-12-01 02:00:00+00:00"
    connection.execute(text(
        "INSERT INTO departments (id, code, name, kind, active, sort_order, created_at, updated_at) "
        "VALUES (1, 'D01', '市场监管局', 'service', :yes, 1, :now, :now)"), {"yes": True, "now": now})
    connection.execute(text(
        "INSERT INTO service_points (id, department_id, slug, code, name, kind, location, district, service_items, "
        "require_sms_code, active, created_at) VALUES (1, 1, 'slug-of-w01', 'W01', '1号窗口', 'window', '', '', '', "
        ":no, :yes, :now)"), {"yes": True, "no": False, "now": now})
    connection.execute(text(
        "INSERT INTO realtime_ratings (id, service_point_id, department_id, overall, efficiency, competence, attitude, "
        "service_item, comment, created_at, client_hash, device_hash, phone_hash, flagged, flag_reason, reviewed, "
        "excluded, excluded_reason) VALUES (:id, :service_point_id, :department_id, :overall, :efficiency, "
        ":competence, :attitude, :service_item, :comment, :now, :client_hash, :device_hash, :phone_hash, :flagged, "
        ":flag_reason, :reviewed, :excluded, :excluded_reason)"), {**RATING, "now": now})


def _ratings(connection) -> list[dict]:
    return [dict(row) for row in connection.execute(text(
        "SELECT id, overall, efficiency, competence, attitude, service_item, comment, client_hash, flagged, "
        "flag_reason FROM realtime_ratings")).mappings()]


def test_migration_0017_keeps_the_ratings_and_drops_their_device_and_phone_hashes(empty_database_url):  # noqa: F811
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=empty_database_url)
    with app.app_context():
        try:
            upgrade(revision="0016")
            with db.engine.begin() as connection:
                _seed(connection)
            upgrade()
            columns = {column["name"] for column in inspect(db.engine).get_columns("realtime_ratings")}
            assert not {"device_hash", "phone_hash"} & columns
            expected = {key: RATING[key] for key in ("id", "overall", "efficiency", "competence", "attitude",
                                                     "service_item", "comment", "client_hash", "flag_reason")}
            with db.engine.connect() as connection:
                (rating,) = _ratings(connection)
            assert {key: rating[key] for key in expected} == expected and rating["flagged"]
            assert "realtime_seen_devices" in inspect(db.engine).get_table_names()
            # And back: the rating stays, with an empty device hash (the old one is gone for good).
            downgrade(revision="0016")
            with db.engine.connect() as connection:
                (rating,) = _ratings(connection)
                assert tuple(connection.execute(text("SELECT device_hash, phone_hash FROM realtime_ratings")).one()) \
                    == ("", None)
            assert rating["comment"] == RATING["comment"]
        finally:
            db.engine.dispose()
