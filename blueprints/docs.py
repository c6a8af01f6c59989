"""The API reference: GET /openapi.json (docs/openapi.yaml as JSON) and GET /docs (Swagger UI,
vendored under static/vendor/swagger-ui, no CDN)."""

from flask import Blueprint, current_app, jsonify, send_from_directory

from services.apidoc import ApiReference, viewer_file
from services.errors import NotFound

bp = Blueprint("docs", __name__)


def _reference():
    return current_app.extensions.setdefault("smarttoy_apidoc", ApiReference())


@bp.get("/openapi.json")
def openapi_json():
    return jsonify(_reference().document())


@bp.get("/docs")
def docs_page():
    return docs_file("index.html")


@bp.get("/docs/<path:name>")
def docs_file(name):
    found = viewer_file(name)
    if found is None:
        raise NotFound("no such file")
    plain = "." not in name  # LICENSE, NOTICE
    return send_from_directory(*found, max_age=3600, mimetype="text/plain" if plain else None)
