"""The only code that touches MongoDB collections and Redis keys.

``Store`` groups one repository per collection over one database handle and one Redis client.
"""

from services.store.accounts import TokenStore, UserStore
from services.store.content import ContentStore
from services.store.counters import Breaker, UnreadStore, WindowStore
from services.store.friends import ChatStore, FriendStore, RequestStore
from services.store.holder_cache import GenerationStore, HolderCache, WatchedDb, generation_key
from services.store.indexes import ensure_indexes
from services.store.leases import LeaseStore
from services.store.messages import MessageStore
from services.store.presence import PresenceStore
from services.store.toys import DeviceStore, ToyStore
from services.store.unread_cache import CachedUnreadStore


class Store:
    """Repositories over ``db`` (pymongo-compatible database) and ``redis`` (redis-py client).

    ``sole_redis_writer``: no other process or client writes ``redis`` (the embedded default's
    own fakeredis), so unread counts read from it are kept in memory until written.
    ``holder_cache_seconds``: keep token holders in this process for that long, checked against
    a generation in Redis on each use (``services.store.holder_cache``); 0 = off.
    ``tracker``: a ``tracking.KeyTracker`` factory, ``tracker(prefixes)``, or None: with it the
    holders' generation and the unread counts of a shared Redis are kept in the process until
    Redis says they changed.

    ``collections`` is ``db`` as the repositories use it: with the holder cache, writes to
    ``users`` and ``toys`` through it bump the generation (give it to any other writer)."""

    def __init__(self, db, redis, redis_prefix="smarttoy:", sole_redis_writer=False,
                 holder_cache_seconds=0, tracker=None):
        self.db = db
        self.redis = redis
        self.redis_prefix = redis_prefix
        self.redis_breaker = Breaker()
        holders = None
        self.collections = db
        self.unread = UnreadStore(redis, redis_prefix, self.redis_breaker)
        self.tracker = None
        if tracker is not None and not sole_redis_writer:
            self.tracker = tracker([generation_key(redis_prefix), self.unread.key_prefix])
        if holder_cache_seconds:
            generation = GenerationStore(redis, redis_prefix, self.redis_breaker,
                                         tracker=self.tracker)
            holders = HolderCache(generation, max_age=holder_cache_seconds)
            self.collections = WatchedDb(db, ("users", "toys"), generation.bump)
        watched = self.collections  # every repository: any of them may write users or toys
        self.users = UserStore(watched)
        self.tokens = TokenStore(watched, holders)
        self.devices = DeviceStore(watched)
        self.toys = ToyStore(watched)
        self.friends = FriendStore(watched)
        self.requests = RequestStore(watched)
        self.chats = ChatStore(watched)
        self.messages = MessageStore(watched)
        self.content = ContentStore(watched)
        if sole_redis_writer or self.tracker is not None:
            self.unread = CachedUnreadStore(self.unread, self.tracker)
        self.windows = WindowStore(redis, redis_prefix, self.redis_breaker)
        self.leases = LeaseStore(redis, redis_prefix, self.redis_breaker)
        self.presence = PresenceStore(redis, redis_prefix, self.redis_breaker)

    def ensure_indexes(self):
        ensure_indexes(self.db)

    def ping(self):
        """``{"mongo": "ok"|"down", "redis": "ok"|"down"}``.

        MongoDB is checked with a real (cheap) read of the users collection, which
        authenticated requests read too (tokens live on users and toys): a store that answers
        pings but cannot serve queries is "down".
        """
        status = {}
        try:
            self.db["users"].find_one({"_id": ""}, {"_id": 1})
            status["mongo"] = "ok"
        except Exception:  # any driver failure means "down" for the health check
            status["mongo"] = "down"
        try:
            self.redis_breaker.call(self.redis.ping)  # bounded; instant while the breaker is open
            status["redis"] = "ok"
        except Exception:
            status["redis"] = "down"
        return status
