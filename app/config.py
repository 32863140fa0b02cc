"""Configuration read from the environment.

The defaults make the embedded mode just work: SQLite in ``instance/``, SMS to
the console outbox, rate limits in memory, jobs inline. Production mode
(``APP_ENV=production``) refuses to start with the development secret key.
"""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"

# Deliberately recognisable: production mode checks for it and refuses to start.
DEV_SECRET_KEY = "dev-only-secret-key-do-not-use-in-production"


def database_url(raw: str | None) -> str:
    """Return a SQLAlchemy URL, defaulting to SQLite in instance/ and using psycopg 3 for PostgreSQL."""
    if not raw:
        return f"sqlite:///{INSTANCE_DIR / 'beikaobei.sqlite3'}"
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix):]
    return raw


# Every staff role (app.accounts.models.Role), by name: production's default for TWO_FACTOR_ROLES.
STAFF_ROLES = ("admin", "designer", "operator", "hr", "liaison", "complaints", "forum", "policy", "window", "auditor")


def role_list(raw: str | None, default: tuple[str, ...] = ()) -> frozenset[str]:
    """The roles named in a comma-separated setting (``default`` when unset); an unknown name stops the start."""
    if raw is None:
        return frozenset(default)
    roles = frozenset(part.strip().lower() for part in raw.split(",") if part.strip())
    unknown = sorted(roles - set(STAFF_ROLES))
    if unknown:
        raise RuntimeError(f"TWO_FACTOR_ROLES names unknown roles: {', '.join(unknown)} "
                           f"(known: {', '.join(STAFF_ROLES)})")
    return roles


class Config:
    """Settings shared by every mode; each value can be overridden by an environment variable."""

    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY") or DEV_SECRET_KEY
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("DATABASE_URL"))
    # hide_parameters: a database error's message never carries the values of its statement (phone numbers,
    # names, answers) into the log.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}
    REDIS_URL = os.environ.get("REDIS_URL") or None
    # The address the public reaches this site at (https://pj.example.gov.cn). Links that leave the site — the QR
    # posters, the demo's SMS outbox — are built on it; unset, they follow the address of the request.
    PUBLIC_BASE_URL = (os.environ.get("PUBLIC_BASE_URL") or "").rstrip("/") or None
    SMS_BACKEND = os.environ.get("SMS_BACKEND", "console")
    SMS_SIGN_NAME = os.environ.get("SMS_SIGN_NAME", "")
    # Gateway settings (SMS_ALIYUN_*, SMS_TENCENT_*) are read from the environment too: see docs/SMS.md.
    SMS_DAILY_CAP_PER_NUMBER = 3
    SMS_MAX_ATTEMPTS = 3
    SMS_RETRY_BACKOFF_SECONDS = 5.0
    # Invitations claimed and sent per gateway round trip, and the pause between batches (the provider's rate).
    SMS_JOB_BATCH = int(os.environ.get("SMS_JOB_BATCH", "100"))
    SMS_BATCH_PAUSE_SECONDS = float(os.environ.get("SMS_BATCH_PAUSE_SECONDS", "1.0"))
    # Background jobs run on RQ when REDIS_URL is set (start `flask worker`), inline otherwise.
    JOBS_INLINE = not REDIS_URL
    # A Fernet key: when set, pool members' phone numbers are encrypted at rest (see app/platform/phones.py).
    PHONE_ENCRYPTION_KEY = os.environ.get("PHONE_ENCRYPTION_KEY") or None
    # Keys PHONE_ENCRYPTION_KEY replaced (comma-separated): still decrypt, never encrypt, until `flask phones rekey`.
    PHONE_ENCRYPTION_OLD_KEYS = os.environ.get("PHONE_ENCRYPTION_OLD_KEYS", "")
    # The key of the phone lookup hashes (64 hex digits; `flask phones show-index-key`). Unset, it is derived from
    # PHONE_ENCRYPTION_KEY; set it before the first key rotation, and never change it (see app/platform/phones.py).
    PHONE_INDEX_KEY = os.environ.get("PHONE_INDEX_KEY") or None

    # Rate limits live in Redis when there is one, so that every worker shares them.
    RATELIMIT_STORAGE_URI = REDIS_URL or "memory://"
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "beikaobei")
    RATELIMIT_HEADERS_ENABLED = True
    # All count refused credentials only (a successful login is no guess): per client, and per account and
    # client by the hour and the day. Guesses at one account from many addresses meet the back-off below.
    LOGIN_RATE_LIMIT = "10 per minute"
    LOGIN_ACCOUNT_CLIENT_RATE_LIMIT = "20 per hour;50 per day"
    # Wrong current passwords (own password page, second-factor set-up) per account and minute.
    LOGIN_ACCOUNT_RATE_LIMIT = "5 per minute"
    # issue 24, finding 4: a per-account back-off instead of a per-account cap anybody could fill. After this many
    # wrong passwords or codes at one account (from any address) within the window, logins from unknown devices
    # wait a delay that doubles with each further failure; a known device (one that completed a full login, for
    # KNOWN_DEVICE_DAYS) does not wait. See docs/security-review/4-staff-lockout.md.
    LOGIN_BACKOFF_FREE_FAILURES = 5
    LOGIN_BACKOFF_FIRST_SECONDS = 60
    LOGIN_BACKOFF_MAX_SECONDS = 3600
    LOGIN_BACKOFF_WINDOW_HOURS = 24
    KNOWN_DEVICE_DAYS = int(os.environ.get("KNOWN_DEVICE_DAYS", "90"))
    # Wrong second-factor codes per account from any address: only somebody who has the password gets this far,
    # so a day's cap cannot be used to lock out an owner whose password is still secret.
    LOGIN_CODE_ACCOUNT_RATE_LIMIT = "10 per hour;20 per day"
    # issue 24, finding 5: words a password must not be built on besides the usernames (comma-separated): the
    # platform's names; add the city's name in pinyin and in characters (e.g. ",jiangcheng,江城").
    PASSWORD_SITE_WORDS = os.environ.get(
        "PASSWORD_SITE_WORDS", "beikaobei,背靠背,bkb,beikaobeipingjia,背靠背评价")
    # A staff session ends after this long without a request, and this long after the login in any case.
    STAFF_IDLE_MINUTES = int(os.environ.get("STAFF_IDLE_MINUTES", "30"))
    STAFF_SESSION_MAX_HOURS = int(os.environ.get("STAFF_SESSION_MAX_HOURS", "12"))
    # Roles whose accounts must log in with a second factor (TOTP, app/accounts/two_factor.py): none in the
    # embedded demo, every staff role in production; any account may enrol of its own accord.
    TWO_FACTOR_ROLES = role_list(os.environ.get("TWO_FACTOR_ROLES"))
    # Respondents: a personal link per client.
    SURVEY_TOKEN_RATE_LIMIT = "30 per minute"
    # issue 24, finding 2: typed access codes, WRONG codes only (app/survey/code_limits.py), moving windows, the
    # longer ones the back-off. Per client (IPv4 address, IPv6 /64); per network (IPv4 /24, IPv6 /48); per code
    # prefix (its first characters, as a keyed hash) from any address. No cap across all clients: nobody's
    # guessing can shut the page for the respondents. The arithmetic: docs/security-review/2-access-code-page.md.
    ACCESS_CODE_RATE_LIMIT = "10 per minute;30 per hour;100 per day"
    ACCESS_CODE_NETWORK_RATE_LIMIT = "100 per hour;300 per day"
    ACCESS_CODE_PREFIX_LENGTH = 4
    ACCESS_CODE_PREFIX_RATE_LIMIT = "10 per hour;30 per day"

    # issue 24, finding 1: the small-group rule (app/platform/small_groups.py). A department's liaison sees no
    # figure resting on fewer than this many raters or complainants, on any channel; 5 is DESIGN.md's floor.
    SMALL_GROUP_K = max(5, int(os.environ.get("SMALL_GROUP_K", "5")))

    # Real-time ratings and the complaints centre (docs/REALTIME_AND_COMPLAINTS.md).
    REALTIME_CLIENT_RATE_LIMIT = os.environ.get("REALTIME_CLIENT_RATE_LIMIT", "20 per hour")
    REALTIME_POINT_RATE_LIMIT = os.environ.get("REALTIME_POINT_RATE_LIMIT", "60 per minute")
    REALTIME_SMS_CODE_RATE_LIMIT = "5 per hour"
    # Per number too, whatever address asks: nobody can flood somebody's phone with codes (key: a keyed hash).
    REALTIME_SMS_CODE_PER_PHONE_LIMIT = os.environ.get("REALTIME_SMS_CODE_PER_PHONE_LIMIT", "3 per hour")
    REALTIME_SMS_CODE_TTL_MINUTES = 10
    REALTIME_SMS_TEMPLATE_CODE = os.environ.get("REALTIME_SMS_TEMPLATE_CODE", "SMS_REALTIME_CODE")
    REALTIME_SMS_TEMPLATE_TEXT = "您正在评价政务服务，验证码${code}，10分钟内有效。"
    # The call-back check (回访抽查): the SMS with the raiser's one-time link, and the shuffled release's batch.
    CALLBACK_SMS_TEMPLATE_CODE = os.environ.get("CALLBACK_SMS_TEMPLATE_CODE", "SMS_CALLBACK_CHECK")
    CALLBACK_SMS_TEMPLATE_TEXT = "您反映的事项已办结。为核实办理情况，请匿名回答三个问题（约1分钟，仅可提交一次）：${link}"
    CALLBACK_RELEASE_BATCH = 10
    # 兑现回访 (a delivery check): its own message, as its questions are about a policy application paid or delivered.
    CALLBACK_DELIVERY_SMS_TEMPLATE_CODE = os.environ.get("CALLBACK_DELIVERY_SMS_TEMPLATE_CODE",
                                                         "SMS_CALLBACK_DELIVERY")
    CALLBACK_DELIVERY_SMS_TEMPLATE_TEXT = ("您申请的惠企政策已兑现。为核实是否到位，请匿名回答四个问题（约1分钟，"
                                           "仅可提交一次）：${link}")
    # Bursts flagged for review: this many ratings from one client within the window (all points) …
    REALTIME_BURST_CLIENT_COUNT = 5
    REALTIME_BURST_CLIENT_MINUTES = 60
    # … or this many at one service point within the window.
    REALTIME_BURST_POINT_COUNT = 10
    REALTIME_BURST_POINT_MINUTES = 10
    # issue 24, finding 8: limits by client address that do not rely on the device cookie: ratings of one point
    # a (local) day, and ratings of any points within a minute; the refused one gets a 429 with the reason.
    REALTIME_CLIENT_POINT_DAILY_MAX = int(os.environ.get("REALTIME_CLIENT_POINT_DAILY_MAX", "5"))
    REALTIME_CLIENT_PER_MINUTE_MAX = int(os.environ.get("REALTIME_CLIENT_PER_MINUTE_MAX", "5"))
    REALTIME_FOLLOW_UP_WORKDAYS = int(os.environ.get("REALTIME_FOLLOW_UP_WORKDAYS", "5"))
    # Bayesian average of the channel: a department's mean shrinks toward the city mean with this weight.
    REALTIME_PRIOR_WEIGHT = float(os.environ.get("REALTIME_PRIOR_WEIGHT", "10"))
    COMPLAINT_INTAKE_RATE_LIMIT = "5 per hour"
    COMPLAINT_TRACK_RATE_LIMIT = "20 per hour"
    POLICY_SELF_CHECK_RATE_LIMIT = os.environ.get("POLICY_SELF_CHECK_RATE_LIMIT", "30 per hour")  # public self-check
    COMPLAINT_DEADLINE_WORKDAYS = int(os.environ.get("COMPLAINT_DEADLINE_WORKDAYS", "10"))
    COMPLAINT_ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
    COMPLAINT_ATTACHMENT_MAX_FILES = 5
    # A policy's document (PDF, DOC, DOCX, OFD or an image), kept in the database with the policy.
    POLICY_ATTACHMENT_MAX_BYTES = int(os.environ.get("POLICY_ATTACHMENT_MAX_BYTES", str(20 * 1024 * 1024)))
    COMPLAINT_ATTACHMENT_DIR = os.environ.get("COMPLAINT_ATTACHMENT_DIR") or str(INSTANCE_DIR / "attachments")
    # Deductions in the assessment composite: points per substantiated complaint, capped per department.
    COMPLAINT_DEDUCTION_POINTS = float(os.environ.get("COMPLAINT_DEDUCTION_POINTS", "1"))
    COMPLAINT_DEDUCTION_CAP = float(os.environ.get("COMPLAINT_DEDUCTION_CAP", "5"))
    # A complaint from the same phone about the same department within this many days is a repeat.
    COMPLAINT_REPEAT_DAYS = 365
    # The casework engine (docs/CASEWORK.md), for every kind of case: closing without the raiser needs this many
    # recorded failed attempts to reach them, then a supervisor's sign-off; an unsatisfied raiser may reopen
    # within this many days; a department has acknowledged in time (响应) within this many working days.
    CASEWORK_CONTACT_ATTEMPTS = int(os.environ.get("CASEWORK_CONTACT_ATTEMPTS", "3"))
    CASEWORK_REOPEN_DAYS = int(os.environ.get("CASEWORK_REOPEN_DAYS", "15"))
    CASEWORK_ACKNOWLEDGE_WORKDAYS = int(os.environ.get("CASEWORK_ACKNOWLEDGE_WORKDAYS", "1"))
    # The reminder (督办) a department's liaisons receive by SMS when a case is reminded.
    CASEWORK_REMINDER_TEMPLATE_CODE = os.environ.get("CASEWORK_REMINDER_TEMPLATE_CODE", "SMS_CASE_REMINDER")
    CASEWORK_REMINDER_TEMPLATE_TEXT = "【督办】贵单位办理的${kind}${number}${when}，请登录平台“待办”及时办理。"
    # 满意率 = (满意 + weight × 基本满意) / valid verdicts.
    CASEWORK_BASICALLY_SATISFIED_WEIGHT = float(os.environ.get("CASEWORK_BASICALLY_SATISFIED_WEIGHT", "0.9"))
    # The entrepreneurs' forum: the default deadline of a problem's assignment (交办), in working days.
    FORUM_DEADLINE_WORKDAYS = int(os.environ.get("FORUM_DEADLINE_WORKDAYS", "15"))
    # The pool categories (keys) whose members are enterprises: the frame of a meeting's random invitations.
    FORUM_ENTERPRISE_CATEGORIES = tuple(
        key.strip() for key in os.environ.get("FORUM_ENTERPRISE_CATEGORIES", "large_enterprise,sme").split(",")
        if key.strip())
    # The forum's SMS: the invitation with the enterprise's personal link, and news of one of its problems.
    FORUM_SMS_INVITE_TEMPLATE_CODE = os.environ.get("FORUM_SMS_INVITE_TEMPLATE_CODE", "SMS_FORUM_INVITE")
    FORUM_SMS_INVITE_TEMPLATE_TEXT = "${name}：诚邀贵企业参加${date}召开的企业家恳谈会。答复是否参会、提交诉求请点击 ${link}"
    FORUM_SMS_NEWS_TEMPLATE_CODE = os.environ.get("FORUM_SMS_NEWS_TEMPLATE_CODE", "SMS_FORUM_NEWS")
    FORUM_SMS_NEWS_TEMPLATE_TEXT = "贵企业在企业家恳谈会反映的诉求${number}${news}，详情请点击 ${link}"
    # Working-day calendar: weekday holidays and weekend make-up days (调休), ISO dates, comma-separated.
    WORKDAY_HOLIDAYS = os.environ.get("WORKDAY_HOLIDAYS", "")
    WORKDAY_EXTRA_WORKDAYS = os.environ.get("WORKDAY_EXTRA_WORKDAYS", "")

    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = {"zh": "简体中文", "en": "English"}

    # The largest request: the complaint form takes 5 attachments of 5 MB each, plus its text.
    MAX_CONTENT_LENGTH = 32 * 1024 * 1024
    # Imported files (departments, the pool, questionnaires) are read in memory; 16 MB is far above a
    # 100,000-row CSV. A larger one is refused on the form with this limit named.
    IMPORT_MAX_BYTES = 16 * 1024 * 1024
    # An XLSX is a zip: refuse archives whose members would unpack to more than this.
    IMPORT_MAX_UNCOMPRESSED_BYTES = 256 * 1024 * 1024
    # An uploaded pool file waits this long between its preview and its commit.
    STAGED_IMPORT_TTL_HOURS = 24

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    WTF_CSRF_TIME_LIMIT = 8 * 3600  # a working day; forms left open over lunch still submit

    HTTPS = False  # production sets Secure cookies and HSTS
    # Submitted responses join the table in shuffled batches of at least this many (see SealedResponse).
    RESPONSE_RELEASE_BATCH = 10
    # A draw may not invite fewer than this many people in a stratum (responses keep their stratum).
    MIN_STRATUM_SAMPLE = 5
    # How many reverse proxies stand in front (0: none). Their X-Forwarded-For gives the client's address.
    PROXY_FIX_X_FOR = int(os.environ.get("PROXY_FIX_X_FOR", "0"))

    # `flask backup create` writes here unless given --output (the files hold personal data: see docs).
    BACKUP_DIR = os.environ.get("BACKUP_DIR") or str(INSTANCE_DIR / "backups")
    # `flask retention purge`: personal data of members who left the pool (paused or opted out) this many days
    # ago, and complainants' contact details of complaints closed or declined this many days ago, are erased.
    RETENTION_LEFT_MEMBER_DAYS = int(os.environ.get("RETENTION_LEFT_MEMBER_DAYS", "365"))
    COMPLAINT_CONTACT_RETENTION_DAYS = int(os.environ.get("COMPLAINT_CONTACT_RETENTION_DAYS", "730"))
    CALLBACK_RETENTION_DAYS = int(os.environ.get("CALLBACK_RETENTION_DAYS", "90"))
    # issue 24, finding 7: the hashes of a closed round's link tokens and access codes are deleted this many days
    # after its closing day (the appeal period; until then a disputed link can still be traced to its
    # invitation). The round's invitations, submission marks, responses and counts stay.
    ROUND_APPEAL_DAYS = int(os.environ.get("ROUND_APPEAL_DAYS", "30"))
    # Precise push of policy items (app.policy.push): the SMS to an enterprise an item may fit, the one asking an
    # enterprise whose data are missing or stale to update them, how long its personal link (/p/<token>) works,
    # and how often one client may open such links.
    POLICY_SMS_PUSH_TEMPLATE_CODE = os.environ.get("POLICY_SMS_PUSH_TEMPLATE_CODE", "SMS_POLICY_PUSH")
    POLICY_SMS_PUSH_TEMPLATE_TEXT = "【惠企政策】${name}：贵企业可能符合“${item}”，条件、材料和办理窗口请点击 ${link}"
    POLICY_SMS_UPDATE_TEMPLATE_CODE = os.environ.get("POLICY_SMS_UPDATE_TEMPLATE_CODE", "SMS_POLICY_UPDATE")
    POLICY_SMS_UPDATE_TEMPLATE_TEXT = ("【惠企政策】${name}：“${item}”可能适用于贵企业，但所需企业信息缺失或已过期，"
                                       "暂无法判断。需补充的信息和办理窗口请点击 ${link}")
    POLICY_LINK_DAYS = int(os.environ.get("POLICY_LINK_DAYS", "90"))
    POLICY_LINK_RATE_LIMIT = "30 per minute"
    # Enterprise profiles (企业画像): a yearly figure (size, revenue, employees, tax, R&D ratio) last updated more
    # than this many days ago is stale, and a rule that reads it cannot be decided ("missing data"): 548 ≈ 18 months.
    POLICY_PROFILE_STALE_DAYS = int(os.environ.get("POLICY_PROFILE_STALE_DAYS", "548"))
    # The policy window (app.policy_window): one SMS per step of an application, with its tracking link.
    POLICY_SMS_CASE_TEMPLATE_CODE = os.environ.get("POLICY_SMS_CASE_TEMPLATE_CODE", "SMS_POLICY_CASE")
    POLICY_SMS_CASE_TEMPLATE_TEXT = "【惠企政策】贵企业的申请${number}${news}，详情请点击 ${link}"
    # A question asked online gets its answer by one SMS with the question's tracking link.
    POLICY_SMS_ANSWER_TEMPLATE_CODE = os.environ.get("POLICY_SMS_ANSWER_TEMPLATE_CODE", "SMS_POLICY_ANSWER")
    POLICY_SMS_ANSWER_TEMPLATE_TEXT = "【惠企政策】您咨询的问题已答复，详情请点击 ${link}"
    # The enterprise's side of the window (/w/…): its tracking page, online applications and questions.
    POLICY_WINDOW_LINK_RATE_LIMIT = "30 per minute"
    POLICY_WINDOW_FORM_RATE_LIMIT = "10 per hour;30 per day"  # asking for a code, asking a question (per client)
    POLICY_SMS_CODE_TEMPLATE_CODE = os.environ.get("POLICY_SMS_CODE_TEMPLATE_CODE", "SMS_POLICY_CODE")
    POLICY_SMS_CODE_TEMPLATE_TEXT = "【惠企政策】您的验证码为${code}，10分钟内有效，用于网上申报惠企政策。"
    POLICY_SMS_CODE_TTL_MINUTES = 10
    POLICY_SMS_CODE_ATTEMPTS = 5


class DevelopmentConfig(Config):
    """The embedded default used by `make run`."""


class ProductionConfig(Config):
    """Behind a TLS-terminating reverse proxy; see the README's deployment notes."""

    ENV_NAME = "production"
    PROXY_FIX_X_FOR = int(os.environ.get("PROXY_FIX_X_FOR", "1"))
    HTTPS = True
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    TWO_FACTOR_ROLES = role_list(os.environ.get("TWO_FACTOR_ROLES"), STAFF_ROLES)


class TestConfig(Config):
    """The test suite: SQLite unless TEST_DATABASE_URL names another database."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key"
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("TEST_DATABASE_URL") or "sqlite://")
    RATELIMIT_KEY_PREFIX = f"beikaobei-test-{os.getpid()}"
    JOBS_INLINE = True
    RESPONSE_RELEASE_BATCH = 1  # tests look at each response at once; the batching has tests of its own
    SMS_RETRY_BACKOFF_SECONDS = 0.0
    SMS_BATCH_PAUSE_SECONDS = 0.0
    TWO_FACTOR_ROLES: frozenset[str] = frozenset()  # tests that need it set it themselves


for _key in ("SMS_ALIYUN_ACCESS_KEY_ID", "SMS_ALIYUN_ACCESS_KEY_SECRET", "SMS_ALIYUN_ENDPOINT", "SMS_ALIYUN_PROTOCOL",
             "SMS_TENCENT_SECRET_ID", "SMS_TENCENT_SECRET_KEY", "SMS_TENCENT_APP_ID", "SMS_TENCENT_REGION",
             "SMS_TENCENT_ENDPOINT", "SMS_TENCENT_PROTOCOL"):
    if os.environ.get(_key):
        setattr(Config, _key, os.environ[_key])

CONFIGS = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestConfig,
}


def config_from_env() -> type[Config]:
    """Pick the configuration class named by APP_ENV (development by default)."""
    name = os.environ.get("APP_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"APP_ENV must be one of {', '.join(CONFIGS)}, not {name!r}") from None
