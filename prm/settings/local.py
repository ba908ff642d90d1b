"""`make run`: the embedded default (SQLite, no Redis), DEBUG on, dev mailbox."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
# The demo tenant admins have TOTP pre-enrolled (see README); keep email verification on too.
