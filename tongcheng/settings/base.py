"""Base settings, configured from the environment (see README "Configuration")."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
# A development key is acceptable only while DEBUG is on; production.py refuses to start without a real one.
SECRET_KEY = os.environ.get(
    "SECRET_KEY", "dev-only-insecure-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz"
)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "simple_history",
    "axes",
    "ninja",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "tongcheng.core",
    "tongcheng.kit.scopecache",
    "tongcheng.kit.attachments",
    "tongcheng.kit.workflow",
    "tongcheng.core.calendar",
    "tongcheng.kit.jobs",
    "tongcheng.kit.notifications",
    "tongcheng.kit.ledger",
    "tongcheng.cooperation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "tongcheng.kit.middleware.PermissionsPolicyMiddleware",
    "tongcheng.kit.middleware.RequestIdMiddleware",
    # Before the session middleware, which would look the (NUL-bearing) session key up in the database.
    "tongcheng.kit.middleware.RejectNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "tongcheng.kit.middleware.SessionTouchMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tongcheng.core.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Inside the CSRF middleware: it fills the request's token into a page answered from the list cache.
    "tongcheng.kit.pagecache.PageCacheMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as axes asks: it turns a sign-in refused for lockout into the 429 lock page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tongcheng.urls"
WSGI_APPLICATION = "tongcheng.wsgi.application"
ASGI_APPLICATION = "tongcheng.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "tongcheng" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "tongcheng.core.context_processors.navigation",
                "tongcheng.core.context_processors.language_switch",
                "tongcheng.kit.notifications.context_processors.unread_notifications",
            ],
        },
    }
]

# SQLite (WAL) is the embedded default so that `make run` needs nothing installed;
# DATABASE_URL selects PostgreSQL in CI and production.
DEFAULT_SQLITE = BASE_DIR / "db" / "tongcheng.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DEFAULT_SQLITE}"),
        conn_max_age=60,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# The lockout backend (a django-axes backend) refuses a locked pair and counts the attempt before
# ModelBackend checks the password; see tongcheng/core/auth.py.
AUTHENTICATION_BACKENDS = [
    "tongcheng.core.auth.PairLockedAxesBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lockout, by the pair (username, client address) so that nobody can lock the real user out from elsewhere:
# LOGIN_FAILURE_LIMIT failures within the window lock the pair for LOGIN_LOCKOUT_MINUTES; each further
# LOGIN_FAILURE_LIMIT failures of the pair since its last successful sign-in (within
# LOGIN_LOCKOUT_MEMORY_DAYS) double the delay, up to LOGIN_LOCKOUT_MAX_MINUTES. A success clears the count.
LOGIN_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
LOGIN_LOCKOUT_MINUTES = int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15"))
LOGIN_LOCKOUT_MAX_MINUTES = 24 * 60
LOGIN_LOCKOUT_MEMORY_DAYS = 7
# Proxies in front of the app that append to X-Forwarded-For. 0: the client is REMOTE_ADDR, and the header,
# which any client can write, is ignored. Behind the TLS proxy set 1, else every client counts as the proxy.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
AXES_FAILURE_LIMIT = "tongcheng.core.auth.failure_limit"
AXES_COOLOFF_TIME = "tongcheng.core.auth.cool_off"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "tongcheng.core.auth.client_address"
AXES_HANDLER = "tongcheng.core.auth.PairLockedDatabaseHandler"
AXES_LOCKOUT_CALLABLE = "tongcheng.core.auth.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
AXES_RESET_ON_SUCCESS = True
# A lock lasts the time announced: attempts refused during it neither count nor restart it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# One row per failure: the growing delay is computed from these.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# axes' admin pages have no Chinese translation and assume an integer AXES_FAILURE_LIMIT; a pair is
# unlocked with `manage.py axes_reset_ip_username ADDRESS USERNAME`.
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False  # no start-up banner on every manage.py command

# Every personal API token expires; this is the default lifetime offered (1–365 days).
API_TOKEN_DEFAULT_DAYS = int(os.environ.get("API_TOKEN_DEFAULT_DAYS", "90"))

SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 3600)))
# Idle expiry: the clock restarts with each request, saved at most once a minute (kit SessionTouchMiddleware)
# rather than on every request, which would cost each request a write.
SESSION_SAVE_EVERY_REQUEST = False
TONGCHENG_SESSION_TOUCH_SECONDS = 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

LANGUAGE_CODE = "zh-hans"
# Each language named in itself: the switch in the header offers "English" in the Chinese UI, "中文" in the
# English UI.
LANGUAGES = [("zh-hans", "中文"), ("en", "English")]
# The kit is not an app of its own (its sub-apps are), so its catalogue is named here.
LOCALE_PATHS = [BASE_DIR / "tongcheng" / "locale", BASE_DIR / "tongcheng" / "kit" / "locale"]
LANGUAGE_COOKIE_NAME = "tongcheng_language"
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
# One date format per language, the same on lists, detail pages, histories and the audit log.
FORMAT_MODULE_PATH = ["tongcheng.formats"]
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "/media/"
# Attachments live in their own storage, never under MEDIA_ROOT and never served by a URL: they are
# downloaded only through the view that checks the owner (docs/kit/attachments.md, also for S3).
TONGCHENG_ATTACHMENTS_ROOT = Path(
    os.environ.get("TONGCHENG_ATTACHMENTS_ROOT", BASE_DIR / "db" / "attachments")
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "attachments": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": TONGCHENG_ATTACHMENTS_ROOT},
    },
}
WHITENOISE_USE_FINDERS = True

# Lists answered again from a versioned cache while nothing they read has changed (kit/pagecache.py).
TONGCHENG_PAGE_CACHE: str | None = os.environ.get("TONGCHENG_PAGE_CACHE", "default") or None
TONGCHENG_PAGE_CACHE_SECONDS = 600
# Per process; room for the scopes and the cached lists of a few hundred users (an entry is one page).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "OPTIONS": {"MAX_ENTRIES": 5000},
    }
}
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }

# --- Content-Security-Policy (django-csp) and Permissions-Policy -------------------------------------------
# Scripts come only from our own origin: no 'unsafe-inline' and no 'unsafe-eval' for scripts, ever, so that
# markup smuggled into a page as record text cannot run. Pages start their scripts from data-* attributes
# and json_script data; a template that truly needs an inline script writes nonce="{{ request.csp_nonce }}"
# on it, and only then does the header carry that request's nonce.
# Styles: ECharts, Bootstrap, htmx (its indicator <style> is off in base.html), Swagger UI and the admin set
# styles through the CSSOM (element.style), which CSP does not govern, so stylesheets and <style> come from
# our origin only. The one style attribute in markup is django-simple-history's admin history paginator
# (style="border-top: 0"), allowed by its hash (tests/core/test_security_headers.py re-checks it). Style
# attributes cannot run script; if a page ever needs many (e.g. ECharts' default tooltip markers),
# style-src-attr 'unsafe-inline' is an acceptable relaxation for styles -- never for scripts.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "style-src-attr": ["'unsafe-hashes'", "'sha256-XMXSevYjgSjXgRafBFDvtjwX+yyWLrxfso9DcNZ9UXM='"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 500
NINJA_PAGINATION_CLASS = "tongcheng.kit.pagination.BoundedPagination"

# The audit log model the kit writes (like AUTH_USER_MODEL): the kit imports no app.
TONGCHENG_AUDIT_MODEL = "core.AuditEntry"
# An action a rule does not declare is an error (not an empty result) while developing and testing.
TONGCHENG_STRICT_ACTIONS = DEBUG

TONGCHENG_METRO_AREA = os.environ.get("TONGCHENG_METRO_AREA", "nanjing")
TONGCHENG_LIST_PAGE_SIZE = 25
TONGCHENG_EXPORT_MAX_ROWS = 100_000

# Uploads (the import of an edited export). A larger body is refused before it is parsed and, should it
# declare less than it sends, while it streams in. Files over 2.5 MB go to a temporary file rather than
# memory; other form data may not exceed 2.5 MB (Django's defaults, stated here on purpose).
TONGCHENG_UPLOAD_MAX_BYTES = int(os.environ.get("TONGCHENG_UPLOAD_MAX_BYTES", str(20 * 1024 * 1024)))
FILE_UPLOAD_MAX_MEMORY_SIZE = int(2.5 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = int(2.5 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FILES = 10
# Rows read from one import (a file is read as a stream and checked in batches of TONGCHENG_IMPORT_BATCH_ROWS,
# so memory does not follow its length; bench/import_1m.py), the errors kept of one import (all are counted),
# and the checks of an .xlsx archive made before it is decompressed: expanded size, compression ratio and
# number of parts.
TONGCHENG_IMPORT_MAX_ROWS = int(os.environ.get("TONGCHENG_IMPORT_MAX_ROWS", "1000000"))
TONGCHENG_IMPORT_BATCH_ROWS = 2000
TONGCHENG_IMPORT_MAX_ERRORS = 1000
TONGCHENG_XLSX_MAX_EXPANDED_BYTES = 100 * 1024 * 1024
TONGCHENG_XLSX_MAX_RATIO = 100
TONGCHENG_XLSX_MAX_ENTRIES = 1_000

# Background jobs (README "Background jobs"): django-tasks with its database backend, so that SQLite and
# PostgreSQL both work and no broker is needed; `manage.py db_worker` runs them (`make run` starts one).
# An import of more than TONGCHENG_IMPORT_INLINE_MAX_ROWS rows runs as a job; smaller ones in the request.
# Finished jobs, their files and task results are purged after TONGCHENG_JOBS_KEEP_DAYS days.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
TONGCHENG_IMPORT_INLINE_MAX_ROWS = int(os.environ.get("TONGCHENG_IMPORT_INLINE_MAX_ROWS", "5000"))
TONGCHENG_JOBS_KEEP_DAYS = int(os.environ.get("TONGCHENG_JOBS_KEEP_DAYS", "30"))
TONGCHENG_JOBS_STORAGE = "default"  # the STORAGES alias that keeps job uploads and results (never public)

# Notifications are e-mailed once the change commits. Development prints them (console backend); production
# sets EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and EMAIL_HOST (a local relay answers at once).
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "tongcheng@localhost")
# The address of the site in links of e-mails (no trailing slash).
TONGCHENG_SITE_URL = os.environ.get("TONGCHENG_SITE_URL", "http://127.0.0.1:8000")

# Names shown in the UI for the roles; kept here so every app uses the same wording.
ROLE_LABELS = {
    "office": _("Same-city office"),
    "officer": _("Department officer"),
    "clerk": _("Window clerk"),
    "finance": _("Finance bureau"),
    "leader": _("Leader"),
    "auditor": _("Auditor"),
    "applicant": _("Applicant"),
}

# State-machine steps tell the people they concern through the in-app notifications (and e-mail).
WORKFLOW_NOTIFIER = "tongcheng.kit.notifications.services.notify"
