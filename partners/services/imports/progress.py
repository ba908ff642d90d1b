"""Partner import: live progress for the status page, kept in the Django cache (see the package
docstring for why not on the row)."""

from __future__ import annotations

import logging

from django.core.cache import cache

from ...models import PartnerImport
from ...selectors.imports import progress_cache_key

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 250  # rows between two progress reports
PROGRESS_TTL = 24 * 3600


def report_progress(partner_import: PartnerImport, *, done: int, total: int, pct: float) -> None:
    """Publish progress for the status page. Never fails the work: progress is only a display."""
    try:
        cache.set(
            progress_cache_key(partner_import.uuid),
            {"status": partner_import.status, "done": done, "total": total, "pct": int(pct)},
            timeout=PROGRESS_TTL,
        )
    except Exception:  # a cache outage must not roll back an import
        logger.warning("Could not publish import progress", exc_info=True)


def clear_progress(partner_import: PartnerImport) -> None:
    try:
        cache.delete(progress_cache_key(partner_import.uuid))
    except Exception:  # the entry expires on its own
        logger.warning("Could not clear import progress", exc_info=True)
