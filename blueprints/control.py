"""SPEC §10: Lovense device control (linking, commands, Basic Socket API, Cam Kit tips)."""

from flask import Blueprint, g, request

from blueprints.common import authenticated, body, ok, services

bp = Blueprint("control", __name__)


@bp.post("/lovense/qr")
@authenticated
def lovense_qr():
    return ok(services().devicectl.qr(g.caller, body()))


@bp.post("/lovense/callback")
def lovense_callback():
    """Called by Lovense Remote (no bearer token: the utoken is the proof)."""
    fields = body()
    if not fields:  # some app versions post JSON without a JSON content type
        raw = request.get_json(force=True, silent=True)
        fields = raw if isinstance(raw, dict) else {}
    services().devicectl.callback(fields)
    return ok()


@bp.post("/toy_control")
@authenticated
def toy_control():
    return ok(services().devicectl.control(g.caller, body()))


@bp.post("/lovense/socket/start")
@authenticated
def lovense_socket_start():
    return ok(services().devicectl.start_socket(g.caller, body()))


@bp.post("/lovense/cam/token")
@authenticated
def lovense_cam_token():
    return ok(services().devicectl.cam_token(g.caller, body()))


@bp.post("/lovense/tip_levels")
@authenticated
def lovense_tip_levels():
    return ok(services().devicectl.tip_levels(g.caller, body()))


@bp.post("/lovense/tip")
@authenticated
def lovense_tip():
    return ok(services().devicectl.tip(g.caller, body()))
