"""SPEC §4: /scan_qr, /bind_toy, /toy_list, /unbind_toy, /open_toy."""

from flask import Blueprint, g, jsonify

from blueprints.common import authenticated, body, ok, outcome, rate_limited, services
from services.auth import APP, require_kind

bp = Blueprint("toys", __name__)


@bp.post("/scan_qr")
@authenticated
def scan_qr():
    require_kind(g.caller, APP)
    return outcome(*services().toys.scan_qr(body()))


@bp.post("/bind_toy")
@authenticated
def bind_toy():
    services().toys.bind(g.caller, body())
    return ok(msg="Binding Completion")


@bp.post("/toy_list")
@authenticated
def toy_list():
    return ok(services().toys.list_for(g.caller, body()), "Obtain Toy list")


@bp.post("/unbind_toy")
@authenticated
def unbind_toy():
    services().toys.unbind(g.caller, body())
    return ok(msg="Unbinding Completion")


@bp.post("/open_toy")
@rate_limited("open_toy")
def open_toy():
    return jsonify(services().toys.open_toy(body()))
