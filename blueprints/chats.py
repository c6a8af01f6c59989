"""SPEC §6 voice messages (/app_uploader, /toy_uploader, /chat_list, /recv_msg) and the HTTP
twin of the ``play`` socket event (/push_music, SPEC §8)."""

from flask import Blueprint, g, jsonify, request

from blueprints.common import authenticated, body, ok, services
from services.auth import APP, TOY, require_kind

bp = Blueprint("chats", __name__)


def _upload(field):
    """The uploaded file's stream (never its client-side name), or None."""
    upload = request.files.get(field)
    return upload.stream if upload is not None else None


@bp.post("/app_uploader")
@authenticated
def app_uploader():
    require_kind(g.caller, APP)
    with services().upload_turns.turn():
        data = services().messages.send_voice_message(g.caller, body(), _upload("reco_file"),
                                                       "reco_file")
    return ok(data, "Upload Success")


@bp.post("/toy_uploader")
@authenticated
def toy_uploader():
    require_kind(g.caller, TOY)
    with services().upload_turns.turn():
        data = services().messages.send_voice_message(g.caller, body(), _upload("reco"), "reco")
    return ok(data, "Upload Success")


@bp.post("/chat_list")
@authenticated
def chat_list():
    return ok(services().messages.chat_history(g.caller, body()), "Query chat records")


@bp.post("/recv_msg")
@authenticated
def recv_msg():
    return jsonify(services().inbox.receive(g.caller, body()))


@bp.post("/push_music")
@authenticated
def push_music():
    return ok(services().playback.push(g.caller, body()), "Music pushed")
