"""SPEC §9: GET /healthz."""

from flask import Blueprint

from blueprints.common import ok, services
from blueprints.errors import envelope

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    status = services().store.ping()
    if status["mongo"] != "ok":
        return envelope(503, "mongo is down", status)
    return ok(status, "ok")
