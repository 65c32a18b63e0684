"""One env-driven settings file.

Every value that differs between a laptop demo and production comes from the environment through
the strict helpers below; secrets are never in code. ``JIUYE_ENV=production`` turns the deploy
checks on and refuses to start without the secrets it needs.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("JIUYE_VAR_DIR", Path.cwd() / "var"))


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"environment variable {name} is required")
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean, got {raw!r}")


def env_number(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise ImproperlyConfigured(f"{name} must be positive, got {raw!r}")
    return value


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Exactly one of these: a mistyped value ("Production", "prod") must not fall back to the demo's
# relaxed settings, so anything else refuses to start.
ENVIRONMENTS = ("development", "production")
JIUYE_ENV = env_str("JIUYE_ENV", "development")
if JIUYE_ENV not in ENVIRONMENTS:
    raise ImproperlyConfigured(
        f"JIUYE_ENV must be one of {', '.join(ENVIRONMENTS)} (exactly), got {JIUYE_ENV!r}"
    )
PRODUCTION = JIUYE_ENV == "production"
# The demo relaxes second-factor enforcement and says so on screen.
DEMO_MODE = env_bool("JIUYE_DEMO", not PRODUCTION)
# Extra rule-set files (*.toml) a district adds without code (jiuye.standards.rulesets).
JIUYE_RULESETS_DIR = os.environ.get("JIUYE_RULESETS_DIR", "")
# A points table's pass mark per rule set, overriding the file's ("QG-2016=85"; "QG-2016=" for
# none: the assessor decides). DOMAIN §6: QG-2016 sets none, counties elsewhere use 85.
JIUYE_PASS_MARKS = env_list("JIUYE_PASS_MARKS")
# Monitoring (issue 15): the months the monthly roll-ups keep (jiuye.monitoring.rollups), the
# early-warning rule book (a TOML file like monitoring/warning_rules/default.toml; empty: that
# one) and the hour (local time) of the daily warnings run (jiuye.monitoring.tasks).
JIUYE_ROLLUP_MONTHS = int(env_number("JIUYE_ROLLUP_MONTHS", 36))
JIUYE_WARNING_RULES = os.environ.get("JIUYE_WARNING_RULES", "")
JIUYE_WARNINGS_HOUR = int(env_number("JIUYE_WARNINGS_HOUR", 1)) % 24
# Holiday files (YEAR.toml) for years chinesecalendar lacks (jiuye.lib.workdays).
JIUYE_HOLIDAYS_DIR = os.environ.get("JIUYE_HOLIDAYS_DIR", "")

if PRODUCTION:
    SECRET_KEY = env_str("JIUYE_SECRET_KEY")
    DEBUG = False
else:
    SECRET_KEY = env_str(
        "JIUYE_SECRET_KEY", "dev-only-insecure-key-not-for-production-use-0123456789"
    )
    DEBUG = env_bool("JIUYE_DEBUG", True)

# The audit chain and backup manifests are signed with this key (jiuye.lib.signing): keep it
# outside the database and its backups. Older keys still verify what they signed.
if PRODUCTION:
    JIUYE_AUDIT_KEY = env_str("JIUYE_AUDIT_KEY")
else:
    JIUYE_AUDIT_KEY = env_str("JIUYE_AUDIT_KEY", "dev-only-audit-key-not-for-production-use")
JIUYE_AUDIT_OLD_KEYS = env_list("JIUYE_AUDIT_OLD_KEYS")

ALLOWED_HOSTS = env_list("JIUYE_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("JIUYE_CSRF_TRUSTED_ORIGINS")
# The reverse proxies whose X-Forwarded-For names the client (addresses or networks, e.g.
# "127.0.0.1" for nginx on the same machine); none: the peer's address is the client's.
JIUYE_TRUSTED_PROXIES = env_list("JIUYE_TRUSTED_PROXIES")

INSTALLED_APPS = [
    # Before django.contrib.auth: its commands (createsuperuser) give way to jiuye's.
    "jiuye.accounts",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",  # the task queue's table; `jiuye db_worker` runs what is queued
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "ninja",  # serves Swagger UI for /api/docs from local static files, no CDN
    "jiuye.audit",
    "jiuye.units",
    "jiuye.registry",
    "jiuye.demo",
    "jiuye.casework",
    "jiuye.jobs",
    "jiuye.ledger",
    "jiuye.standards",
    "jiuye.certification",
    "jiuye.policies",
    "jiuye.monitoring",
    "jiuye.api",
    "jiuye.web",
    "jiuye.cluster",
]

MIDDLEWARE = [
    # The client's address from X-Forwarded-For, from trusted proxies only (jiuye.lib.proxy).
    "jiuye.lib.proxy.ForwardedForMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files from the web process itself (compressed, cached for ever once hashed): no
    # CDN, no separate static server needed (docs/serving.md).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "jiuye.accounts.middleware.SessionLimitsMiddleware",
    "jiuye.accounts.middleware.AccountPolicyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "jiuye.lib.security_headers.SecurityHeadersMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "jiuye.urls"
WSGI_APPLICATION = "jiuye.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "jiuye.web.context.site",
            ],
        },
    }
]

# The database is a Citus cluster's coordinator (docs/decisions.md, "A province on Citus"): the
# joins between district-owned tables equate district_id (jiuye.units.sharding) and
# `jiuye citus distribute` distributes the schema (jiuye.cluster).
JIUYE_CITUS = env_bool("JIUYE_CITUS", False)

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'jiuye.sqlite3'}"),
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The database holds personal data: its directory is the owner's only (the file itself is
    # made 0600 when a connection opens, jiuye.accounts.apps). A fresh clone has no var/ yet.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # WAL lets readers go on while an import writes; a busy timeout instead of "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # JIT compilation costs 0.15-0.8 s per indicator query over a district and saves nothing
    # at these sizes (measured in the classification work; see docs/decisions.md). A random
    # page read costs about what a sequential one does when the data sit in memory or on SSD:
    # with the default (4) the planner read a district's 23,000 unemployed to find a
    # community's 57 instead of probing its 3,000 persons (docs/decisions.md, "Planner costs").
    pg_options = DATABASES["default"].setdefault("OPTIONS", {})
    pg_options.setdefault("options", "-c jit=off -c random_page_cost=1.1")
    if JIUYE_CITUS:
        # A join of two distributed tables that does not equate district_id (SQL that joins a
        # status event to its person by person_id alone) runs as a repartition join, shuffling
        # rows between the workers, instead of being refused.
        pg_options["options"] += " -c citus.enable_repartition_joins=on"
        # The audit log is distributed with its append-only triggers on every shard
        # (cluster/layout.py): Citus only lets a session that asks for it create, enable or
        # disable a trigger of a distributed table (the upgrade that fills the districts lifts
        # them for its one transaction). Ours only raise, touching no other table: the
        # "unsafe" kind (a trigger reading other shards) is not among them.
        pg_options["options"] += " -c citus.enable_unsafe_triggers=on"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

PASSWORD_HASHERS = [
    "jiuye.accounts.passwords.Argon2PasswordHasher",  # Argon2id, 19 MiB (see the class)
    "django.contrib.auth.hashers.Argon2PasswordHasher",  # hashes made before: re-hashed at login
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "jiuye.accounts.passwords.CharacterClassValidator"},
]
PASSWORD_MAX_AGE_DAYS = 90
# The label authenticator apps show for the TOTP second factor.
OTP_TOTP_ISSUER = "jiuye"

# Sessions: idle timeout 30 minutes (sliding), absolute 12 hours (SessionLimitsMiddleware).
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_ABSOLUTE_SECONDS = 12 * 60 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# django-axes: 5 failures lock the account for 15 minutes, 20 failures across user names lock
# the client address (jiuye.accounts.lockout); an attempt during a lock does not extend it.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_HANDLER = "jiuye.accounts.lockout.LockoutHandler"
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_USERNAME_CALLABLE = "jiuye.accounts.lockout.client_username"
AXES_SENSITIVE_PARAMETERS = ["password", "username"]
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
# The account lock counts failures per user name from anywhere (the address limit is ours).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Production serves what `jiuye collectstatic` put in STATIC_ROOT (scripts/serve.sh runs it
# before the server starts): names carry a content hash (cached for ever) and gzip/brotli
# copies sit beside them. Elsewhere (tests, `make demo`, a checkout) the files are served
# straight from the source tree, so nothing breaks when no collectstatic was run.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
# Pages name the hashed files only ({% static %}): the unhashed copies (and their compressed
# twins, half of collectstatic's time) are not kept.
WHITENOISE_KEEP_ONLY_HASHED_FILES = True

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("JIUYE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("JIUYE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Every log line passes the masking filter: the root logger's and the request logs of the
# development server (django.server), whose lines hold the URL, query string included.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_personal": {"()": "jiuye.lib.masking.MaskingLogFilter"}},
    "formatters": {"server": {"format": "[{asctime}] {message}", "style": "{"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["mask_personal"]},
        "server": {
            "class": "logging.StreamHandler",
            "filters": ["mask_personal"],
            "formatter": "server",
        },
    },
    "loggers": {
        "django.server": {"handlers": ["server"], "level": "INFO", "propagate": False},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("JIUYE_LOG_LEVEL", "WARNING")},
}

# Long work (ledger checks and imports, the aggregates' rebuild after an import) runs as tasks
# queued in the database and run by `jiuye db_worker` beside the web server (scripts/serve.sh,
# docs/serving.md). Tests run them in the caller (tests/conftest.py: the immediate backend).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# A reader that finds today's deadline items unstored asks the task worker to store them
# (casework.deadlines.store); the tests turn it off and build the store they read.
DEADLINE_STORE_BUILD = True

# Ledger files and jobs (jiuye.ledger.readers.FileLimits, jiuye.ledger.jobs; issue 11, finding 5).
# A file is checked before anything in it is parsed: its size, and a workbook's member count,
# unpacked size and each member's compression ratio (a workbook's parts pack 2-25 to 1; a zip
# bomb 1000 to 1). A web upload (a community's workbook: a few MB) gets smaller limits than
# `jiuye import` on the server (a 1M-person district: 117 MB packed, about 1.3 GB unpacked).
LEDGER_MAX_FILE_MB = env_number("JIUYE_LEDGER_MAX_FILE_MB", 300)
LEDGER_MAX_UNPACKED_MB = env_number("JIUYE_LEDGER_MAX_UNPACKED_MB", 4096)
LEDGER_UPLOAD_MAX_FILE_MB = env_number("JIUYE_LEDGER_UPLOAD_MAX_FILE_MB", 50)
LEDGER_UPLOAD_MAX_UNPACKED_MB = env_number("JIUYE_LEDGER_UPLOAD_MAX_UNPACKED_MB", 512)
LEDGER_MAX_RATIO = env_number("JIUYE_LEDGER_MAX_RATIO", 100)
LEDGER_MAX_MEMBERS = int(env_number("JIUYE_LEDGER_MAX_MEMBERS", 1000))
# Uploaded checks and imports running at once across all background workers (one per user;
# the others queue): the cores of the 2-core machine class this runs on.
LEDGER_JOBS_RUNNING = int(env_number("JIUYE_LEDGER_JOBS_RUNNING", 2))
