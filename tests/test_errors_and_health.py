"""Envelope on every error, rate limits, health check, production guard."""

import pytest

from app import create_app


def test_unknown_route_and_wrong_method_use_the_envelope(api):
    response = api.client.get("/nope")
    assert response.status_code == 404 and response.get_json()["code"] == 404
    response = api.client.get("/login")
    assert response.status_code == 405 and response.get_json() == {
        "code": 405, "msg": "method not allowed", "data": {}}


def test_unexpected_errors_hide_details(api):
    api.services.accounts.register = lambda body: 1 / 0
    status, body = api.post("/reg", username="x")
    assert (status, body) == (500, {"code": 500, "msg": "internal error", "data": {}})


def test_oversized_body_is_413(make_app):
    from tests.support import Api

    api = Api(make_app({"MAX_UPLOAD_MB": 0.01}))
    response = api.client.post("/reg", data={"username": "x" * 80_000})
    assert response.status_code == 413 and response.get_json()["code"] == 413


def test_rate_limit_on_login_reg_and_open_toy(make_app):
    from tests.support import Api

    api = Api(make_app({"RATE_LIMIT": "3/60"}))
    for path in ("/login", "/open_toy"):
        codes = [api.post(path, username="a", password="bbbbbb", device_key="c")[0]
                 for _ in range(4)]
        assert codes[-1] == 429 and 429 not in codes[:3], (path, codes)
        status, body = api.post(path)
        assert body["code"] == 429 and "too many" in body["msg"]
    assert api.post("/reg")[0] == 429  # shares the "auth" window with /login


def test_healthz(api):
    response = api.client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"code": 0, "msg": "ok", "data": {"mongo": "ok", "redis": "ok"}}


def test_healthz_reports_redis_down(make_app):
    app = make_app(redis=_unreachable_redis())
    assert app.test_client().get("/healthz").get_json()["data"] == {"mongo": "ok",
                                                                    "redis": "down"}


def test_production_refuses_the_dev_secret(settings):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(dict(settings, ENV="production"))


def test_everything_answers_while_redis_is_down(make_app):
    from tests.support import Api

    api = Api(make_app({"RATE_LIMIT": "3/60"}, redis=_unreachable_redis()))
    user_id, token = api.user()
    api.toy(token)
    data = api.ok("/auto_login", token)
    assert data["_id"] == user_id and data["chat"] == {"count": 0}


def _unreachable_redis():
    """A client for a closed loopback port that fails at once (no retries)."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2,
                       retry=Retry(NoBackoff(), 0))
