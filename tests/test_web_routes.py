"""The web blueprint: pages, modules with a JavaScript type, path safety, API 404s unchanged."""

import pytest


@pytest.fixture
def client(api):
    """``api`` (tests.support.Api) closes file responses after reading them."""
    return api


def test_pages_are_html_and_not_cached_stale(client):
    response = client.get("/")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert b"<html" in response.data and response.headers["Cache-Control"] == "no-cache"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/vendor/socket.io/socket.io.esm.min.js",
                                  "/vendor/qrcode-generator/qrcode.mjs",
                                  "/vendor/jsqr/jsQR.js", "/web/common/api.js"])
def test_modules_are_javascript(client, path):
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "max-age=300" in response.headers["Cache-Control"] and response.headers["ETag"]
    again = client.get(path, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_styles_licences_and_icon(client):
    assert client.get("/web/common/style.css").mimetype == "text/css"
    assert b"MIT" in client.get("/vendor/socket.io/LICENSE").data
    assert client.get("/favicon.ico").mimetype == "image/svg+xml"


@pytest.mark.parametrize("path", ["/web/../app.py", "/web/%2e%2e/config.py",
                                  "/vendor/../../app.py", "/web//etc/passwd",
                                  "/web/common/missing.js", "/vendor/socket.io/",
                                  "/web/parent/index.html.bak", "/web/../../../../etc/passwd"])
def test_unsafe_or_unknown_files_are_the_404_envelope(client, path):
    response = client.get(path)
    assert response.status_code == 404 and response.get_json()["code"] == 404


def test_unknown_api_routes_keep_the_json_404(client):
    response = client.client.post("/no_such_endpoint")
    assert response.status_code == 404
    assert response.get_json() == {"code": 404, "msg": "no such endpoint or file", "data": {}}
    assert client.get("/toy_list").status_code == 405
