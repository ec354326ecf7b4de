"""Settings for Pilar, read from the environment (see .env.example).

Every variable is parsed by a small typed helper that fails loudly on a malformed value.
"""

from __future__ import annotations

import os
import secrets
from email.utils import getaddresses
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

from pilar.lib.clientip import parse_networks

BASE_DIR = Path(__file__).resolve().parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def admins_from(raw: str) -> list[tuple[str, str]]:
    """`Name <a@b.go.id>, c@d.go.id` as Django's ADMINS."""
    admins = []
    for name, address in getaddresses([raw]) if raw.strip() else []:
        if "@" not in address or any(c.isspace() for c in address):
            raise ImproperlyConfigured(
                "PILAR_ADMINS must be e-mail addresses separated by commas, such as "
                f"'Name <name@example.go.id>', not {raw!r}"
            )
        admins.append((name or address, address))
    return admins


def database_from_url(url: str) -> dict:
    """Turn `postgres://user:pw@host:port/name?opt=v` or `sqlite:///path` into a DATABASES entry."""
    parts = urlsplit(url)
    options = dict(parse_qsl(parts.query))
    if parts.scheme in {"postgres", "postgresql", "pgsql"}:
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ImproperlyConfigured("DATABASE_URL names no database (postgres://host/NAME)")
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "OPTIONS": options,
            "CONN_MAX_AGE": int(options.pop("conn_max_age", 60)),
        }
    if parts.scheme == "sqlite":
        path = unquote(parts.path)
        if path.startswith("//") or path.startswith("/"):  # sqlite:////abs/path
            path = path[1:]
        return sqlite_database(Path(path))
    raise ImproperlyConfigured(f"DATABASE_URL scheme {parts.scheme!r} is not supported")


def sqlite_database(path: Path) -> dict:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
        # Tests use a file too: an in-memory database with shared cache answers concurrent
        # writers with "table is locked" instead of waiting as the real file does.
        "TEST": {"NAME": str(path.with_name(path.stem + "-test.sqlite3"))},
    }


DATA_DIR = Path(env_str("PILAR_DATA_DIR", str(BASE_DIR.parent / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        return key
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",  # serves the API docs' Swagger files locally instead of from a CDN
    "django_tasks",
    "django_tasks_db",
    "pilar.accounts",
    "pilar.audit",
    "pilar.regions",
    "pilar.offices",
    "pilar.registry",
    "pilar.imports",
    "pilar.kube",
    "pilar.casework",
    "pilar.dtsen",
    "pilar.verivali",
    "pilar.tagana",
    "pilar.stipends",
    "pilar.trainings",
    "pilar.equipment",
    "pilar.kinerja",
    "pilar.dashboard",
    "pilar.publik",
    "pilar.outcomes",
    "pilar.field",
    "pilar.notices",
    "pilar.backups",
    "pilar.api",
    "pilar.core",
]

MIDDLEWARE = [
    # First: every other middleware, view, log line and error page knows the request's id.
    "pilar.core.requestid.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "pilar.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "pilar.accounts.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "pilar.offices.services.OfficeMiddleware",
    "pilar.accounts.middleware.SessionIdleMiddleware",
    "pilar.accounts.middleware.UserLanguageMiddleware",
    "pilar.core.middleware.RefuseNulMiddleware",
    "pilar.core.middleware.RefuseControlCharactersMiddleware",
    "pilar.core.middleware.InputErrorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "pilar.urls"
WSGI_APPLICATION = "pilar.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "pilar.accounts.context_processors.access",
                "pilar.offices.context_processors.office",
                "pilar.core.context_processors.version",
                "pilar.notices.context_processors.bell",
            ],
        },
    },
]

_database_url = env_str("DATABASE_URL")
DATABASES = {
    "default": database_from_url(_database_url)
    if _database_url
    else sqlite_database(DATA_DIR / "pilar.sqlite3")
}
# A PostgreSQL read replica: the dashboard and list exports read from it (pilar/lib/replica.py,
# docs/SCALE.md). Empty: every query goes to the one database.
_replica_url = env_str("DATABASE_REPLICA_URL")
if _replica_url:
    DATABASES["replica"] = {
        **database_from_url(_replica_url),
        # Tests read the test database through a second connection.
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["pilar.lib.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Passwords: at least 8 characters, not like the username or name, not one of the 20,000
# commonest passwords, not digits only.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Indonesian first; English is the one other language. The language is the user's stored
# choice (or the cookie before login), never the browser's Accept-Language.
LANGUAGE_CODE = "id"
LANGUAGES = [("id", "Bahasa Indonesia"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Asia/Jakarta"
USE_THOUSAND_SEPARATOR = True
FORMAT_MODULE_PATH = ["pilar.formats"]

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("PILAR_STATIC_ROOT", str(DATA_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# A training's results page posts a result and a score per participant, its attendance page one
# field per person present: Django's default limit of 1000 fields refuses the results of a
# 500-person event with a bare 400 (22 October 2024 trained 360 pillars). 10 000 fields hold
# the results of a 4 900-person event; the body stays under DATA_UPLOAD_MAX_MEMORY_SIZE.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("PILAR_MANIFEST_STATIC", True)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Costly figures (the dashboard's) kept per server process until the next audited write
# (pilar/audit/cache.py); nothing else is cached, nothing is shared between requests through it.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

SESSION_COOKIE_HTTPONLY = True
# Served over HTTPS through a reverse proxy (docs/DEPLOY.md): cookies sent over HTTPS only,
# browsers told to use HTTPS only (HSTS, below), plain http redirected to https except /healthz,
# which monitoring may ask on the machine itself. The proxy must say that the request came over
# HTTPS (X-Forwarded-Proto). PILAR_SECURE_COOKIES, the older switch, still turns on the cookies
# and HSTS without the redirect.
PILAR_HTTPS = env_bool("PILAR_HTTPS", False)
SESSION_COOKIE_SECURE = PILAR_HTTPS or env_bool("PILAR_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = PILAR_HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz/?$"]
# The reverse proxies in front of Pilar (addresses or networks, e.g. 127.0.0.1,::1): only a
# request from one of them is believed about the client's address (X-Forwarded-For, for login
# throttling, the audit log and the access log: pilar/lib/clientip.py), its request id, and
# (by gunicorn) that it came over HTTPS. Empty: no forwarded address or id is believed, and
# gunicorn believes X-Forwarded-Proto from this machine only, as it always did.
PILAR_TRUSTED_PROXIES = env_list("PILAR_TRUSTED_PROXIES", [])
parse_networks(PILAR_TRUSTED_PROXIES)  # fails loudly on a malformed entry
# A session unused for this many hours is signed out. The expiry slides with use: it is moved
# forward at most once every PILAR_SESSION_REFRESH_SECONDS, so a busy session costs one write
# per interval instead of one per request (pilar.accounts.middleware.SessionIdleMiddleware).
PILAR_SESSION_IDLE_HOURS = env_int("PILAR_SESSION_IDLE_HOURS", 8)
if not 1 <= PILAR_SESSION_IDLE_HOURS <= 24 * 30:
    raise ImproperlyConfigured("PILAR_SESSION_IDLE_HOURS must be between 1 and 720")
SESSION_COOKIE_AGE = PILAR_SESSION_IDLE_HOURS * 3600
PILAR_SESSION_REFRESH_SECONDS = 300
# Behind HTTPS (secure cookies on): browsers are told to use HTTPS only for a year. Django sends
# the header on requests that arrived over HTTPS (gunicorn trusts X-Forwarded-Proto from
# PILAR_TRUSTED_PROXIES, or from this machine when that is empty).
SECURE_HSTS_SECONDS = 31_536_000 if SESSION_COOKIE_SECURE else 0
# The site's own subdomains are HTTPS too (pilar.example.go.id's, not the office's other sites).
# Not "preload": entering the browsers' preload list is a decision for the whole domain, taken
# by whoever runs it and hard to undo; so Django's reminder of it (W021) is silenced.
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Login throttling: this many failures for one username or one address within the window
# locks further attempts until the window has passed.
# Spreadsheet imports: the largest file and the most rows one import takes.
PILAR_IMPORT_MAX_MB = env_int("PILAR_IMPORT_MAX_MB", 25)
PILAR_IMPORT_MAX_ROWS = env_int("PILAR_IMPORT_MAX_ROWS", 100_000)
# A DTSEN extract has one row per person: a city's runs to a few hundred thousand.
PILAR_EXTRACT_MAX_ROWS = env_int("PILAR_EXTRACT_MAX_ROWS", 300_000)
# Files from this size on are read by a second process while the first decides (two cores).
PILAR_IMPORT_PARALLEL_BYTES = 1_000_000
# A background job (import, printing, payment batch) whose worker has not been heard of for
# this long is taken for gone and marked failed (see pilar/lib/jobs.py).
PILAR_JOB_STALE_SECONDS = env_int("PILAR_JOB_STALE_SECONDS", 300)
# A list export of this many rows or more is written by a background job (pilar/audit/exports.py)
# instead of streaming within the request; its files are kept a day in PILAR_EXPORT_DIR.
PILAR_EXPORT_BACKGROUND_FROM = env_int("PILAR_EXPORT_BACKGROUND_FROM", 50_000)
PILAR_EXPORT_DIR = Path(env_str("PILAR_EXPORT_DIR", str(DATA_DIR / "exports")))
# Backups (docs/BACKUP.md): where archives go, the local hour of the nightly one the task worker
# takes, how many nightly archives are kept (the newest of each of the last N days and of the
# last N weeks), and where PostgreSQL's pg_dump/pg_restore live (empty: found by themselves).
PILAR_BACKUP_DIR = Path(env_str("PILAR_BACKUP_DIR") or str(DATA_DIR / "backups"))
PILAR_BACKUP_HOUR = env_int("PILAR_BACKUP_HOUR", 1)
if not 0 <= PILAR_BACKUP_HOUR <= 23:
    raise ImproperlyConfigured("PILAR_BACKUP_HOUR must be an hour from 0 to 23")
PILAR_BACKUP_KEEP_DAILY = env_int("PILAR_BACKUP_KEEP_DAILY", 7)
PILAR_BACKUP_KEEP_WEEKLY = env_int("PILAR_BACKUP_KEEP_WEEKLY", 4)
if PILAR_BACKUP_KEEP_DAILY < 1 or PILAR_BACKUP_KEEP_WEEKLY < 0:
    raise ImproperlyConfigured("PILAR_BACKUP_KEEP_DAILY must be 1 or more, *_WEEKLY 0 or more")
PILAR_PG_BIN = env_str("PILAR_PG_BIN")
# /healthz: the task worker writes a heartbeat every 30 seconds; older than this it is taken
# for stopped (503). A last backup older than PILAR_BACKUP_WARN_HOURS is a warning (200).
PILAR_WORKER_STALE_SECONDS = env_int("PILAR_WORKER_STALE_SECONDS", 120)
PILAR_BACKUP_WARN_HOURS = env_int("PILAR_BACKUP_WARN_HOURS", 48)
PILAR_LOGIN_MAX_FAILURES = env_int("PILAR_LOGIN_MAX_FAILURES", 5)
PILAR_LOGIN_WINDOW_MINUTES = env_int("PILAR_LOGIN_WINDOW_MINUTES", 15)
# The public page, its open data and the public API (docs/PUBLIC.md): requests per client
# address and minute before a 429; 0 switches the limit off.
PILAR_PUBLIC_RATE_PER_MINUTE = env_int("PILAR_PUBLIC_RATE_PER_MINUTE", 60)

# Casework: the largest photo accepted from a phone.
PILAR_PHOTO_MAX_BYTES = env_int("PILAR_PHOTO_MAX_BYTES", 10 * 1024 * 1024)
# The offline app (docs/FIELD.md): a page copy kept on a pillar's phone is served for this many
# days at most after it was stored; an older copy is deleted instead (docs/PRIVACY.md).
PILAR_OFFLINE_DAYS = env_int("PILAR_OFFLINE_DAYS", 7)
if PILAR_OFFLINE_DAYS < 1:
    raise ImproperlyConfigured("PILAR_OFFLINE_DAYS must be at least 1")

# The office (docs/OFFICE.md). Everything from here to PILAR_PUBLIC_URL only SEEDS the office
# record on first start (the first migrate, or the first use of an emptied database); from
# then on the record rules, and an administrator changes it on the page "Office settings"
# (/office/), audited. Changing these variables later changes nothing.
# The area the office serves: the Kemendagri code of its kota/kabupaten or province (13.75 is
# Kota Bukittinggi). When the area tree does not hold it yet, the office starts without one.
PILAR_OFFICE_AREA = env_str("PILAR_OFFICE_AREA", "13.75")
# The day of the next month by which a monthly report is due (1–28; after it, a missing report
# shows as late).
PILAR_REPORT_DUE_DAY = env_int("PILAR_REPORT_DUE_DAY", 10)
# Tali kasih rules (docs/STIPENDS.md): a month is paid only when its monthly report is verified;
# pro-rated by the days served when set; cash for people without a bank account when allowed.
PILAR_STIPEND_REPORT_REQUIRED = env_bool("PILAR_STIPEND_REPORT_REQUIRED", True)
PILAR_STIPEND_PRORATE = env_bool("PILAR_STIPEND_PRORATE", False)
PILAR_STIPEND_CASH_ALLOWED = env_bool("PILAR_STIPEND_CASH_ALLOWED", False)
# The office, printed on letterheads and shown in the page header; the city written before
# the date of a signed document, and the title of the head who signs it.
PILAR_OFFICE_NAME = env_str("PILAR_OFFICE_NAME", "Dinas Sosial Kota Bukittinggi")
PILAR_OFFICE_ADDRESS = env_str("PILAR_OFFICE_ADDRESS", "Bukittinggi, Sumatera Barat")
PILAR_OFFICE_CITY = env_str("PILAR_OFFICE_CITY", "Bukittinggi")
PILAR_OFFICE_HEAD_TITLE = env_str("PILAR_OFFICE_HEAD_TITLE", "Kepala Dinas Sosial")
# The head's name as it is signed, degrees and titles included ("Dra. Rina Marlina, S.Sos,
# M.Si"), and NIP: printed whole under the signature (empty: a dotted line to write in).
PILAR_OFFICE_HEAD_NAME = env_str("PILAR_OFFICE_HEAD_NAME", "")
PILAR_OFFICE_HEAD_NIP = env_str("PILAR_OFFICE_HEAD_NIP", "")
# The treasurer who signs the payment list and the receipts of tali kasih: name, position, NIP.
PILAR_TREASURER_NAME = env_str("PILAR_TREASURER_NAME", "")
PILAR_TREASURER_TITLE = env_str("PILAR_TREASURER_TITLE") or "Bendahara Pengeluaran"
PILAR_TREASURER_NIP = env_str("PILAR_TREASURER_NIP", "")
# Who signs training certificates (name, title and NIP printed under the signature; by default
# the head of office), and the address at which the public reaches this server: a certificate's
# QR code opens PILAR_PUBLIC_URL/c/<code>/ on whoever scans it.
PILAR_CERTIFICATE_SIGNER_NAME = env_str("PILAR_CERTIFICATE_SIGNER_NAME") or PILAR_OFFICE_HEAD_NAME
PILAR_CERTIFICATE_SIGNER_TITLE = env_str("PILAR_CERTIFICATE_SIGNER_TITLE", PILAR_OFFICE_HEAD_TITLE)
# Another signer's NIP is not the head's: the head's NIP is the default only for the head.
PILAR_CERTIFICATE_SIGNER_NIP = env_str("PILAR_CERTIFICATE_SIGNER_NIP") or (
    PILAR_OFFICE_HEAD_NIP if PILAR_CERTIFICATE_SIGNER_NAME == PILAR_OFFICE_HEAD_NAME else ""
)
PILAR_PUBLIC_URL = env_str("PILAR_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")

# Error reports without personal data (pilar/core/errors.py, docs/DEPLOY.md "Errors"): to
# Sentry when SENTRY_DSN is set, else by e-mail to PILAR_ADMINS ("Name <a@b.go.id>, ...")
# through the mail server EMAIL_HOST, else only to the server log.
SENTRY_DSN = env_str("SENTRY_DSN")
SENTRY_ENVIRONMENT = env_str("SENTRY_ENVIRONMENT", "production")
ADMINS = admins_from(env_str("PILAR_ADMINS"))
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = 20
SERVER_EMAIL = env_str("SERVER_EMAIL", "pilar@localhost")
DEFAULT_FROM_EMAIL = SERVER_EMAIL
EMAIL_SUBJECT_PREFIX = "[Pilar] "

# Web push (docs/NOTICES.md, "Web push"). The VAPID key pair identifies this server to the
# browsers' push services: a private P-256 key, base64url (`python -m pilar.lib.webpush` prints
# a new one) or PEM; empty, Pilar makes one on first use and keeps it in
# PILAR_DATA_DIR/vapid-private.pem (mode 0600). Changing it later silences every phone that
# turned notifications on until it turns them on again.
PILAR_VAPID_PRIVATE_KEY = env_str("PILAR_VAPID_PRIVATE_KEY").strip()
if PILAR_VAPID_PRIVATE_KEY:
    from pilar.lib.webpush import load_private_key

    try:
        load_private_key(PILAR_VAPID_PRIVATE_KEY)
    except ValueError as error:
        raise ImproperlyConfigured(
            f"PILAR_VAPID_PRIVATE_KEY is not a P-256 private key (base64url or PEM): {error}"
        ) from None
# Who runs this server, for the push services to write to (RFC 8292): mailto:someone@office or
# the site's https address. Default: PILAR_PUBLIC_URL when it is https, else SERVER_EMAIL.
PILAR_VAPID_SUBJECT = env_str("PILAR_VAPID_SUBJECT").strip() or (
    PILAR_PUBLIC_URL if PILAR_PUBLIC_URL.startswith("https://") else f"mailto:{SERVER_EMAIL}"
)
if not PILAR_VAPID_SUBJECT.startswith(("mailto:", "https://")):
    raise ImproperlyConfigured(
        f"PILAR_VAPID_SUBJECT must start with mailto: or https://, not {PILAR_VAPID_SUBJECT!r}"
    )
# The push services' hosts Pilar may send to (a name, or *.domain for its subdomains), over
# https: a phone's subscription to any other address is refused, so no one can make the server
# post to a machine of the office's network. Default: the push services of Chrome and Android
# (and the browsers built on them), Firefox, Edge and Safari.
PILAR_PUSH_HOSTS = env_list(
    "PILAR_PUSH_HOSTS",
    [
        "fcm.googleapis.com",
        "updates.push.services.mozilla.com",
        "*.notify.windows.com",
        "web.push.apple.com",
    ],
)

if SENTRY_DSN:
    from pilar.core.errors import init_sentry

    init_sentry(SENTRY_DSN, environment=SENTRY_ENVIRONMENT)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        # A 403 is logged as one line (method, path, user id, reason), not a traceback.
        "one_line_forbidden": {"()": "pilar.core.logging.OneLineForbidden"},
        # Every line names the request it was written for (pilar/core/requestid.py).
        "request_id": {"()": "pilar.core.requestid.RequestIdFilter"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "formatters": {
        "line": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "line",
        },
        # Used only when ADMINS is set and SENTRY_DSN is not (below).
        "mail_admins": {
            "level": "ERROR",
            "class": "pilar.core.errors.AdminErrorEmail",
            "filters": ["require_debug_false", "request_id"],
        },
    },
    "root": {"handlers": ["console"], "level": env_str("PILAR_LOG_LEVEL", "WARNING")},
    "loggers": {
        # Django's own handlers replaced (its console for DEBUG, and its error mail, which would
        # hold the request's body, cookies and local variables): its lines go to the root's.
        "django": {"handlers": [], "level": "INFO"},
        "django.request": {"filters": ["one_line_forbidden"]},
    },
}
if ADMINS and not SENTRY_DSN:
    LOGGING["root"]["handlers"].append("mail_admins")
