"""Server → client push: one interface for Socket.IO rooms and plain WebSocket clients.

Every party joins a room named by its id. ``Notifier.emit`` sends to Socket.IO (through the Redis
message queue when configured, so every server process delivers it) and to the plain-WebSocket
listeners registered with ``add_listener``. Pushes are hints: clients re-fetch with the API.
"""

import logging

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
