"""Partner-program tasks. Celery autodiscovers `partners.tasks`; it imports each area."""

from . import imports, ipp, roe, tiers  # noqa: F401
