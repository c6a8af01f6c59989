"""SPEC §8 Socket.IO: token on connect, one room per party, toy presence for the owner; the
``play`` client event; the plain WebSocket at ``/ws?token=`` for toys without Socket.IO."""

import base64
import binascii
import logging
from socket import SHUT_RDWR

from flask import Blueprint, Response, current_app, request
from flask_socketio import ConnectionRefusedError, join_room

from blueprints.common import bearer_token, services
from services.auth import TOY
from services.errors import InvalidInput, ServiceError, Unauthorized

log = logging.getLogger(__name__)


def socket_token(auth):
    """The token from the connect ``auth`` payload, ``?token=`` or a Bearer header."""
    if isinstance(auth, dict) and auth.get("token"):
        return str(auth["token"])
    if request.args.get("token"):
        return request.args["token"]
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


def register_socket_handlers(socketio):
    """Attach the connection handlers to this app's SocketIO server. A connection ends when
    its token is revoked or expires (``services.revocation.LiveSockets``)."""
    sessions = {}  # sid -> Caller, for presence on disconnect
    _drop_malformed_packets(socketio.server)

    @socketio.on("connect")
    def connect(auth=None):
        try:
            caller = services().tokens.verify(socket_token(auth))
        except ServiceError as error:
            raise ConnectionRefusedError(error.msg) from None
        sid = request.sid
        sessions[sid] = caller
        join_room(caller.id)
        services().live_sockets.add(("socketio", sid), caller, lambda: socketio.server.disconnect(
            sid, namespace="/", ignore_queue=True))
        if caller.kind == TOY:
            services().presence.joined(caller.id, ("socketio", sid))

    @socketio.on("disconnect")
    def disconnect(*_):
        services().live_sockets.remove(("socketio", request.sid))
        caller = sessions.pop(request.sid, None)
        if caller is not None and caller.kind == TOY:
            services().presence.left(caller.id, ("socketio", request.sid))

    return sessions


def _drop_malformed_packets(server):
    """A Socket.IO packet that is not valid JSON (or nested too deeply to parse), even before
    the connect is authenticated, ends that connection with one warning, not a traceback."""
    handle = server.eio.handlers["message"]

    def guarded(eio_sid, data):
        try:
            return handle(eio_sid, data)
        except (ValueError, RecursionError) as exc:
            log.warning("malformed Socket.IO packet, connection closed: %s", str(exc)[:80])
            server.eio.disconnect(eio_sid)
            return None

    server.eio.handlers["message"] = guarded


def register_play_handler(socketio, sessions):
    """``play`` ``{to_user: toy_id, music}`` from a toy's owner → ``music`` to the toy. The ack
    is the envelope (``code`` 0, or the error status)."""

    @socketio.on("play")
    def play(data=None):
        try:
            caller = sessions.get(request.sid)
            if caller is None:
                raise Unauthorized("connect with a token first")
            services().tokens.recheck(caller)  # revoked or expired since the connect
            body = data if isinstance(data, dict) else {}
            result = services().playback.push(caller, body, "to_user")
        except ServiceError as error:
            return {"code": error.status, "msg": error.msg, "data": {}}
        return {"code": 0, "msg": "Music pushed", "data": result}


bp = Blueprint("realtime", __name__)


@bp.route("/ws", websocket=True)
@bp.get("/ws", endpoint="plain_websocket_no_upgrade")
def plain_websocket():
    """Plain WebSocket: ``{"event": name, "data": {...}}`` text frames for the token's party.
    401 without a valid token, 400 when the request is not a valid WebSocket upgrade; the
    socket ends when its token is revoked or expires."""
    svc = services()
    caller = svc.tokens.verify(request.args.get("token") or bearer_token())
    socket = _accept_websocket(request.environ)
    connection = svc.wshub.connect(caller.id)
    key = ("ws", id(connection))
    svc.live_sockets.add(key, caller, connection.close)
    if caller.kind == TOY:
        svc.presence.joined(caller.id, key)
    try:
        svc.wshub.serve(connection, socket)
    finally:
        svc.live_sockets.remove(key)
        svc.wshub.disconnect(connection)
        if caller.kind == TOY:
            svc.presence.left(caller.id, key)
        _close_websocket(socket)
    return _WebSocketDone(mode=socket.mode)


def _close_websocket(socket, grace_seconds=2.0):
    """Close our side. When the client already closed, simple-websocket's reader thread has
    closed the socket and ``close`` raises ConnectionClosed instead. When we close first (token
    revoked), the reader takes the client's close reply and closes the socket; we wait for it
    (``grace_seconds``, then the socket is shut down), so the HTTP server never reads that
    frame as a new request."""
    from simple_websocket import ConnectionClosed

    try:
        socket.close()
    except ConnectionClosed:
        return
    reader = getattr(socket, "thread", None)
    if reader is not None:
        reader.join(grace_seconds)
    try:
        socket.sock.shutdown(SHUT_RDWR)
    except OSError:
        pass  # already closed by the reader


def _accept_websocket(environ):
    """A simple-websocket server connection; under gevent, with gevent's thread, event and
    selector classes (as python-engineio's gevent driver does), so it also works unpatched."""
    from simple_websocket import Server

    _check_upgrade(environ)
    options = {"ping_interval": 25}
    if current_app.extensions["socketio"].async_mode == "gevent":
        import gevent.event
        import gevent.selectors
        from engineio.async_drivers.gevent import Thread

        options.update(thread_class=Thread, event_class=gevent.event.Event,
                       selector_class=gevent.selectors.DefaultSelector)
    try:
        return Server.accept(environ, **options)
    except Exception as exc:  # noqa: BLE001 - a handshake the library refuses is the client's
        log.info("websocket handshake refused: %r", exc)
        raise InvalidInput(f"invalid WebSocket handshake: {UPGRADE_NEEDED}") from None


UPGRADE_NEEDED = "send Upgrade: websocket, Sec-WebSocket-Key and Sec-WebSocket-Version: 13"


def _check_upgrade(environ):
    """Raise InvalidInput (400) unless ``environ`` is a well-formed WebSocket upgrade."""
    upgrade = environ.get("HTTP_UPGRADE", "").lower()
    connection = environ.get("HTTP_CONNECTION", "").lower()
    key = environ.get("HTTP_SEC_WEBSOCKET_KEY", "")
    if upgrade != "websocket" or "upgrade" not in connection:
        raise InvalidInput(f"/ws is a WebSocket: {UPGRADE_NEEDED}")
    try:
        valid_key = len(base64.b64decode(key, validate=True)) == 16
    except (binascii.Error, ValueError):
        valid_key = False
    if not valid_key or environ.get("HTTP_SEC_WEBSOCKET_VERSION") != "13":
        raise InvalidInput(f"invalid WebSocket handshake: {UPGRADE_NEEDED}")


class _WebSocketDone(Response):
    """The response after a WebSocket session: the socket was taken over, so write nothing.

    Werkzeug's dev server is told by ``ConnectionError`` to drop the connection quietly; gevent
    and others accept an empty body without headers (python-engineio does the same).
    """

    def __init__(self, mode):
        super().__init__()
        self.mode = mode

    def __call__(self, environ, start_response):
        if self.mode == "werkzeug":
            raise ConnectionError("websocket closed")
        if self.mode == "gunicorn":
            raise StopIteration()
        return []
