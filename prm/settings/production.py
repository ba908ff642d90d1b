"""Production: Postgres + Redis required, HTTPS, secure cookies. `check --deploy` is clean.

Every variable below in REQUIRED has no default here: the embedded defaults of base.py (SQLite, a
filesystem broker, a file cache, `localhost`, a published secret key, the dev mailbox) are what
`make run` uses and must never be what production silently runs on. A missing one stops start-up
with an ImproperlyConfigured error that names it.
"""

import environ
from django.core.exceptions import ImproperlyConfigured

REQUIRED = (
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "EMAIL_URL",
    "PRM_BASE_DOMAIN",
    "ALLOWED_HOSTS",
)


def _refuse_missing(environment: environ.Env) -> None:
    missing = [name for name in REQUIRED if not environment.str(name, default="").strip()]
    if missing:
        raise ImproperlyConfigured(
            "Production settings have no default for these environment variables; set them "
            f"(docs/operations.md): {', '.join(missing)}"
        )


# Checked before base.py runs, so a missing variable never falls back to an embedded default.
_refuse_missing(environ.Env())

from .base import *  # noqa: E402, F403
from .base import DATABASES, env  # noqa: E402

if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured(
        "DATABASE_URL must point at PostgreSQL in production (postgres://user:pass@host/db)."
    )
if not env.str("REDIS_URL").startswith(("redis://", "rediss://")):
    raise ImproperlyConfigured("REDIS_URL must be a redis:// or rediss:// URL in production.")

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
# Invitations, verification and password resets depend on mail: no silent dev mailbox here.
vars().update(env.email_url("EMAIL_URL"))

PRM_URL_SCHEME = env.str("PRM_URL_SCHEME", default="https")
PRM_URL_PORT = env.str("PRM_URL_PORT", default="")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# The header alone registers nothing; submitting the domain to browser preload lists is a
# separate, deliberate step.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
X_FRAME_OPTIONS = "DENY"
