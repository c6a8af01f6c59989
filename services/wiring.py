"""Build every service once per process from settings, with injected overrides for tests.

Overrides (``create_app(**overrides)``): ``mongo_db`` (a pymongo-compatible database),
``redis`` (a redis-py-compatible client), ``notifier``, and the external clients of later areas
(``lovense``, ``asr``, ``tts``, ...), which their own wiring reads from ``overrides``.
"""

import logging
from types import SimpleNamespace

from services.accounts import AccountService
from services.auth import TokenService
from services.content import ContentService
from services.devices import DeviceService
from services.friends import FriendService
from services.media import MediaLibrary
from services.notify import Notifier
from services.ratelimit import RateLimiter
from services.store import Store
from services.store.connection import SerializedDatabase, open_mongo, open_redis
from services.toys import ToyService
from services.unread import UnreadCounters

log = logging.getLogger(__name__)


def open_store(settings, overrides):
    """The Store over the injected or configured MongoDB and Redis."""
    db, serialized = overrides.get("mongo_db"), overrides.get("serialize_mongo", False)
    client = None
    if db is None:
        client, db, serialized = open_mongo(settings)
    if serialized:
        db = SerializedDatabase(db)
    redis = overrides.get("redis")
    if redis is None:
        redis = open_redis(settings)
    store = Store(db, redis, settings["REDIS_PREFIX"])
    store.mongo_client = client
    return store


def build_services(settings, overrides):
    """Return a namespace with one instance of every service."""
    store = open_store(settings, overrides)
    store.ensure_indexes()
    media = MediaLibrary(settings["MEDIA_DIR"], settings["STATIC_MEDIA_DIR"])
    notifier = overrides.get("notifier") or Notifier()
    tokens = TokenService(store.tokens, settings["TOKEN_TTL_DAYS"])
    unread = UnreadCounters(store.unread, store.messages)
    return SimpleNamespace(
        settings=settings,
        store=store,
        media=media,
        notifier=notifier,
        tokens=tokens,
        unread=unread,
        rate_limiter=RateLimiter(store.windows, settings["RATE_LIMIT"]),
        accounts=AccountService(store, tokens, unread, settings["PASSWORD_HASH_METHOD"]),
        toys=ToyService(store, tokens, unread, notifier),
        friends=FriendService(store, notifier),
        content=ContentService(store, media),
        devices=DeviceService(store, media),
    )
