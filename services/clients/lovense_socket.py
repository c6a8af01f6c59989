"""A small Socket.IO 2.x client (Engine.IO protocol v3) over websocket-client.

The Lovense Basic Socket API (seeds/000-001) needs a Socket.IO **2.x** client; python-socketio 5
cannot be one (LOVENSE.md). Protocol facts (Engine.IO v3, Socket.IO protocol 4 as used by 2.x):
the server opens with ``0{"sid","pingInterval","pingTimeout"}``; the *client* sends ping ``2``
every pingInterval and expects pong ``3`` within pingTimeout; Socket.IO packets ride in Engine.IO
messages ``4``: ``40`` connect, ``41`` disconnect, ``42["event", data]`` event, ``44`` error, a
non-root namespace written after the type (``42/nsp,[...]``). Lovense event payloads are JSON
*strings*; they are decoded before the handler sees them.
"""

import json
import logging
import random
import threading
import time
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import websocket

from services.clients.tls import client_context
from services.errors import Upstream

log = logging.getLogger(__name__)
RECV_SLICE = 0.5


class ProtocolError(Exception):
    """The server broke the Engine.IO v3 / Socket.IO 2 protocol or refused the namespace."""


def engine_url(url, path="/socket.io"):
    """``https://h/nsp?ntoken=x`` + path → (``wss://h/path/?EIO=3&transport=websocket&...``,
    namespace, query string)."""
    parts = urlsplit(url)
    scheme = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}.get(parts.scheme)
    if scheme is None or not parts.netloc:
        raise ValueError("socket URL must be http(s) or ws(s)")
    namespace = parts.path.rstrip("/") or "/"
    query = [("EIO", "3"), ("transport", "websocket"), *parse_qsl(parts.query)]
    engine_path = "/" + (path or "/socket.io").strip("/") + "/"
    return urlunsplit((scheme, parts.netloc, engine_path, urlencode(query), "")), namespace, \
        parts.query


def decode_payload(data):
    """Lovense sends JSON strings: decode them; leave anything else as it is."""
    if isinstance(data, str):
        try:
            return json.loads(data)
        except ValueError:
            return data
    return data


def parse_socket_packet(text):
    """A Socket.IO packet (Engine.IO message body) → ``(type, namespace, payload or None)``."""
    if not text or not text[0].isdigit():
        raise ProtocolError("empty or malformed Socket.IO packet")
    kind, rest, namespace = text[0], text[1:], "/"
    if rest.startswith("/"):
        namespace, _, rest = rest.partition(",")
        namespace = namespace.split("?")[0]
    index = 0
    while index < len(rest) and rest[index].isdigit():  # optional ack id
        index += 1
    body = rest[index:]
    try:
        payload = json.loads(body) if body else None
    except ValueError:
        raise ProtocolError("Socket.IO packet payload is not JSON") from None
    return kind, namespace, payload


class SocketIo2Client:
    """Keeps one Socket.IO 2.x connection alive in a background thread.

    ``on_event(event, data)`` gets every server event (JSON-string payloads decoded);
    ``on_status(state)`` gets "connected", "disconnected" and finally "closed". Reconnects with
    exponential backoff (``backoff`` = first, largest delay in seconds) up to ``max_attempts``
    failures in a row. ``timeout`` bounds the connect and the handshake.
    """

    def __init__(self, url, path="/socket.io", on_event=None, on_status=None, *, timeout=5.0,
                 ca_bundle=None, backoff=(1.0, 30.0), max_attempts=10):
        self._url, self.namespace, self._query = engine_url(url, path)
        self._on_event = on_event or (lambda event, data: None)
        self._on_status = on_status or (lambda state: None)
        self._timeout = timeout
        self._sslopt = {"context": client_context(ca_bundle)}
        self._backoff = backoff
        self._max_attempts = max_attempts
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._ws = None
        self._thread = None
        self._joined = False
        self.host = urlsplit(self._url).netloc

    @property
    def connected(self):
        return self._connected.is_set()

    @property
    def running(self):
        """False once the client was closed or gave up reconnecting."""
        return self._thread is not None and self._thread.is_alive() and not self._stop.is_set()

    def start(self):
        """Start the background thread (returns at once)."""
        self._thread = threading.Thread(target=self._run, name="lovense-socket", daemon=True)
        self._thread.start()
        return self

    def wait_connected(self, timeout):
        """True once the namespace is joined, False after ``timeout`` seconds."""
        return self._connected.wait(timeout)

    def emit(self, event, data):
        """Send ``42["event", data]`` (fire and forget). Raises Upstream when not connected."""
        prefix = "" if self.namespace == "/" else f"{self.namespace},"
        packet = "42" + prefix + json.dumps([event, data], separators=(",", ":"))
        ws = self._ws
        if ws is None or not self._connected.is_set():
            raise Upstream("Lovense socket session is not connected")
        try:
            ws.send(packet)
        except (websocket.WebSocketException, OSError):
            raise Upstream("Lovense socket session is not connected") from None

    def close(self, wait=2.0):
        """Stop the session and the thread (waits up to ``wait`` seconds)."""
        self._stop.set()
        ws = self._ws
        if ws is not None:
            try:
                ws.close(timeout=0.2)
            except (websocket.WebSocketException, OSError):
                pass
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(wait)

    def _run(self):
        failures = 0
        while not self._stop.is_set():
            self._joined = False
            try:
                self._session()
            except (websocket.WebSocketException, OSError, ProtocolError, ValueError) as exc:
                log.info("Lovense socket %s: %s", self.host, type(exc).__name__)
            finally:
                self._drop()
            if self._stop.is_set():
                break
            failures = 1 if self._joined else failures + 1
            if self._max_attempts is not None and failures > self._max_attempts:
                log.warning("Lovense socket %s: giving up after %d attempts", self.host,
                            failures - 1)
                break
            first, largest = self._backoff
            delay = min(largest, first * 2 ** (failures - 1)) * random.uniform(0.5, 1.0)
            self._stop.wait(delay)
        self._on_status("closed")

    def _drop(self):
        was_connected = self._connected.is_set()
        self._connected.clear()
        ws, self._ws = self._ws, None
        if ws is not None:
            try:
                ws.close(timeout=0.2)
            except (websocket.WebSocketException, OSError):
                pass
        if was_connected and not self._stop.is_set():
            self._on_status("disconnected")

    def _session(self):
        """One connection: handshake, then read until it ends."""
        ws = websocket.create_connection(self._url, timeout=self._timeout, sslopt=self._sslopt,
                                         enable_multithread=True)
        self._ws = ws
        opened = ws.recv()
        if not isinstance(opened, str) or not opened.startswith("0"):
            raise ProtocolError("no Engine.IO open packet")
        handshake = json.loads(opened[1:])
        interval = float(handshake.get("pingInterval", 25000)) / 1000
        ping_timeout = float(handshake.get("pingTimeout", 20000)) / 1000
        if self.namespace != "/":
            query = f"?{self._query}" if self._query else ""
            ws.send(f"40{self.namespace}{query},")
        self._read_loop(ws, interval, ping_timeout)

    def _read_loop(self, ws, interval, ping_timeout):
        next_ping, pong_deadline = time.monotonic() + interval, None
        join_deadline = time.monotonic() + self._timeout
        while not self._stop.is_set():
            now = time.monotonic()
            if not self._joined and now > join_deadline:
                raise ProtocolError("namespace not joined in time")
            if pong_deadline is not None and now > pong_deadline:
                raise ProtocolError("no pong within pingTimeout")
            if now >= next_ping:
                ws.send("2")
                next_ping = now + interval
                pong_deadline = pong_deadline or now + ping_timeout
            ws.settimeout(max(0.01, min(RECV_SLICE, next_ping - now)))
            try:
                frame = ws.recv()
            except websocket.WebSocketTimeoutException:
                continue
            if not isinstance(frame, str) or not frame:
                continue
            if frame[0] == "3":
                pong_deadline = None
            elif frame[0] == "2":
                ws.send("3" + frame[1:])
            elif frame[0] == "1":
                break
            elif frame[0] == "4" and not self._socket_packet(frame[1:]):
                break

    def _socket_packet(self, text):
        """Handle one Socket.IO packet; False when the server ended the namespace."""
        kind, namespace, payload = parse_socket_packet(text)
        if namespace != self.namespace:
            return True
        if kind == "0":
            self._joined = True
            self._connected.set()
            self._on_status("connected")
        elif kind == "1":
            return False
        elif kind == "4":
            raise ProtocolError("namespace refused by the server")
        elif kind == "2" and isinstance(payload, list) and payload:
            event, data = payload[0], payload[1] if len(payload) > 1 else None
            try:
                self._on_event(event, decode_payload(data))
            except Exception:  # a handler bug must not kill the session
                log.exception("Lovense socket handler for %s failed", event)
        return True
