"""Settings shared by every environment.

The environment is read here and only here (shared/STYLE.md). Every variable has a safe local
default so `make run` works with nothing set; production.py tightens what must be explicit.
"""

from email.utils import parseaddr
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

# Everything the embedded default keeps on disk (SQLite file, broker folders, dev mailbox,
# beat schedule, file cache) lives under one folder so a test can point it elsewhere.
DATA_DIR = Path(env.str("PRM_DATA_DIR", default=str(BASE_DIR / "var"))).resolve()

SECRET_KEY = env.str(
    "SECRET_KEY", default="dev-only-insecure-key-change-me-in-production-0123456789"
)
DEBUG = env.bool("DEBUG", default=False)

# Tenants live at <slug>.<PRM_BASE_DOMAIN> or at a custom domain registered on the tenant.
PRM_BASE_DOMAIN = env.str("PRM_BASE_DOMAIN", default="localhost").lower()
# Hosts that serve the platform itself (landing page, "my workspaces", platform admin).
PRM_PLATFORM_HOSTS = [
    h.lower() for h in env.list("PRM_PLATFORM_HOSTS", default=[PRM_BASE_DOMAIN, "127.0.0.1"])
]
# How links in emails reach a tenant (no request there): <scheme>://<slug>.<base>[:<port>].
PRM_URL_SCHEME = env.str("PRM_URL_SCHEME", default="http")
PRM_URL_PORT = env.str("PRM_URL_PORT", default="8000")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[f".{PRM_BASE_DOMAIN}", "127.0.0.1", "localhost"])
# How many reverse proxies of ours stand in front of the app, each appending the address it saw to
# X-Forwarded-For. 0 (the default): the header is ignored and REMOTE_ADDR is the client. The one
# reader is tenancy.network.client_ip; allauth's login limits use the same count.
PRM_TRUSTED_PROXY_COUNT = env.int("PRM_TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_PROXY_COUNT = PRM_TRUSTED_PROXY_COUNT

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "django_countries",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    # Ours. tenancy first: it owns the user model and the tenant every other app hangs off.
    "tenancy",
    "partners",
    "onboarding",
    "dealreg",
    "enablement.lms",
    "enablement.live",
    "enablement.certs",
    "enablement.assets",
    "mdf",
    "analytics",
    "integrations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Errors under /api/ as JSON; NUL stripped from query strings and form bodies (Postgres).
    "tenancy.hardening.ApiJsonErrorsMiddleware",
    "tenancy.hardening.NulByteMiddleware",
    # Tenant before sessions/auth: everything after it runs inside the request's tenant.
    "tenancy.middleware.TenantMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tenancy.middleware.HostScopedSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "tenancy.middleware.AdminMfaMiddleware",
    # Times in the viewer's zone (tenancy.timezones), labelled by the date formats.
    "tenancy.middleware.TimeZoneMiddleware",
]

ROOT_URLCONF = "prm.urls"
WSGI_APPLICATION = "prm.wsgi.application"

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
                "tenancy.context_processors.tenancy",
                "prm.context_processors.menus",
            ],
        },
    },
]
# Django's form renderer with the input and select widgets written out in Python (same HTML).
FORM_RENDERER = "tenancy.common.form_renderer.FastTemplates"

# --- Database -----------------------------------------------------------------------------
# Default: an embedded SQLite file. WAL + busy timeout + IMMEDIATE transactions let the web,
# worker and beat processes share it without "database is locked" errors.
DATA_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'prm.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache and broker -------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="prm"),
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
    # Sessions are read from Redis and written to both: the database stays the durable store
    # (a flushed cache only costs a read), and no request pays a session query in steady state.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    # Embedded default: a file cache and kombu's filesystem transport are shared by every
    # process on the machine (rate limits and the broker need that), and need no server.
    # Sessions stay in the database alone (Django's default engine): a file read buys nothing.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }
    _broker_dir = DATA_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        # Broadcast (worker control) messages; kombu's default is ./control in the working dir.
        "control_folder": str(_broker_dir / "control"),
    }

# --- Celery ----------------------------------------------------------------------------------
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
# Hours (UTC, on the hour) at which tiers are evaluated: the beat entry "evaluate-tiers" and the
# "Next evaluation" the tier card shows both read this.
TIER_EVALUATION_HOURS_UTC = (0, 6, 12, 18)
# Minutes between incremental refreshes of the dashboards' rollups (the page says so).
ANALYTICS_REFRESH_MINUTES = 10
# Periodic sweeps over due rows, never long countdowns (see docs/architecture.md).
CELERY_BEAT_SCHEDULE = {
    "platform-heartbeat": {"task": "tenancy.tasks.heartbeat", "schedule": 15.0},
    "prune-processed-tasks": {"task": "tenancy.tasks.prune_processed_tasks", "schedule": 3600.0},
    # The mail outbox: retry failed mail when due, deliver mail whose enqueue was lost
    # (tenancy/emails.py; one query over all tenants).
    "mail-outbox": {"task": "tenancy.tasks.sweep_mail_outbox", "schedule": 60.0},
    # Domain events out to webhooks (integrations/relay.py): events the broker missed at their
    # commit, deliveries whose retry is due; one query each over all tenants.
    "integrations-relay": {"task": "integrations.tasks.sweep", "schedule": 60.0},
    # CRM connections (integrations/crm.py): pull what changed in each CRM (the safety net
    # behind its notifications), each connection every CRM_PULL_SECONDS.
    "integrations-crm-pull": {"task": "integrations.tasks.pull_crm_due", "schedule": 60.0},
    "integrations-prune": {
        "task": "integrations.tasks.prune",
        "schedule": crontab(minute=40, hour=3),
    },
    # Tier evaluation: proposes upgrades/downgrades for every tenant (partners/tasks/tiers.py),
    # on the hour at TIER_EVALUATION_HOURS_UTC (the tier card shows the next run from the same).
    "evaluate-tiers": {
        "task": "partners.tasks.tiers.evaluate_all_tenants",
        "schedule": crontab(minute=0, hour=",".join(map(str, TIER_EVALUATION_HOURS_UTC))),
    },
    # Recertification reminders before expiry, once per offset (enablement/certs/tasks.py).
    "recert-reminders": {
        "task": "enablement.certs.tasks.send_recert_reminders_all_tenants",
        "schedule": 3600.0,
    },
    # Onboarding: re-run failed or stalled workflows when due
    # (onboarding/tasks/workflow.py); send the 30-day cadence mail that is due (tasks/cadence.py).
    "onboarding-retry-due": {
        "task": "onboarding.tasks.workflow.retry_due_runs_all_tenants",
        "schedule": 60.0,
    },
    "onboarding-cadence": {
        "task": "onboarding.tasks.cadence.send_due_cadence_all_tenants",
        "schedule": 15 * 60.0,
    },
    # Deal registration: approval SLA reminders and escalations (business hours), lock expiry
    # warnings and expiries (dealreg/sweeps.py).
    "deal-sla": {"task": "dealreg.sweeps.sla_sweep_all_tenants", "schedule": 5 * 60.0},
    "deal-expiry": {"task": "dealreg.sweeps.expiry_sweep_all_tenants", "schedule": 3600.0},
    # How many accounts hold each account-name word (fuzzy matching, dealreg/services/matching).
    "deal-account-words": {
        "task": "dealreg.sweeps.account_words_all_tenants",
        "schedule": 3600.0,
    },
    # Partners' campaign mail, at most CAMPAIGN_MAILS_PER_MINUTE per campaign per run
    # (mdf/services/campaigns.py).
    "campaign-mail": {"task": "mdf.tasks.send_campaign_mail_all_tenants", "schedule": 60.0},
    # Dashboards read rollups (analytics/rollups.py): what changed, every few minutes; every
    # partner and month once a night (catches what has no timestamp, e.g. a new region).
    "analytics-rollups": {
        "task": "analytics.tasks.refresh_rollups_all_tenants",
        "schedule": ANALYTICS_REFRESH_MINUTES * 60.0,
    },
    "analytics-rollups-nightly": {
        "task": "analytics.tasks.refresh_rollups_all_tenants",
        "schedule": crontab(minute=30, hour=2),
        "kwargs": {"full": True},
    },
    # Partner satisfaction surveys (analytics/psat.py): close those past their date, send the
    # reminders due, open the next survey when the tenant's schedule says so.
    "analytics-psat": {
        "task": "analytics.tasks.psat_cycle_all_tenants",
        "schedule": crontab(minute=0, hour=8),
    },
    # Churn risk (analytics/churn.py): each tenant's model retrained on Mondays, every partner
    # rescored nightly after the full rollup refresh, managers mailed their at-risk partners on
    # Monday mornings (once per manager per week).
    "analytics-churn-score": {
        "task": "analytics.tasks.churn_all_tenants",
        "schedule": crontab(minute=15, hour=3),
        "kwargs": {"step": "score"},
    },
    "analytics-churn-train": {
        "task": "analytics.tasks.churn_all_tenants",
        "schedule": crontab(minute=45, hour=3, day_of_week=1),
        "kwargs": {"step": "train"},
    },
    "analytics-churn-mail": {
        "task": "analytics.tasks.churn_all_tenants",
        "schedule": crontab(minute=0, hour=7, day_of_week=1),
        "kwargs": {"step": "mail"},
    },
}
# How many of one campaign's emails the sender hands to the mail queue each minute.
CAMPAIGN_MAILS_PER_MINUTE = env.int("CAMPAIGN_MAILS_PER_MINUTE", default=60)
# Outbound webhooks (integrations/relay.py): an endpoint is disabled after this many failed
# attempts in a row (its owner is told); each attempt waits at most this long for an answer.
WEBHOOKS_DISABLE_AFTER = env.int("WEBHOOKS_DISABLE_AFTER", default=15)
WEBHOOKS_TIMEOUT_SECONDS = env.int("WEBHOOKS_TIMEOUT_SECONDS", default=10)
# Domain events and their webhook delivery logs are kept this many days (then pruned nightly).
WEBHOOKS_LOG_DAYS = env.int("WEBHOOKS_LOG_DAYS", default=30)
# How often each CRM connection is pulled for changes (integrations/crm.py).
CRM_PULL_SECONDS = env.int("CRM_PULL_SECONDS", default=120)
# Off in production: webhooks and CRM connections go over https to public addresses only (a
# tenant cannot make the server call its own network). On for local runs and tests (receivers
# and the BottleCRM test server on 127.0.0.1).
WEBHOOKS_ALLOW_PRIVATE_NETWORKS = env.bool("WEBHOOKS_ALLOW_PRIVATE_NETWORKS", default=False)
# Task modules autodiscovery does not find (it imports only `<app>.tasks`).
CELERY_IMPORTS = ["dealreg.sweeps"]

# --- Auth --------------------------------------------------------------------------------------
AUTH_USER_MODEL = "tenancy.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_ADAPTER = "tenancy.adapters.AccountAdapter"
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "login": "30/m/ip",
    "reset_password": "20/m/ip,5/m/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", default="PRM")

# Sessions are host-scoped: no cookie domain, so acme.<base> and globex.<base> never share one.
SESSION_COOKIE_DOMAIN = None
CSRF_COOKIE_DOMAIN = None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12

# --- Email -----------------------------------------------------------------------------------
# EMAIL_URL, e.g. smtp+tls://user:pass@smtp.example.com:587 ; the default drops each message into
# the dev mailbox folder, readable at /dev/mailbox/ when DEBUG is on.
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "tenancy.mail.DevMailboxBackend"
DEV_MAILBOX_DIR = DATA_DIR / "mail"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="PRM <no-reply@prm.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- I18N / time -----------------------------------------------------------------------------
LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# One date and number format (prm/formats/en/formats.py): "4 Dec 2026, 14:05 UTC", "1,027,247".
# NOTE: grouping is applied by the `number`/`money`/`hours` filters (and intcomma), not to every
# {{ int }} (USE_THOUSAND_SEPARATOR stays off): ids, years, page numbers and values put in
# attributes, URLs and inputs must stay plain digits.
FORMAT_MODULE_PATH = ["prm.formats"]

# --- Static ----------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Uploaded files and stored documents; tests point worker subprocesses at their own directory.
MEDIA_ROOT = Path(env.str("PRM_MEDIA_ROOT", default=str(DATA_DIR / "media"))).resolve()
MEDIA_URL = "/media/"

# --- Content-Security-Policy (django-csp) ---------------------------------------------------
# Scripts only from this site: no inline <script>, no on*= handlers, no eval (our JS lives in
# static/js and reads data-* attributes). Styles allow inline: templates use style="" attributes
# and htmx adds its indicator <style>. Images may come from https (tenant and partner logos are
# URLs). form-action is left open on purpose: logins redirect between the platform and tenant
# hosts, which form-action would block.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "https:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- API -------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tenancy.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["tenancy.api.permissions.IsTenantMember"],
    "DEFAULT_PAGINATION_CLASS": "tenancy.api.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": ["tenancy.api.throttling.PrincipalRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "principal": env.str("API_RATE_LIMIT", default="600/min"),
    },
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "tenancy.api.exceptions.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "tenancy.api.parsers.JSONParser",  # refuses NUL anywhere in the body
        "tenancy.api.parsers.FormParser",  # strip NUL, as pages' forms
        "tenancy.api.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "PRM API",
    "DESCRIPTION": "Partner Relationship Management REST API. Every call runs inside one tenant: "
    "the tenant of the host, or of the API key.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "tenancy.api.schema.document_errors",
    ],
    "DEFAULT_GENERATOR_CLASS": "tenancy.api.schema.TenantAgnosticSchemaGenerator",
    # One name per choice set used by several serializers.
    # One name per choice set when several models share a field name ("status", "outcome").
    "ENUM_NAME_OVERRIDES": {
        "PartnerTypeEnum": "partners.models.organization.PartnerType",
        "RegionEnum": "partners.models.organization.Region",
        "DealStatusEnum": "dealreg.models.registrations.DealStatus",
        "DealOutcomeEnum": ["won", "lost"],
        "ExtensionStatusEnum": "dealreg.models.registrations.ExtensionStatus",
        "DisputeStatusEnum": "dealreg.models.disputes.DisputeStatus",
        "DisputeOutcomeEnum": "dealreg.models.disputes.DisputeOutcome",
        "OnboardingRunStatusEnum": "onboarding.models.workflow.RunStatus",
        "OnboardingStepStatusEnum": "onboarding.models.workflow.StepStatus",
        "OutboundEmailStatusEnum": "tenancy.outbox.DeliveryStatus",
    },
}

# --- Product settings ------------------------------------------------------------------------
# Roles whose members must use TOTP before they may act in a tenant.
PRM_MFA_REQUIRED_ROLES = env.list("PRM_MFA_REQUIRED_ROLES", default=["program_admin"])
PRM_INVITATION_DAYS = env.int("PRM_INVITATION_DAYS", default=7)
# What `manage.py seed_demo` runs: the demo spans every app, so the top floor assembles it.
PRM_DEMO_SEED = "prm.demo.seed_demo"

# --- Errors reach someone -------------------------------------------------------------------
# ADMINS="Ops <ops@example.com>,oncall@example.com": every ERROR logged by the web processes
# (unhandled exceptions of a request) and by workers (a task that raised) is mailed to them.
ADMINS = [parseaddr(a) for a in env.list("ADMINS", default=[]) if parseaddr(a)[1]]
# /healthz shows its details (errors, versions) only to platform admins or to a request carrying
# this token (`Authorization: Bearer <token>`); anyone else gets the status alone.
PRM_HEALTH_TOKEN = env.str("PRM_HEALTH_TOKEN", default="")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"require_debug_false": {"()": "django.utils.log.RequireDebugFalse"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "mail_admins": {
            "level": "ERROR",
            "filters": ["require_debug_false"],
            "class": "django.utils.log.AdminEmailHandler",
        },
    },
    "root": {
        "handlers": ["console", "mail_admins"],
        "level": env.str("LOG_LEVEL", default="INFO"),
    },
    "loggers": {
        # Django's own handlers off: its records reach the root's console and mail_admins once.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        # WeasyPrint and fontTools narrate every PDF at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# Optional error tracker, off unless SENTRY_DSN is set. sentry-sdk is an optional dependency,
# imported only then; its Django and Celery integrations switch on by themselves.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    try:
        import sentry_sdk
    except ImportError as error:
        raise ImproperlyConfigured(
            "SENTRY_DSN is set but sentry-sdk is not installed: pip install sentry-sdk"
        ) from error
    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
        send_default_pii=False,
    )
CSRF_FAILURE_VIEW = "tenancy.views_errors.csrf_failure"
