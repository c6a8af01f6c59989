"""A recording HTTPS server on 127.0.0.1 that the Lovense fakes build on.

Every request is recorded (path, headers, raw body, parsed JSON or form, TLS server name) before
the fake decides its answer. ``hang`` makes it wait (bounded) before answering, ``drop`` closes
the connection without an answer, ``vanish`` closes the listening socket (connection refused).
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # keep pytest output clean
        pass

    def do_POST(self):
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        record = fake.record(self.path, dict(self.headers.items()), raw, self.connection)
        if fake.drop_next or fake.mode == "drop":
            fake.drop_next = False
            self.close_connection = True
            self.connection.close()
            return
        if fake.hang_seconds:
            fake.release.wait(fake.hang_seconds)
        status, payload = fake.respond(record)
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class RecordingHttpsServer:
    """Base of the fakes: subclasses implement ``respond(record) -> (status, payload)``."""

    def __init__(self, context):
        self.requests = []
        self.server_names = []
        self.mode = "normal"
        self.drop_next = False
        self.hang_seconds = 0
        self.release = threading.Event()
        context.sni_callback = self._sni
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._server.fake = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def _sni(self, ssl_socket, server_name, context):
        self.server_names.append(server_name)

    def record(self, path, headers, raw, connection):
        content_type = headers.get("Content-Type", "")
        record = {"path": path, "headers": headers, "raw": raw, "content_type": content_type}
        if content_type.startswith("application/json"):
            record["json"] = json.loads(raw.decode())
        elif content_type.startswith("application/x-www-form-urlencoded"):
            record["form"] = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        self.requests.append(record)
        return record

    def hang(self, seconds=5.0):
        """Answer only after ``seconds`` (or when the test ends)."""
        self.hang_seconds = seconds

    def drop(self):
        """Close every connection without an answer."""
        self.mode = "drop"

    def vanish(self):
        """Stop listening: later connects are refused."""
        self._server.shutdown()
        self._server.socket.close()

    def close(self):
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(2)
