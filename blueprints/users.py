"""SPEC §2: /reg, /login, /auto_login, /logout."""

from flask import Blueprint, g

from blueprints.common import authenticated, body, ok, rate_limited, services
from services.auth import APP, require_kind, same_caller

bp = Blueprint("users", __name__)


@bp.post("/reg")
@rate_limited("auth")
def register():
    services().accounts.register(body())
    return ok(msg="Registration successful")


@bp.post("/login")
@rate_limited("auth")
def login():
    return ok(services().accounts.login(body()), "Successful login")


@bp.post("/auto_login")
@authenticated
def auto_login():
    require_kind(g.caller, APP)
    same_caller(g.caller, body().get("_id"), "_id")
    return ok(services().accounts.profile(g.caller), "Successful login")


@bp.post("/logout")
@authenticated
def logout():
    services().accounts.logout(g.caller)
    return ok(msg="Logged out")
