"""SPEC §7 speech assistant: POST /ai_uploader (toy token, multipart ``reco``) → flat answer."""

from flask import Blueprint, g, jsonify, request

from blueprints.common import authenticated, body, services
from services.auth import TOY, require_kind, same_caller

bp = Blueprint("speech", __name__)


@bp.post("/ai_uploader")
@authenticated
def ai_uploader():
    require_kind(g.caller, TOY)
    same_caller(g.caller, body().get("toy_id"), "toy_id")
    upload = request.files.get("reco")
    stream = upload.stream if upload is not None else None
    return jsonify(services().assistant.answer(g.caller.id, stream))
