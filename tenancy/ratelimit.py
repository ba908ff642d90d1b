"""The one rate-limit helper: a sliding window over the shared cache.

A fixed clock bucket ("5 per hour" counted from 10:00 to 11:00) lets 10 attempts through within a
few minutes across the hour boundary. Here every attempt is a timestamp; an attempt is allowed when
fewer than `limit` allowed attempts fall within the last `window` seconds, whenever that is.

On Redis the timestamps are a sorted set, changed in one MULTI/EXEC (atomic for every process).
Other caches (the embedded file cache, local memory in tests) keep a list of timestamps under a
short lock made with `cache.add`.
"""

from __future__ import annotations

import functools
import re
import time
import uuid

from django.core.cache import cache

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE_RE = re.compile(r"^(\d+)/(\d*)([smhd])$")
_LOCK_TRIES = 50


def parse_rate(rate: str) -> tuple[int, int]:
    """ "5/h" → (5, 3600); "10/15m" → (10, 900)."""
    match = _RATE_RE.match(rate.strip().lower())
    if match is None:
        raise ValueError(f"Unknown rate {rate!r}: write it like 5/h or 10/15m.")
    count, multiplier, period = match.groups()
    return int(count), int(multiplier or 1) * _PERIODS[period]


def _redis_client():
    backend = cache
    if type(backend).__name__ != "RedisCache":
        return None
    return backend._cache.get_client(write=True)


def hit(key: str, *, limit: int, window: int) -> bool:
    """Count one attempt under `key`. True when it is allowed (fewer than `limit` allowed
    attempts in the last `window` seconds); a refused attempt is not counted."""
    now = time.time()
    cache_key = f"ratelimit:{key}"
    client = _redis_client()
    if client is not None:
        cache_key = cache.make_and_validate_key(cache_key)
        member = f"{now:.6f}:{uuid.uuid4().hex[:8]}"
        pipe = client.pipeline(transaction=True)
        pipe.zremrangebyscore(cache_key, "-inf", now - window)
        pipe.zadd(cache_key, {member: now})
        pipe.zcard(cache_key)
        pipe.expire(cache_key, window + 1)
        _removed, _added, count, _expire = pipe.execute()
        if count > limit:
            client.zrem(cache_key, member)
            return False
        return True
    return _hit_with_list(cache_key, now=now, limit=limit, window=window)


def allowed(key: str, *, limit: int, window: int) -> bool:
    """Whether one more attempt under `key` would be allowed now, without counting it (for
    endpoints that count only some outcomes: check first, `hit` when the outcome counts)."""
    now = time.time()
    cache_key = f"ratelimit:{key}"
    client = _redis_client()
    if client is not None:
        cache_key = cache.make_and_validate_key(cache_key)
        return client.zcount(cache_key, f"({now - window}", "+inf") < limit
    return sum(1 for t in cache.get(cache_key, []) if t > now - window) < limit


def _hit_with_list(cache_key: str, *, now: float, limit: int, window: int) -> bool:
    lock_key = f"{cache_key}:lock"
    for _try in range(_LOCK_TRIES):
        if cache.add(lock_key, 1, timeout=5):
            break
        time.sleep(0.01)
    # NOTE: if the lock could not be taken (a process died holding it), count anyway: the lock
    # expires in seconds, and a rare double count is better than no limit.
    try:
        stamps = [t for t in cache.get(cache_key, []) if t > now - window]
        if len(stamps) >= limit:
            cache.set(cache_key, stamps, timeout=window + 1)
            return False
        stamps.append(now)
        cache.set(cache_key, stamps, timeout=window + 1)
        return True
    finally:
        cache.delete(lock_key)


def ratelimit(*, key, rate: str, method: str | tuple[str, ...] = "POST"):
    """View decorator: `request.limited` is True when this request is over the limit.

    `key(group, request)` names who is counted (e.g. tenant and client IP); only requests with
    `method` count. The view decides what a limited request gets (e.g. a 429 page).
    """
    limit, window = parse_rate(rate)
    methods = {method} if isinstance(method, str) else set(method)

    def decorator(view):
        group = f"{view.__module__}.{view.__qualname__}"

        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            limited = False
            if request.method in methods:
                limited = not hit(f"{group}:{key(group, request)}", limit=limit, window=window)
            request.limited = getattr(request, "limited", False) or limited
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
