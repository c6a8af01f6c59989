"""The only code that touches MongoDB collections and Redis keys.

``Store`` groups one repository per collection over one database handle and one Redis client.
"""

from services.store.accounts import TokenStore, UserStore
from services.store.content import ContentStore
from services.store.counters import Breaker, UnreadStore, WindowStore
from services.store.friends import ChatStore, FriendStore, RequestStore
from services.store.indexes import ensure_indexes
from services.store.leases import LeaseStore
from services.store.messages import MessageStore
from services.store.presence import PresenceStore
from services.store.toys import DeviceStore, ToyStore
from services.store.unread_cache import CachedUnreadStore


class Store:
    """Repositories over ``db`` (pymongo-compatible database) and ``redis`` (redis-py client).

    ``sole_redis_writer``: no other process or client writes ``redis`` (the embedded default's
    own fakeredis), so unread counts read from it are kept in memory until written."""

    def __init__(self, db, redis, redis_prefix="smarttoy:", sole_redis_writer=False):
        self.db = db
        self.redis = redis
        self.redis_prefix = redis_prefix
        self.users = UserStore(db)
        self.tokens = TokenStore(db)
        self.devices = DeviceStore(db)
        self.toys = ToyStore(db)
        self.friends = FriendStore(db)
        self.requests = RequestStore(db)
        self.chats = ChatStore(db)
        self.messages = MessageStore(db)
        self.content = ContentStore(db)
        self.redis_breaker = Breaker()
        self.unread = UnreadStore(redis, redis_prefix, self.redis_breaker)
        if sole_redis_writer:
            self.unread = CachedUnreadStore(self.unread)
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
