"""Plain-WebSocket push (SPEC §8 ``/ws?token=``) for toys that cannot speak Socket.IO.

``WebSocketHub`` is a ``Notifier`` listener: every emit to a party's room is also queued, as a
``{"event": name, "data": {...}}`` JSON text frame, for that party's plain-WebSocket
connections in this process. With several server processes, ``RedisRelay`` publishes each emit
on a Redis channel and every process delivers what the others published to its own sockets
(Socket.IO events already travel over Flask-SocketIO's Redis message queue).
"""

import json
import logging
import queue
import secrets
import threading
import time

from simple_websocket import ConnectionClosed

from services.store.counters import REDIS_ERRORS

log = logging.getLogger(__name__)


class Connection:
    """One plain-WebSocket client: a bounded queue of frames waiting to be sent."""

    def __init__(self, party_id, max_frames=256):
        self.party_id = party_id
        self._frames = queue.Queue(maxsize=max_frames)
        self.closed = False

    def close(self):
        """Ask ``serve`` to end this connection (its token was revoked or expired)."""
        self.closed = True
        try:
            self._frames.put_nowait(None)  # wakes the pump at once
        except queue.Full:
            pass  # the pump sees ``closed`` on its next poll

    def offer(self, frame):
        """Queue ``frame``; a client too slow to drain its queue loses the newest frames."""
        try:
            self._frames.put_nowait(frame)
        except queue.Full:
            log.warning("websocket client %s is not reading; frame dropped", self.party_id)

    def next_frame(self, timeout):
        """The next frame, or None after ``timeout`` seconds."""
        try:
            return self._frames.get(timeout=timeout)
        except queue.Empty:
            return None


class WebSocketHub:
    """Connections by party id. ``relay``: an optional RedisRelay for cross-process delivery."""

    def __init__(self, relay=None):
        self._rooms = {}
        self._lock = threading.Lock()
        self._relay = relay
        self._origin = secrets.token_hex(8)

    def __call__(self, event, data, to):
        """The Notifier listener: deliver here, and to other processes through the relay."""
        self._deliver(event, data, to)
        if self._relay is not None:
            self._relay.publish({"origin": self._origin, "event": event, "data": data, "to": to})

    def relayed(self, message):
        """Deliver an emit published by another process (ours are already delivered)."""
        if message.get("origin") != self._origin:
            self._deliver(message.get("event"), message.get("data"), message.get("to"))

    def _deliver(self, event, data, to):
        with self._lock:
            connections = list(self._rooms.get(str(to), ()))
        if connections:
            frame = json.dumps({"event": event, "data": data})
            for connection in connections:
                connection.offer(frame)

    def connect(self, party_id):
        """Register a new connection for ``party_id`` and return it."""
        if self._relay is not None:
            self._relay.start(self.relayed)
        connection = Connection(str(party_id))
        with self._lock:
            self._rooms.setdefault(connection.party_id, set()).add(connection)
        return connection

    def disconnect(self, connection):
        with self._lock:
            room = self._rooms.get(connection.party_id, set())
            room.discard(connection)
            if not room:
                self._rooms.pop(connection.party_id, None)

    def count(self):
        """How many plain-WebSocket clients are connected to this process."""
        with self._lock:
            return sum(len(room) for room in self._rooms.values())

    def serve(self, connection, socket, poll_seconds=1.0):
        """Pump frames for ``connection`` (from ``connect``) into ``socket`` (a simple-websocket
        ``Server``) until the client goes away or the connection is closed. Messages from the
        client are read and ignored."""
        party_id = connection.party_id
        try:
            while socket.connected and not connection.closed:
                frame = connection.next_frame(poll_seconds)
                if frame is not None and not connection.closed:
                    socket.send(frame)
                while socket.receive(timeout=0) is not None:
                    pass
        except (ConnectionClosed, OSError) as exc:  # the client went away
            log.debug("websocket of %s closed: %s", party_id, exc)
        finally:
            self.disconnect(connection)


class RedisRelay:
    """Publishes emits on a Redis channel and feeds other processes' emits to a handler.

    ``client``: a redis-py client (used to publish and to subscribe); ``channel``: the channel
    name; ``breaker``: the store's Redis circuit breaker, guarding publishes.
    The subscriber thread (a greenlet under gevent) starts on first use and reconnects
    after Redis errors.
    """

    def __init__(self, client, channel, breaker=None):
        self._client = client
        self._channel = channel
        self._breaker = breaker
        self._thread = None
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def publish(self, message):
        """Publish ``message`` (on the request path: bounded by the client's timeouts and
        skipped while ``breaker`` is open); never raises."""
        try:
            if self._breaker is not None:
                self._breaker.call(self._client.publish, self._channel, json.dumps(message))
            else:
                self._client.publish(self._channel, json.dumps(message))
        except REDIS_ERRORS as exc:
            log.warning("websocket relay publish failed: %s", exc)

    def start(self, handler):
        """Start the subscriber once; ``handler(message_dict)`` runs for every message."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._listen, args=(handler,),
                                                name="ws-relay", daemon=True)
                self._thread.start()

    def stop(self):
        self._stop.set()

    def _listen(self, handler):
        while not self._stop.is_set():
            pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(self._channel)
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message is not None:
                        handler(json.loads(message["data"]))
            except REDIS_ERRORS as exc:
                log.warning("websocket relay lost Redis, retrying: %s", exc)
                time.sleep(1.0)
            except Exception:  # a bad message must not stop delivery
                log.exception("websocket relay message failed")
            finally:
                pubsub.close()
