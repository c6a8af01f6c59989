"""SPEC §5: /friend_list, /add_req, /req_list, /ref_req, /acc_req."""

from flask import Blueprint, g

from blueprints.common import authenticated, body, ok, services

bp = Blueprint("friends", __name__)


@bp.post("/friend_list")
@authenticated
def friend_list():
    return ok(services().friends.friend_list(g.caller, body()), "Friends Inquiry")


@bp.post("/add_req")
@authenticated
def add_req():
    req_id = services().friends.request(g.caller, body())
    return ok({"req_id": req_id}, "Successful Added Friends Request")


@bp.post("/req_list")
@authenticated
def req_list():
    return ok(services().friends.requests_for(g.caller, body()), "Query Friends Request")


@bp.post("/ref_req")
@authenticated
def ref_req():
    services().friends.refuse(g.caller, body())
    return ok(msg="Refuse to add friends")


@bp.post("/acc_req")
@authenticated
def acc_req():
    services().friends.accept(g.caller, body())
    return ok(msg="Agree to add friends")
