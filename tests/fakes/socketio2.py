"""A fake Socket.IO 2.x server (Engine.IO protocol v3, websocket transport) on 127.0.0.1.

Speaks what the Lovense socket service speaks (seeds/000-001): opens with
``0{"sid","upgrades":[],"pingInterval","pingTimeout"}`` then ``40`` (or ``40/nsp,`` once the
client asks for a namespace), answers the client's ping ``2`` with pong ``3``, answers
``basicapi_get_qrcode_ts`` with a ``basicapi_get_qrcode_tc`` JSON *string*, and records every
event. ``push`` sends an event to every client, ``drop_all`` cuts the connections,
``mute_pongs`` stops answering pings. Built on wsproto over plain sockets.
"""

import json
import socket
import threading
import time
from urllib.parse import parse_qs, urlsplit

from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    CloseConnection,
    Ping,
    RejectConnection,
    Request,
    TextMessage,
)

MAX_CLIENT_SECONDS = 30


class _Client:
    def __init__(self, server, sock):
        self.server, self.sock = server, sock
        self.ws = WSConnection(ConnectionType.SERVER)
        self.lock = threading.Lock()
        self.namespace = "/"
        self.open = True

    def send_text(self, text):
        with self.lock:
            if self.open:
                try:
                    self.sock.sendall(self.ws.send(TextMessage(data=text)))
                except OSError:
                    self.open = False

    def close(self):
        self.open = False
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def run(self):
        deadline = time.monotonic() + MAX_CLIENT_SECONDS
        self.sock.settimeout(0.2)
        while self.open and time.monotonic() < deadline and not self.server.stopped.is_set():
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            if not data:
                break
            self.ws.receive_data(data)
            for event in self.ws.events():
                self.handle(event)
        self.close()

    def handle(self, event):
        if isinstance(event, Request):
            self.server.handshakes.append(event.target)
            query = parse_qs(urlsplit(event.target).query)
            path_ok = urlsplit(event.target).path.rstrip("/") == self.server.path.rstrip("/")
            if not path_ok or query.get("EIO") != ["3"] or query.get("transport") != ["websocket"]:
                with self.lock:
                    self.sock.sendall(self.ws.send(RejectConnection(status_code=400)))
                self.open = False
                return
            with self.lock:
                self.sock.sendall(self.ws.send(AcceptConnection()))
            self.send_text("0" + json.dumps({"sid": "fake-sid", "upgrades": [],
                                             "pingInterval": self.server.ping_interval_ms,
                                             "pingTimeout": self.server.ping_timeout_ms}))
            self.send_text("40")
        elif isinstance(event, TextMessage):
            self.server.on_packet(self, event.data)
        elif isinstance(event, Ping):
            with self.lock:
                self.sock.sendall(self.ws.send(event.response()))
        elif isinstance(event, CloseConnection):
            with self.lock:
                try:
                    self.sock.sendall(self.ws.send(event.response()))
                except OSError:
                    pass
            self.open = False


class FakeSocketIo2Server:
    """Records ``events`` (name, data), ``pings`` (monotonic times) and ``handshakes``."""

    def __init__(self, path="/developer.io", ping_interval_ms=25000, ping_timeout_ms=5000):
        self.path = path
        self.ping_interval_ms, self.ping_timeout_ms = ping_interval_ms, ping_timeout_ms
        self.events, self.pings, self.handshakes, self.clients = [], [], [], []
        self.answer_pings = True
        self.qrcode = {"qrcodeUrl": "https://example.invalid/qr.png", "qrcode": "qr-raw-data"}
        self.stopped = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self):
        while not self.stopped.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            client = _Client(self, sock)
            self.clients.append(client)
            threading.Thread(target=client.run, daemon=True).start()

    def on_packet(self, client, text):
        if text.startswith("2"):
            self.pings.append(time.monotonic())
            if self.answer_pings:
                client.send_text("3" + text[1:])
        elif text.startswith("40/"):
            client.namespace = text[2:].split(",")[0].split("?")[0]
            self.events.append(("connect", text[2:]))
            client.send_text(f"40{client.namespace},")
        elif text.startswith("42"):
            body = text[2:]
            if body.startswith("/"):
                body = body.partition(",")[2]
            name, *rest = json.loads(body)
            data = rest[0] if rest else None
            self.events.append((name, data))
            if name == "basicapi_get_qrcode_ts":
                answer = {"code": 0, "message": "Success",
                          "data": {**self.qrcode, "ackId": (data or {}).get("ackId")}}
                self.emit_to(client, "basicapi_get_qrcode_tc", json.dumps(answer))

    def emit_to(self, client, event, data):
        prefix = "" if client.namespace == "/" else f"{client.namespace},"
        client.send_text("42" + prefix + json.dumps([event, data]))

    def push(self, event, data):
        """Send ``event`` to every open client; dicts are sent as JSON strings like Lovense."""
        payload = json.dumps(data) if isinstance(data, dict) else data
        for client in list(self.clients):
            if client.open:
                self.emit_to(client, event, payload)

    def mute_pongs(self):
        self.answer_pings = False

    def drop_all(self):
        """Cut every connection without a close handshake."""
        for client in list(self.clients):
            client.close()

    def open_clients(self):
        return [c for c in self.clients if c.open]

    def close(self):
        self.stopped.set()
        self.drop_all()
        self._listener.close()
        self._thread.join(2)
