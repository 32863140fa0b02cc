"""The Beikaobei Flask application: create_app() and its registration steps."""
from __future__ import annotations

import hmac
import logging

from flask import Flask, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.config import DEV_SECRET_KEY, INSTANCE_DIR, Config, config_from_env
from app.extensions import babel, csrf, db, limiter, login_manager, migrate


def create_app(config: type[Config] | None = None, **overrides) -> Flask:
    """Build the application from a configuration class (APP_ENV's by default) and overrides."""
    app = Flask(__name__, instance_path=str(INSTANCE_DIR))
    app.config.from_object(config or config_from_env())
    app.config.update(overrides)
    check_production_settings(app)
    INSTANCE_DIR.mkdir(exist_ok=True)
    if app.config.get("PROXY_FIX_X_FOR"):
        # Behind a reverse proxy every request comes from the proxy: rate limits need the client's address.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_FIX_X_FOR"], x_proto=1, x_host=1)

    register_extensions(app)
    register_blueprints(app)
    register_hooks(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    configure_logging(app)
    return app


def check_production_settings(app: Flask) -> None:
    """Refuse to start production with the development secret key or without HTTPS settings."""
    if app.config["ENV_NAME"] != "production":
        return
    if app.debug:
        raise RuntimeError("production mode refuses to run with debug on (FLASK_DEBUG): the debugger runs code "
                           "sent from the browser")
    if app.config["SECRET_KEY"] in (None, "", DEV_SECRET_KEY):
        raise RuntimeError("production mode needs SECRET_KEY set to a long random value (see README)")
    if len(app.config["SECRET_KEY"]) < 32:
        raise RuntimeError("SECRET_KEY must be at least 32 characters in production mode")
    if not (app.config.get("SESSION_COOKIE_SECURE") and app.config.get("REMEMBER_COOKIE_SECURE")
            and app.config.get("HTTPS")):
        raise RuntimeError("production mode must run behind HTTPS with Secure cookies and HSTS (HTTPS, "
                           "SESSION_COOKIE_SECURE, REMEMBER_COOKIE_SECURE; see README, Deployment)")
    if not app.config.get("PHONE_ENCRYPTION_KEY"):
        raise RuntimeError("production mode needs PHONE_ENCRYPTION_KEY: pool members' phone numbers are encrypted at "
                           "rest (see README)")
    from app.platform.phones import PhoneKeyError, configured_vault

    try:
        configured_vault(app.config)  # a key that cannot be used is found now, not at the first phone number
    except PhoneKeyError as exc:
        raise RuntimeError(f"production mode: {exc}") from None
    if app.config.get("SMS_BACKEND", "console") == "console":
        raise RuntimeError("production mode cannot use the console SMS backend: it keeps every respondent's link "
                           "in the outbox; set SMS_BACKEND to aliyun or tencent (docs/SMS.md)")


def register_extensions(app: Flask) -> None:
    from app import models  # noqa: F401 (every domain's tables in the one metadata, for Alembic and create_all)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)

    from app.platform.i18n import select_locale

    babel.init_app(app, locale_selector=select_locale)

    from app.accounts.models import User

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None  # the login page explains itself
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str):
        """The session's account, unless it was deactivated or its password changed since the login."""
        ident, _sep, fingerprint = user_id.partition(":")
        user = db.session.get(User, int(ident)) if ident.isdigit() else None
        if user is None or not user.active or not hmac.compare_digest(fingerprint, user.session_fingerprint):
            return None
        return user


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite: enforce foreign keys and let readers run beside a writer."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


def register_blueprints(app: Flask) -> None:
    from app.accounts.auth_routes import bp as auth_bp
    from app.accounts.routes import bp as users_bp
    from app.assessment.routes import bp as assessment_bp
    from app.audit.routes import bp as audit_bp
    from app.casework.rates_routes import bp as casework_rates_bp
    from app.casework.routes import bp as casework_bp
    from app.callbacks.routes import bp as callbacks_bp
    from app.complaints.routes import bp as complaints_bp
    from app.departments.routes import bp as departments_bp
    from app.forum.routes import bp as forum_bp
    from app.main.routes import bp as main_bp
    from app.platform.assets import bp as assets_bp
    from app.pool.routes import bp as pool_bp
    from app.questionnaires.routes import bp as questionnaires_bp
    from app.realtime.routes import bp as realtime_bp
    from app.rounds.routes import bp as rounds_bp
    from app.survey.routes import bp as survey_bp

    app.register_blueprint(assets_bp)  # /assets/<hashed name>, /favicon.ico
    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(departments_bp, url_prefix="/admin/departments")
    app.register_blueprint(pool_bp, url_prefix="/admin/pool")
    app.register_blueprint(rounds_bp, url_prefix="/admin/rounds")
    app.register_blueprint(survey_bp)
    app.register_blueprint(questionnaires_bp, url_prefix="/admin/questionnaires")
    # Both carry public pages (/r/…, /complaints/…) and staff pages (/admin/…), so no prefix.
    app.register_blueprint(realtime_bp)
    app.register_blueprint(casework_bp)  # /admin/inbox: a department's one inbox of every kind of case
    app.register_blueprint(complaints_bp)
    app.register_blueprint(casework_rates_bp)  # /admin/casework/rates
    app.register_blueprint(callbacks_bp)  # /admin/callbacks/… for staff, /c/<token> for raisers
    app.register_blueprint(forum_bp)  # /admin/forum (organisers), /f/… (the invited enterprises)
    app.register_blueprint(assessment_bp, url_prefix="/admin/assessment")
    app.register_blueprint(audit_bp, url_prefix="/admin/audit")
    app.register_blueprint(users_bp)  # /admin/users/… for admins, /account/password for everybody
    from app.forum.ledger_routes import bp as forum_ledger_bp
    app.register_blueprint(forum_ledger_bp)  # /forum/ledger (public), /admin/forum/meetings/<id>/report, agenda
    from app.policy.routes import bp as policy_bp
    app.register_blueprint(policy_bp, url_prefix="/admin/policy")  # the policy officer's catalogue
    from app.policy.push_routes import bp as policy_push_bp
    app.register_blueprint(policy_push_bp)  # /admin/policy/push/… (policy officers), /p/<token> (the enterprise)
    from app.policy_window.public_routes import bp as policy_window_public_bp
    app.register_blueprint(policy_window_public_bp)  # /w/… the enterprise's applications, tracking, questions
    from app.profiles.routes import bp as profiles_bp
    app.register_blueprint(profiles_bp, url_prefix="/admin/profiles")
    from app.policy.public_routes import bp as policy_public_bp
    app.register_blueprint(policy_public_bp)  # /policies (public catalogue and self-check)
    from app.policy_window.stats_routes import bp as policy_stats_bp
    app.register_blueprint(policy_stats_bp)  # /admin/window/stats: the window's statistics (policy, window staff)
    from app.policy_window.routes import bp as policy_window_bp
    app.register_blueprint(policy_window_bp, url_prefix="/admin/window")  # window staff: queue, intake, consultations
    from app.policy_window.decision_routes import bp as policy_decisions_bp
    app.register_blueprint(policy_decisions_bp)  # /admin/window/decisions/…: decide, review, pay, receipt
    from app.policy_window.automatic_routes import bp as policy_automatic_bp
    app.register_blueprint(policy_automatic_bp)  # /admin/window/automatic/…: 免申即享 lists and batches


def register_hooks(app: Flask) -> None:
    from app.platform.access import enforce_access
    from app.platform.security import set_security_headers

    app.before_request(enforce_access)
    app.after_request(set_security_headers)


def register_errorhandlers(app: Flask) -> None:
    from app.platform.errors import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from app.platform.access import role_label
    from app.platform.assets import asset_url
    from app.platform.calendar import local_day, local_time
    from app.platform.dates import filter_range
    from app.platform.i18n import html_lang, select_locale
    from app.pool.service import stratum_label
    from app.questionnaires.places import change_text, literal, problem_place, problem_text

    app.jinja_env.globals.update(
        role_label=role_label,
        asset_url=asset_url,
        date_filter_range=filter_range,  # min and max of the report filters' date inputs (issue 24, finding 9)
        stratum_label=stratum_label,
        current_locale=select_locale,
        html_lang=html_lang,
        languages=lambda: app.config["LANGUAGES"],
        # A questionnaire's problems (the builder's, the preview's, an import's) said in the reader's language.
        problem_place=problem_place, problem_text=problem_text, literal=literal, change_text=change_text,
    )

    # Every moment on a page in the city's local time and the one format (app.platform.calendar.local_time).
    app.jinja_env.filters.update(local_time=local_time, local_day=local_day)

    @app.context_processor
    def inject_request_path():
        return {"request_path": request.path}


def register_commands(app: Flask) -> None:
    from app.cli import register

    register(app)


def configure_logging(app: Flask) -> None:
    from app.platform.log_masking import mask_secret_paths_in_logs

    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Personal link tokens and the other secret-bearing paths never reach a log: the development server's
    # request log, Flask's "Exception on <path>", and gunicorn's logs in its workers (issue 24, finding 6).
    mask_secret_paths_in_logs("werkzeug", app.logger, "gunicorn.access", "gunicorn.error")
