"""Build the MongoDB database handle and the Redis client from settings.

Production: pymongo (``MONGO_URI``) and redis-py (``REDIS_URL``). Embedded default: litemongo
(SQLite files under ``DATA_DIR``, mongomock-compatible) and an in-process fakeredis. Nothing here
runs at import; ``create_app`` calls these once per process.
"""

import logging
import threading
from pathlib import Path

log = logging.getLogger(__name__)


def open_mongo(settings):
    """Return ``(client, database, serialized)`` for the configured backend.

    ``serialized`` is True when the backend's connections are not thread-safe (litemongo), in which
    case the caller wraps the database so every operation runs under one lock.
    """
    uri = settings.get("MONGO_URI")
    name = settings["MONGO_DB"]
    if uri:
        from pymongo import MongoClient

        client = MongoClient(uri, connect=False, serverSelectionTimeoutMS=5000, tz_aware=False)
        return client, client[name], False
    import litemongo

    path = Path(settings["DATA_DIR"]) / "mongo"
    path.mkdir(parents=True, exist_ok=True)
    client = litemongo.connect(str(path))
    return client, client[name], True


def open_redis(settings):
    """Return a redis-py client for ``REDIS_URL``, or an in-process fakeredis when unset."""
    url = settings.get("REDIS_URL")
    if url:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        # One quick retry: a down Redis must not stall requests (counters fall back to MongoDB).
        return redis.Redis.from_url(url, decode_responses=True, socket_timeout=2,
                                    socket_connect_timeout=1, retry=Retry(NoBackoff(), 1))
    import fakeredis

    return fakeredis.FakeRedis(decode_responses=True)


class SerializedDatabase:
    """Wrap a database so every collection call holds one re-entrant lock.

    litemongo's SQLite connections are not thread-safe. Cursors are materialized to lists under
    the lock, so repositories pass ``sort``/``skip``/``limit`` as ``find`` keyword arguments.
    """

    def __init__(self, db, lock=None):
        self._db = db
        self._lock = lock or threading.RLock()

    def __getitem__(self, name):
        return _SerializedCollection(self._db[name], self._lock)

    def __getattr__(self, name):
        return getattr(self._db, name)


class _SerializedCollection:
    def __init__(self, collection, lock):
        self._collection = collection
        self._lock = lock

    def __getattr__(self, name):
        attr = getattr(self._collection, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            with self._lock:
                result = attr(*args, **kwargs)
                if hasattr(result, "__next__") and not isinstance(result, dict):
                    return list(result)
                return result

        return call
