"""What a signed-in request costs in queries before its page does anything, for exact counts.

The tenant always comes from the host cache (tenancy/hosts.py; conftest's World clients warm it).
The session comes from the cache only when Redis is configured (cached_db); on the embedded
default it is one query per request.
"""

from __future__ import annotations

from django.conf import settings

SESSION_QUERIES = 0 if settings.SESSION_ENGINE.endswith("cached_db") else 1
