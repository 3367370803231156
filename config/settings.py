"""Settings for the customer-manager system, read from the environment.

There is one settings module. Every behaviour is switched by an environment variable
(documented in README.md), so development, tests and production run the same code:

- ``DATABASE_URL`` unset -> a SQLite file next to ``manage.py``; set -> e.g. PostgreSQL.
- ``REDIS_URL`` unset -> Celery runs tasks eagerly in-process; set -> Redis broker + worker.
- ``DEBUG`` defaults to off; ``SECRET_KEY`` is then required.
- ``HTTPS=1`` turns on the transport-security settings a TLS deployment needs.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (see README.md, 'Configuration')."
        )
    SECRET_KEY = "dev-only-secret-key-not-for-production-use-0123456789abcdef"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "axes",
    "auditlog",
    "accounts",
    "health",
    "retailers",
    "visits",
    "assessment",
    "reports",
    "imports",
    "jobs",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # 413 for a body over its route's limit, before anything reads it (config/request_limits.py).
    "config.request_limits.RequestBodyLimitMiddleware",
    # A leader (read-only role) gets 403 on every POST/PUT/PATCH/DELETE of a page; the API
    # refuses it with accounts.permissions.RefuseReadOnlyRoles (REST_FRAMEWORK below).
    "accounts.middleware.ReadOnlyRoleMiddleware",
    # A person with a one-time code sets their own password before anything else.
    "accounts.middleware.PasswordChangeRequiredMiddleware",
    # Records the signed-in user as the actor of audit-log entries (assessment.audit).
    "auditlog.middleware.AuditlogMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Must be last: it turns a lockout raised by the auth backend into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

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
                "accounts.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

# --- Database ---------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file database shared by the dev server and eager tasks: wait on locks
    # instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("timeout", 20)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache --------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env.str("CACHE_URL", default=REDIS_URL),
            "KEY_PREFIX": "cms",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Authentication -----------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Counts failed logins and refuses locked-out username + IP pairs.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "accounts.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Every imported person (one-time initial code) and every password an admin resets must be
# replaced by the person's own at the next login (DOMAIN.md §9); `make run` turns it off so the
# demo's printed logins keep working.
PASSWORD_CHANGE_REQUIRED = env.bool("PASSWORD_CHANGE_REQUIRED", default=True)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 3600)

# Brute-force protection. Phones share carrier NAT addresses, so a lockout is per
# username *and* IP address: one attacker cannot lock a whole carrier out, and a
# user locked on one address can still log in from another.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The login form posts the employee number as "username" (AuthenticationForm).
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

# --- Internationalisation -----------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
# Media is private: photos and exports go out only through views that check access
# (accounts/private_files.py). Behind nginx, set this to its internal location ("/protected/")
# and nginx sends the files (X-Accel-Redirect); empty: Django streams them.
PRIVATE_FILES_ACCEL_PREFIX = env.str("PRIVATE_FILES_ACCEL_PREFIX", default="")
# Request body limits (config/request_limits.py; keep deploy/nginx.conf in step).
IMPORT_UPLOAD_MAX_MB = env.int("IMPORT_UPLOAD_MAX_MB", default=200)
REQUEST_BODY_MAX_MB = env.int("REQUEST_BODY_MAX_MB", default=20)
FILE_UPLOAD_HANDLERS = [
    "config.request_limits.LimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Security -----------------------------------------------------------------
# HTTPS=1 for a deployment behind TLS (the proxy must set X-Forwarded-Proto).
HTTPS = env.bool("HTTPS", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=HTTPS)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- REST API -----------------------------------------------------------------
# Lists count at most this many rows, then say "10,000+" (config/pagination.py).
LIST_COUNT_CAP = env.int("LIST_COUNT_CAP", default=10_000)
if LIST_COUNT_CAP < 1:
    raise ImproperlyConfigured("LIST_COUNT_CAP must be at least 1")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "accounts.permissions.RefuseReadOnlyRoles",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "config.pagination.CappedPageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "客户经理制度管理系统 API",
    "DESCRIPTION": "Customer-manager system of a tobacco commercial company.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Swagger UI from the vendored sidecar package: no CDN on a closed network.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Choices that several serializers share get one schema component each.
    "ENUM_NAME_OVERRIDES": {
        "InfoTypeEnum": "visits.models.InfoType",
        "WorkPlanKindEnum": "visits.models.WorkPlanKind",
        "OrgKindEnum": "accounts.models.OrgKind",
        "RetailerClassEnum": "retailers.models.RetailerClass",
        "LeadStatusEnum": "visits.models.LeadStatus",
        "SupervisionLevelEnum": "assessment.models.Level",
        "ShelfScopeLevelEnum": "visits.models.ScopeLevel",
        "DashboardLevelEnum": "reports.selectors.dashboards.LEVELS",
    },
    # Request bodies get their own components (no read-only fields, write-only ones kept).
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        # 400/403/404 (and 413 for a body) on every operation.
        "config.openapi.document_errors",
    ],
}

# --- Celery -------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
# The queue tasks are sent to and workers listen on: deployments that share one Redis keep
# their own (and the tests' workers theirs: a part a worker queues stays with them).
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="celery")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Long jobs and dead workers (README "When a worker dies"). JOB_LONGEST_SECONDS is the budget
# of the longest real job (a province's exports and closes take minutes; see "Performance"):
# a task past it gets SoftTimeLimitExceeded (its job fails with that error), and the broker
# redelivers an unacknowledged message only after twice that, so it never hands a running
# job to a second worker. A job's row gets a heartbeat at each step; the watchdog (every
# JOB_WATCH_SECONDS) re-queues a running job whose heartbeat is older than
# JOB_HEARTBEAT_STALE_SECONDS (longer than its longest step) up to JOB_MAX_ATTEMPTS starts,
# then marks it failed with the reason.
JOB_LONGEST_SECONDS = env.int("JOB_LONGEST_SECONDS", default=1800)
JOB_HEARTBEAT_STALE_SECONDS = env.int("JOB_HEARTBEAT_STALE_SECONDS", default=300)
JOB_WATCH_SECONDS = env.int("JOB_WATCH_SECONDS", default=60)
JOB_MAX_ATTEMPTS = env.int("JOB_MAX_ATTEMPTS", default=3)
# Tests only: sleep after a job's first step, so that a test can kill its worker mid-job.
JOB_TEST_PAUSE_AFTER_FIRST_STEP_SECONDS = env.float(
    "JOB_TEST_PAUSE_AFTER_FIRST_STEP_SECONDS", default=0
)
CELERY_TASK_SOFT_TIME_LIMIT = JOB_LONGEST_SECONDS
CELERY_TASK_TIME_LIMIT = JOB_LONGEST_SECONDS + 60
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * JOB_LONGEST_SECONDS}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "watch-jobs": {
        "task": "jobs.tasks.watch_jobs",
        "schedule": timedelta(seconds=JOB_WATCH_SECONDS),
    },
    "worker-heartbeat": {
        "task": "health.tasks.heartbeat",
        "schedule": crontab(),  # every minute
    },
    # Future-dated status changes come into force (before the classification and plans).
    "apply-retailer-statuses": {
        "task": "retailers.tasks.apply_retailer_statuses",
        "schedule": crontab(minute=5, hour=0),
    },
    # A handover or covering dated in the future changes the territory's manager on its day
    # (its assignments are written when it is recorded).
    "apply-handovers": {
        "task": "retailers.tasks.apply_handovers",
        "schedule": crontab(minute=20, hour=0),
    },
    "classify-retailers": {
        "task": "retailers.tasks.classify_retailers",
        "schedule": crontab(minute=0, hour=2, day_of_month=1),
    },
    # Daily, after the classification of the 1st: creates missing plans, drops inactive.
    "generate-visit-plans": {
        "task": "visits.tasks.generate_visit_plans",
        "schedule": crontab(minute=0, hour=3),
    },
    "generate-work-plans": {
        "task": "visits.tasks.generate_work_plans",
        "schedule": crontab(minute=10, hour=3),
    },
    "refresh-shelf-rates": {
        "task": "visits.tasks.refresh_shelf_rates",
        "schedule": crontab(minute=30, hour=1),
    },
    # Quarterly tier review: every Monday of a quarter's first month (it waits, and skips,
    # until the previous quarter's three months are published; proposals are idempotent).
    "review-tiers": {
        "task": "reports.tasks.review_tiers_task",
        "schedule": crontab(minute=0, hour=5, day_of_week=1, month_of_year="1,4,7,10"),
    },
    # Recomputes last month's draft every night until it goes to review.
    "close-month": {
        "task": "assessment.tasks.close_month",
        "schedule": crontab(minute=0, hour=4),
    },
    # The retailer order rollup of this month and the last (断订, 订单异动 alerts); the order
    # import also queues it for the months it touched.
    "refresh-order-rollup": {
        "task": "reports.tasks.refresh_order_rollup",
        "schedule": crontab(minute=0, hour=1),
    },
    # Order files dropped into ORDERS_INBOX_DIR (does nothing when it is empty).
    "import-order-inbox": {
        "task": "retailers.tasks.import_order_inbox",
        "schedule": crontab(minute="*/10"),
    },
    # The dashboards' rollup (this month and the two before); pages show "数据截至".
    "refresh-dashboards": {
        "task": "reports.tasks.refresh_dashboards",
        "schedule": crontab(minute="*/30"),
    },
}
# The order inbox (DOMAIN.md §9): a folder the ordering system drops order files into,
# imported by the beat task above; empty = off. A file modified less than
# ORDERS_INBOX_STABLE_SECONDS ago may still be being written and waits for the next run.
ORDERS_INBOX_DIR = env.str("ORDERS_INBOX_DIR", default="")
ORDERS_INBOX_STABLE_SECONDS = env.int("ORDERS_INBOX_STABLE_SECONDS", default=60)
if ORDERS_INBOX_STABLE_SECONDS < 0:
    raise ImproperlyConfigured("ORDERS_INBOX_STABLE_SECONDS must be 0 or more.")
# A worker heartbeat older than this makes /healthz report the worker as stale.
HEALTH_WORKER_STALE_SECONDS = env.int("HEALTH_WORKER_STALE_SECONDS", default=180)

# --- Logging ------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Demo data password printed by seed_demo (never used outside the demo).
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="demo-2026")
