"""Build every service once per process from settings, with injected overrides for tests.

Overrides (``create_app(**overrides)``): ``mongo_db`` (a pymongo-compatible database),
``redis`` (a redis-py-compatible client), ``media`` (a MediaStore), ``notifier``, and the
external clients of later areas (``lovense``, ``asr``, ``tts``, ...), which their own wiring
reads from ``overrides``.
"""

import logging
import os
from types import SimpleNamespace

from services.accounts import AccountService
from services.audio import AudioConverter
from services.auth import TokenService
from services.content import ContentService
from services.devices import DeviceService
from services.friends import FriendService
from services.inbox import Inbox
from services.lovense.wiring import add_device_control
from services.media import open_media
from services.messages import MessageService
from services.notify import Notifier
from services.playback import MusicPush
from services.presence import ToyPresence
from services.ratelimit import RateLimiter
from services.revocation import LiveSockets
from services.speech.tts import SpokenPrompts, make_tts
from services.speech.wiring import add_speech_assistant
from services.store import Store
from services.store.connection import SerializedDatabase, open_mongo, open_redis
from services.store.tracking import KeyTracker, tracking_connection
from services.toys import ToyService
from services.turns import Turns
from services.unread import UnreadCounters
from services.wshub import RedisRelay, WebSocketHub

log = logging.getLogger(__name__)


def open_store(settings, overrides):
    """The Store over the injected or configured MongoDB and Redis."""
    db, serialized = overrides.get("mongo_db"), overrides.get("serialize_mongo", False)
    client = None
    if db is None:
        client, db, serialized = open_mongo(settings)
    if serialized:
        db = SerializedDatabase(db)
        client = db.serialize(client) if client is not None else None
    redis = overrides.get("redis")
    sole_writer = redis is None and not settings.get("REDIS_URL")  # its own fakeredis
    if redis is None:
        redis = open_redis(settings)
    # Shared Redis (many processes): token holders are kept per process, checked against Redis.
    holder_cache = 0 if sole_writer else max(settings.get("AUTH_CACHE_SECONDS", 30), 0)
    tracker = None
    if settings.get("REDIS_TRACKING", True):  # Redis tells which kept values changed

        def tracker(prefixes):
            name = f"{settings['REDIS_PREFIX']}key-tracking"
            return KeyTracker(tracking_connection(redis, name), prefixes)

    store = Store(db, redis, settings["REDIS_PREFIX"], sole_redis_writer=sole_writer,
                  holder_cache_seconds=holder_cache, tracker=tracker)
    store.mongo_client = client
    return store


def build_services(settings, overrides):
    """Return a namespace with one instance of every service."""
    store = open_store(settings, overrides)
    store.ensure_indexes()
    media = overrides.get("media") or open_media(settings, store.db)
    notifier = overrides.get("notifier") or Notifier()
    tokens = TokenService(store.tokens, settings["TOKEN_TTL_DAYS"])
    unread = UnreadCounters(store.unread, store.messages)
    limiter = RateLimiter(store.windows, settings["RATE_LIMIT"])
    services = SimpleNamespace(
        settings=settings,
        store=store,
        media=media,
        notifier=notifier,
        tokens=tokens,
        unread=unread,
        rate_limiter=limiter,
        accounts=AccountService(store, tokens, unread, settings["PASSWORD_HASH_METHOD"],
                                limiter, settings.get("LOGIN_ACCOUNT_LIMIT")),
        toys=ToyService(store, tokens, unread, notifier),
        friends=FriendService(store, notifier, limiter, settings.get("FRIEND_REQUEST_LIMIT")),
        content=ContentService(store, media),
        devices=DeviceService(store, media),
    )
    shared = store.presence if settings.get("REDIS_URL") else None  # else one process only
    services.presence = ToyPresence(shared, services.toys, notifier,
                                    settings.get("PRESENCE_TTL_SECONDS", 30))
    services.toys.presence = services.presence
    add_messaging(services, settings, overrides)
    add_device_control(services, settings, overrides)
    add_speech_assistant(services, settings, overrides)
    return services


def add_messaging(services, settings, overrides):
    """Voice messages, unread delivery, music push and the plain-WebSocket hub (SPEC §6, §8).

    Overrides: ``converter`` (an AudioConverter), ``tts`` (a text-to-speech provider),
    ``prompts`` (a SpokenPrompts), ``wshub`` (a WebSocketHub). Live sockets end when their token
    is revoked or expires (``live_sockets``).
    """
    store, media = services.store, services.media
    audio = overrides.get("converter") or AudioConverter.from_config(settings)
    if isinstance(audio, AudioConverter):  # work files of a killed server (kill -9)
        audio.remove_leftovers(media.scratch_folders())
    media.remove_unfinished()  # GridFS chunks of uploads a killed process left
    prompts = overrides.get("prompts") or SpokenPrompts(
        overrides.get("tts") or make_tts(settings), audio, media, secret=settings["SECRET_KEY"])
    relay = revocations = None
    if settings.get("REDIS_URL"):
        relay = RedisRelay(store.redis, f"{settings['REDIS_PREFIX']}ws", store.redis_breaker)
        revocations = RedisRelay(store.redis, f"{settings['REDIS_PREFIX']}revoke",
                                 store.redis_breaker)
    wshub = overrides.get("wshub") or WebSocketHub(relay)
    services.notifier.add_listener(wshub)
    services.live_sockets = LiveSockets(services.tokens, revocations,
                                        settings.get("SOCKET_RECHECK_SECONDS", 30))
    services.audio = audio
    services.prompts = prompts
    services.wshub = wshub
    services.messages = MessageService(store, media, audio, services.unread, services.notifier)
    services.upload_turns = Turns(
        settings.get("UPLOAD_CONCURRENCY") or os.cpu_count() or 1,
        settings.get("CONVERSION_WAIT", 20), "upload turns",
        "the server is busy with other uploads, retry in a few seconds")
    services.inbox = Inbox(store, services.unread, prompts)
    services.playback = MusicPush(store, services.toys, services.notifier)
