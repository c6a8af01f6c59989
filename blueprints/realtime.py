"""SPEC §8 Socket.IO: token on connect, one room per party, toy presence for the owner; the
``play`` client event; the plain WebSocket at ``/ws?token=`` for toys without Socket.IO."""

import logging

from flask import Blueprint, Response, current_app, request
from flask_socketio import ConnectionRefusedError, join_room

from blueprints.common import bearer_token, services
from services.auth import TOY
from services.errors import ServiceError, Unauthorized

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
    """Attach the connection handlers to this app's SocketIO server."""
    sessions = {}  # sid -> Caller, for presence on disconnect

    @socketio.on("connect")
    def connect(auth=None):
        try:
            caller = services().tokens.verify(socket_token(auth))
        except ServiceError as error:
            raise ConnectionRefusedError(error.msg) from None
        sessions[request.sid] = caller
        join_room(caller.id)
        if caller.kind == TOY:
            _presence(caller.id, True)

    @socketio.on("disconnect")
    def disconnect(*_):
        caller = sessions.pop(request.sid, None)
        if caller is not None and caller.kind == TOY:
            _presence(caller.id, False)

    return sessions


def _presence(toy_id, online):
    svc = services()
    try:
        owner = svc.toys.get(toy_id)["bind_user"]
    except ServiceError:
        return
    svc.notifier.emit("toy_status", {"toy_id": toy_id, "online": online}, to=owner)


def register_play_handler(socketio, sessions):
    """``play`` ``{to_user: toy_id, music}`` from a toy's owner → ``music`` to the toy. The ack
    is the envelope (``code`` 0, or the error status)."""

    @socketio.on("play")
    def play(data=None):
        try:
            caller = sessions.get(request.sid)
            if caller is None:
                raise Unauthorized("connect with a token first")
            body = data if isinstance(data, dict) else {}
            result = services().playback.push(caller, body, "to_user")
        except ServiceError as error:
            return {"code": error.status, "msg": error.msg, "data": {}}
        return {"code": 0, "msg": "Music pushed", "data": result}


bp = Blueprint("realtime", __name__)


@bp.route("/ws", websocket=True)
def plain_websocket():
    """Plain WebSocket: ``{"event": name, "data": {...}}`` text frames for the token's party."""
    caller = services().tokens.verify(request.args.get("token") or bearer_token())
    socket = _accept_websocket(request.environ)
    if caller.kind == TOY:
        _presence(caller.id, True)
    try:
        services().wshub.serve(caller.id, socket)
    finally:
        if caller.kind == TOY:
            _presence(caller.id, False)
        _close_websocket(socket)
    return _WebSocketDone(mode=socket.mode)


def _close_websocket(socket):
    """Close our side; when the client already closed, simple-websocket's reader thread has
    closed the socket and ``close`` raises ConnectionClosed instead."""
    from simple_websocket import ConnectionClosed

    try:
        socket.close()
    except ConnectionClosed:
        pass


def _accept_websocket(environ):
    """A simple-websocket server connection; under gevent, with gevent's thread, event and
    selector classes (as python-engineio's gevent driver does), so it also works unpatched."""
    from simple_websocket import Server

    options = {"ping_interval": 25}
    if current_app.extensions["socketio"].async_mode == "gevent":
        import gevent.event
        import gevent.selectors
        from engineio.async_drivers.gevent import Thread

        options.update(thread_class=Thread, event_class=gevent.event.Event,
                       selector_class=gevent.selectors.DefaultSelector)
    return Server.accept(environ, **options)


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
