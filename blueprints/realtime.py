"""SPEC §8 Socket.IO: token on connect, one room per party, toy presence for the owner."""

import logging

from flask import request
from flask_socketio import ConnectionRefusedError, join_room

from blueprints.common import services
from services.auth import TOY
from services.errors import ServiceError

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
