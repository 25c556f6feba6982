"""The cache layer (cashews): process memory by default, Redis shared by every app process with
HOA_REDIS_URL. A Redis that does not answer reads as a miss and drops writes, never an error."""

from cashews import Cache

from hoa.core.settings import Settings


def make_cache(settings: Settings) -> Cache:
    cache = Cache()
    if settings.redis_url:
        # Short timeouts: a cache that does not answer must not hold a request up.
        cache.setup(settings.redis_url, socket_connect_timeout=0.5, socket_timeout=0.5)
    else:
        cache.setup("mem://")
    return cache
