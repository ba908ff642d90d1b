"""Partner-program tasks. Celery autodiscovers `partners.tasks`; it imports each area."""

from . import imports, ipp, roe, strategy, tiers  # noqa: F401
