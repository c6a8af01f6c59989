"""SPEC §3: the content list and file downloads (Range, ETag, Last-Modified)."""

from flask import Blueprint, request

from blueprints.common import body, json_response, ok_bytes, services
from services.errors import NotFound
from services.media.response import media_response

bp = Blueprint("content", __name__)


@bp.route("/content_list", methods=["GET", "POST"])
def content_list():
    page = services().content.rendered_page(
        body(), lambda items: ok_bytes(items, "Get a list of content resources"))
    return json_response(page)


def _send(kind, name):
    return media_response(services().media.open(kind, name), request.environ)


@bp.get("/get_music/<path:name>")
def get_music(name):
    return _send("music", name)


@bp.get("/get_image/<path:name>")
@bp.get("/get_cover/<path:name>", endpoint="get_cover")
def get_image(name):
    return _send("image", name)


@bp.get("/get_chat/<path:name>")
def get_chat(name):
    return _send("chat", name)


@bp.get("/get_qr/<path:name>")
def get_qr(name):
    try:
        return _send("qr", name)
    except NotFound:
        return _send("qr", f"{name}.png")
