"""Build the MongoDB database handle and the Redis client from settings.

Production: pymongo (``MONGO_URI``) and redis-py (``REDIS_URL``). Embedded default: the
document store in ``services/store/docstore`` (one SQLite file under ``DATA_DIR/store``) and an
in-process fakeredis of its own (no other client shares its keys, so the store may keep what it
read: ``services/store/unread_cache``). Nothing here runs at import; ``create_app`` calls these
once per process.
"""

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

log = logging.getLogger(__name__)


def open_mongo(settings):
    """Return ``(client, database, serialized)`` for the configured backend.

    ``serialized`` is True when the backend's connections are not thread-safe, in which case the
    caller wraps the database so every operation runs under one lock. Neither backend needs it:
    pymongo is thread-safe and the embedded store pools its SQLite connections.
    """
    uri = settings.get("MONGO_URI")
    name = settings["MONGO_DB"]
    if uri:
        from pymongo import MongoClient

        client = MongoClient(uri, connect=False, serverSelectionTimeoutMS=5000, tz_aware=False)
        return client, client[name], False
    from services.store.docstore import DocClient
    from services.store.docstore.migrate import import_litemongo

    data_dir = Path(settings["DATA_DIR"])
    client = DocClient(data_dir / "store")
    db = client[name]
    import_litemongo(data_dir / "mongo", name, db)
    return client, db, False


def open_redis(settings):
    """Return a redis-py client for ``REDIS_URL``, or, when unset, an in-process fakeredis on a
    server of its own (fakeredis clients otherwise share one server per process)."""
    url = settings.get("REDIS_URL")
    if url:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        # One quick retry: a down Redis must not stall requests (counters fall back to MongoDB).
        return redis.Redis.from_url(url, decode_responses=True, socket_timeout=2,
                                    socket_connect_timeout=1, retry=Retry(NoBackoff(), 1))
    import fakeredis

    return fakeredis.FakeRedis(server=fakeredis.FakeServer(), decode_responses=True)


class SerializedDatabase:
    """Wrap a database so every call holds one re-entrant lock and runs on the thread that owns
    the database.

    For a backend whose connections belong to the thread that opened them (tests inject one
    with ``serialize_mongo``; the embedded store needs none). Under gevent there is one OS thread
    and calls run in place; in a threaded server they are handed to one dedicated thread.
    Cursors are materialized to lists there, so repositories pass ``sort``/``skip``/``limit`` as
    ``find`` keyword arguments.
    """

    def __init__(self, db, lock=None):
        self._db = db
        self._run = _Serializer(lock or threading.RLock())

    def __getitem__(self, name):
        return Serialized(self._run(self._db.__getitem__, name), self._run)

    def __getattr__(self, name):
        return _serialized(getattr(self._db, name), self._run)

    def serialize(self, obj):
        """``obj`` (e.g. the client, for ``close``) with its methods run like the database's."""
        return Serialized(obj, self._run)


class Serialized:
    """An object whose method calls go through a ``_Serializer``."""

    def __init__(self, obj, run):
        self._obj = obj
        self._run = run

    def __getattr__(self, name):
        return _serialized(getattr(self._obj, name), self._run)


def _serialized(attr, run):
    if not callable(attr):
        return attr

    def call(*args, **kwargs):
        result = attr(*args, **kwargs)
        if hasattr(result, "__next__") and not isinstance(result, dict):
            return list(result)
        return result

    return lambda *args, **kwargs: run(call, *args, **kwargs)


class _Serializer:
    """Run a call under the lock: in place under gevent, else on one owner thread."""

    def __init__(self, lock):
        self._lock = lock
        self._executor = None
        self._owner = []  # the owner thread's id, once started (the thread keeps only this list)
        if not _gevent_patched():
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="embedded-store",
                                                initializer=_claim, initargs=(self._owner,))

    def __call__(self, fn, *args, **kwargs):
        if self._executor is None or threading.get_ident() in self._owner:
            with self._lock:
                return fn(*args, **kwargs)
        return self._executor.submit(self.__call__, fn, *args, **kwargs).result()


def _claim(owner):
    owner.append(threading.get_ident())


def _gevent_patched():
    try:
        from gevent import monkey
    except ImportError:
        return False
    return monkey.is_module_patched("threading")
