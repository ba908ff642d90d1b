"""`make run`: the embedded default (SQLite, no Redis), DEBUG on, dev mailbox."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
# Receivers on this machine (a local test server, a self-hosted CRM) may get webhooks.
WEBHOOKS_ALLOW_PRIVATE_NETWORKS = env.bool("WEBHOOKS_ALLOW_PRIVATE_NETWORKS", default=True)
# The demo tenant admins have TOTP pre-enrolled (see README); keep email verification on too.
