"""The one settings module of First Line. Every value comes from a FIRSTLINE_* variable.

Modes (FIRSTLINE_MODE):
- ``production`` (default): secrets and hosts are required; start-up stops naming what is missing.
- ``demo``: `make run`; generated secrets under var/, two-factor may be skipped, a banner says so.
- ``development``: like demo without the demo accounts' two-factor exemption.
- ``test``: the test suite; fast password hasher, tasks run immediately.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url

from firstline.core.env import (
    MissingSetting,
    env_bool,
    env_int,
    env_list,
    env_required,
    env_str,
    env_time,
)

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(PROJECT_DIR / "var")))

MODE = env_str("MODE", "production")
if MODE not in {"production", "demo", "development", "test"}:
    raise MissingSetting(
        f"FIRSTLINE_MODE must be production, demo, development or test, not {MODE!r}"
    )
DEMO_MODE = MODE == "demo"
RELAXED = MODE in {"demo", "development", "test"}  # secrets may be generated locally
TESTING = MODE == "test"
DEBUG = env_bool("DEBUG", False)


def _local_secret(name: str) -> str:
    """A secret kept under var/ so demo sessions survive restarts; never used in production."""
    path = VAR_DIR / f".{name}"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


if RELAXED:
    SECRET_KEY = env_str("SECRET_KEY") or (
        "test-secret-key-not-for-production" if TESTING else _local_secret("secret_key")
    )
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
else:
    SECRET_KEY = env_required("SECRET_KEY", "it signs sessions and tokens")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
    if not ALLOWED_HOSTS:
        raise MissingSetting(
            "Set FIRSTLINE_ALLOWED_HOSTS to the comma-separated host names this node answers to"
        )

SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")
NODE_NAME = env_str("NODE_NAME", "First Line demo node" if DEMO_MODE else "First Line")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "firstline.core",
    "firstline.accounts",
    "firstline.directory",
    "firstline.audit",
    "firstline.exchange",
    "firstline.accounts.admin_apps.FirstLineAdminConfig",  # django.contrib.admin behind the policy
    "firstline.coordination",
    "firstline.knowledge",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_tasks",
    "django_tasks_db",
    "ninja",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "firstline.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "firstline.accounts.middleware.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "firstline.core.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "firstline.urls"
WSGI_APPLICATION = "firstline.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "firstline.core.context.node",
            ],
        },
    },
]

# Database: SQLite (WAL) under var/ unless FIRSTLINE_DATABASE_URL names PostgreSQL.
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"].endswith("postgresql"):
        # the test database must not collide across concurrent CI runs of different suites
        DATABASES["default"].setdefault("TEST", {})
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(Path(env_str("SQLITE_PATH", str(VAR_DIR / "firstline.sqlite3")))),
            "OPTIONS": {
                # WAL lets readers proceed while one writer writes; IMMEDIATE takes the write
                # lock at BEGIN so two writers queue instead of failing mid-transaction.
                # Checkpoints every 4000 WAL pages (16 MiB) rather than SQLite's 1000: each
                # costs two fsyncs, and pages that every write touches (index edges, the audit
                # log's state) are copied once per checkpoint, not once per 1000 pages
                # (docs/decisions.md, section 4).
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                    " PRAGMA wal_autocheckpoint=4000;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            # keep each worker's connection: opening one (and its PRAGMAs) and closing it
            # cost more than a whole inbox page's queries (docs/decisions.md)
            "CONN_MAX_AGE": env_int("SQLITE_CONN_MAX_AGE", 600),
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

PASSWORD_HASHERS = (
    ["django.contrib.auth.hashers.MD5PasswordHasher"]  # tests only: argon2 costs ~140 ms
    if TESTING
    else ["django.contrib.auth.hashers.Argon2PasswordHasher"]
)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sessions and cookies: HttpOnly and SameSite always; Secure wherever TLS fronts the node.
SECURE_COOKIES = env_bool("SECURE_COOKIES", not RELAXED)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Strict"
SESSION_COOKIE_AGE = env_int("SESSION_SECONDS", 8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 0 if RELAXED else 31536000)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", not RELAXED) else None
)

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Lockout: after LOCKOUT_THRESHOLD failures the wait doubles from LOCKOUT_BASE_SECONDS.
LOCKOUT_THRESHOLD = env_int("LOCKOUT_THRESHOLD", 5)
LOCKOUT_BASE_SECONDS = env_int("LOCKOUT_BASE_SECONDS", 60)
LOCKOUT_MAX_SECONDS = env_int("LOCKOUT_MAX_SECONDS", 3600)
CLIENT_IP_HEADER = env_str("CLIENT_IP_HEADER", "")  # e.g. X-Forwarded-For, set by the TLS proxy
OTP_TOTP_ISSUER = NODE_NAME
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the admin never shows a device's secret or QR code

# Classification levels, lowest first (node-configurable).
CLASSIFICATION_LEVELS = env_list(
    "CLASSIFICATION_LEVELS", ["UNCLASSIFIED", "RESTRICTED", "CONFIDENTIAL"]
)

# Exchange: the node master key wraps every organisation's private keys (AES-256-GCM).
# Base64url of at least 32 random bytes; FIRSTLINE_MASTER_KEY_FILE may name a file holding it.
if TESTING:
    MASTER_KEY = env_str("MASTER_KEY") or secrets.token_urlsafe(32)  # one per test session
elif RELAXED:
    MASTER_KEY = env_str("MASTER_KEY") or _local_secret("master_key")
else:
    MASTER_KEY = env_required("MASTER_KEY", "it encrypts the organisations' private keys at rest")
EVALUATION_SCHEME = env_str("EVALUATION_SCHEME", "europol")  # europol (4x4) or admiralty (6x6)
if EVALUATION_SCHEME not in {"europol", "admiralty"}:
    raise MissingSetting("FIRSTLINE_EVALUATION_SCHEME must be europol or admiralty")
EXCHANGE_REFERENCE_PREFIX = env_str("EXCHANGE_REFERENCE_PREFIX", "")  # default: sender's country
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 2 * 1024**3)
ATTACHMENT_FORBIDDEN_EXTENSIONS = env_list(
    "ATTACHMENT_FORBIDDEN_EXTENSIONS",
    ["exe", "dll", "bat", "cmd", "com", "scr", "msi", "ps1", "vbs", "js", "jar", "sh", "hta"],
)

# Background work: django-tasks, database backend; run synchronously in tests.
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if TESTING
            else "django_tasks_db.DatabaseBackend"
        ),
    }
}
WORKER_HEARTBEAT_SECONDS = env_int("WORKER_HEARTBEAT_SECONDS", 30)
# The worker's daily duties (overdue digests, purge of unsent uploads) run on the first heartbeat
# after this time of day, node time (core/periodic.py).
DAILY_JOBS_AT = env_time("DAILY_JOBS_AT", "07:00")
# `firstline serve`: gunicorn's address (host:port or unix:/path) and its sync worker processes.
BIND = env_str("BIND", "127.0.0.1:8000")
WEB_WORKERS = env_int("WEB_WORKERS", 2)
READY_WORKER_MAX_AGE_SECONDS = env_int("READY_WORKER_MAX_AGE_SECONDS", 120)

# Internationalisation: English plus the region's languages.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("sq", "Shqip"),
    ("sr-latn", "Srpski (latinica)"),
    ("sr", "Српски (ћирилица)"),
    ("mk", "Македонски"),
    ("bs", "Bosanski"),
    ("hr", "Hrvatski"),
    ("cnr", "Crnogorski"),
    ("sl", "Slovenščina"),
]
LANGUAGE_COOKIE_NAME = "firstline_language"
LANGUAGE_COOKIE_SECURE = SECURE_COOKIES
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env_str("TIME_ZONE", "Europe/Belgrade")

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if RELAXED
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = RELAXED
if RELAXED:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing
MEDIA_ROOT = VAR_DIR / "media"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {
        "handlers": ["console"],
        "level": env_str("LOG_LEVEL", "WARNING" if TESTING else "INFO"),
    },
}

# E-mail: SMTP in production; the console in demo and development; in memory in tests.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.locmem.EmailBackend"
    if TESTING
    else "django.core.mail.backends.console.EmailBackend"
    if RELAXED
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("EMAIL_FROM", "First Line <no-reply@localhost>")

# Audit log (docs/audit.md): the Ed25519 key that signs tree heads (PEM; generate one with
# `firstline audit keygen`), how often heads are issued, and the reasons a user may give
# before a sensitive record is shown (comma-separated).
AUDIT_LOG_KEY = (
    env_str("LOG_KEY")
    if RELAXED
    else env_required("LOG_KEY", "the node's Ed25519 key (PEM) that signs the audit log")
)
AUDIT_STH_EVERY_ENTRIES = env_int("AUDIT_STH_EVERY_ENTRIES", 1000)
AUDIT_STH_EVERY_SECONDS = env_int("AUDIT_STH_EVERY_SECONDS", 300)
AUDIT_JUSTIFICATION_REASONS = env_list(
    "AUDIT_JUSTIFICATION_REASONS",
    [
        "Case work on this person",
        "Threat or risk assessment",
        "Request from a partner authority",
        "Checking data quality",
        "Data subject access request",
        "Supervision or audit",
    ],
)
