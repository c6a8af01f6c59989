"""Server → client push: one interface for Socket.IO rooms and plain WebSocket clients.

Every party joins a room named by its id. ``Notifier.emit`` sends to Socket.IO (through the Redis
message queue when configured, so every server process delivers it) and to the plain-WebSocket
listeners registered with ``add_listener``. Pushes are hints: clients re-fetch with the API.
"""

import logging

import socketio

from services.store.counters import REDIS_ERRORS

log = logging.getLogger(__name__)


class Notifier:
    def __init__(self):
        self._socketio = None
        self._listeners = []

    def attach(self, socketio):
        """Bind the Flask-SocketIO server created by ``create_app``."""
        self._socketio = socketio

    def add_listener(self, listener):
        """``listener(event, data, to)`` is called for every emit (plain WebSocket hub)."""
        self._listeners.append(listener)

    def emit(self, event, data, to):
        """Push ``event`` with ``data`` to the room ``to``; never raises."""
        if self._socketio is not None:
            try:
                self._socketio.emit(event, data, to=str(to))
            except Exception:  # a push is a hint: the API call that triggered it must not fail
                log.exception("socket emit of %s failed", event)
        for listener in self._listeners:
            try:
                listener(event, data, str(to))
            except Exception:
                log.exception("listener for %s failed", event)


def socketio_options(settings, store):
    """Flask-SocketIO options from settings: ``cors_allowed_origins`` (``CORS_ORIGINS``, a
    comma-separated allow-list; empty = same origin only; ``*`` = any) and, with ``REDIS_URL``,
    a message queue whose publishes are bounded and behind the store's Redis breaker."""
    origins = [o.strip() for o in str(settings.get("CORS_ORIGINS") or "").split(",") if o.strip()]
    options = {"cors_allowed_origins": "*" if origins == ["*"] else (origins or None)}
    if settings.get("REDIS_URL"):
        options["client_manager"] = BoundedRedisManager(
            settings["REDIS_URL"], f"{settings['REDIS_PREFIX']}socketio", store.redis,
            store.redis_breaker)
    return options


class BoundedRedisManager(socketio.RedisManager):
    """python-socketio's Redis message queue, except that a publish (made on the request path
    by every emit) goes through ``publisher`` (the store's redis-py client: connect and read
    timeouts) behind ``breaker``; a failed publish drops that push (pushes are hints) instead
    of stalling the request. The listener keeps the queue's own connection, without a read
    timeout (it waits for messages)."""

    def __init__(self, url, channel, publisher, breaker):
        super().__init__(url, channel=channel)
        self._publisher = publisher
        self._breaker = breaker

    def _publish(self, data):
        try:
            return self._breaker.call(self._publisher.publish, self.channel,
                                      self.json.dumps(data))
        except REDIS_ERRORS as exc:
            log.warning("socket.io push dropped, redis unavailable: %s", exc)
            return None
