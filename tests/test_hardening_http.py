"""Issue 9 hardening over HTTP: Retry-After on 429, nosniff everywhere, deeply nested JSON,
msg_id per receiver, unbind clears unread counts, /add_req limits and answers, random toy ids,
the per-account login limit, /ws answers before the upgrade, the Socket.IO origin allow-list."""

import time

import pytest
from bson import ObjectId

from services.speech.tts import FakeTTS
from tests.messaging import FakeConverter, Family
from tests.support import Api

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.fixture
def api(make_app):
    return Api(make_app(tts=FakeTTS(), converter=FakeConverter()))


def test_429_carries_retry_after(make_app):
    api = Api(make_app({"RATE_LIMIT": "2/60"}))
    statuses = [api.client.post("/login", json={"username": "x", "password": "y"})
                for _ in range(3)]
    assert [r.status_code for r in statuses] == [401, 401, 429]
    limited = statuses[-1]
    assert limited.get_json()["code"] == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 60


def test_login_is_limited_per_account_whatever_the_address(make_app):
    api = Api(make_app({"RATE_LIMIT": "0", "LOGIN_ACCOUNT_LIMIT": "3/300", "TRUST_PROXY": True}))
    api.ok("/reg", username="anna", password="secret123", nickname="A", gender="1")
    api.ok("/reg", username="bert", password="secret123", nickname="B", gender="1")

    def login(username, password, address):
        response = api.client.post("/login", json={"username": username, "password": password},
                                   headers={"X-Forwarded-For": address})
        return response.status_code, response

    wrong = [login("anna", "guess", f"10.0.0.{i}")[0] for i in range(3)]
    assert wrong == [401, 401, 401]
    status, response = login("anna", "secret123", "10.0.0.99")  # even the right password
    assert status == 429 and int(response.headers["Retry-After"]) >= 1
    assert login("ANNA", "guess", "10.0.0.100")[0] == 429  # usernames fold case
    assert login("bert", "secret123", "10.0.0.1")[0] == 200  # other accounts are not locked


def test_nosniff_on_every_kind_of_response(api):
    assert api.get("/healthz").headers["X-Content-Type-Options"] == "nosniff"
    assert api.get("/no/such/route").headers["X-Content-Type-Options"] == "nosniff"
    assert api.get("/get_music/Success.mp3").headers["X-Content-Type-Options"] == "nosniff"
    response = api.client.post("/login", json={})
    assert response.status_code == 400 and response.headers["X-Content-Type-Options"] == "nosniff"
    # answered by Socket.IO's middleware, not by Flask
    handshake = api.get("/socket.io/?EIO=4&transport=polling")
    assert handshake.status_code == 200
    assert handshake.headers["X-Content-Type-Options"] == "nosniff"


def test_no_session_cookie_is_read_or_set(api):
    """Tokens authenticate every request: a session cookie is ignored and none is ever set."""
    from flask import session

    api.client.set_cookie("session", "forged.cookie.value")
    response = api.get("/healthz")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    with api.app.test_request_context("/healthz", headers={"Cookie": "session=x"}):
        api.app.preprocess_request()
        assert dict(session) == {}
        with pytest.raises(RuntimeError):
            session["caller"] = "someone"


def _post_routes(app):
    return sorted({rule.rule for rule in app.url_map.iter_rules()
                   if "POST" in rule.methods and "<" not in rule.rule})


def test_deeply_nested_json_is_a_400_on_every_endpoint(api, caplog):
    _, parent = api.user()
    _, toy = api.toy(parent)
    routes = [r for r in _post_routes(api.app) if r != "/logout"]  # reads no body, ends tokens
    assert len(routes) > 20
    public_400 = 0
    for path in routes:
        for token in (None, parent, toy):
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            response = api.client.post(path, data=DEEP, content_type="application/json",
                                       headers=headers)
            body = response.get_json()
            # 400, or refused before the body is read (401 no token, 403 wrong kind)
            assert response.status_code in (400, 401, 403), (path, token, response.status_code)
            assert body["code"] == response.status_code, path
            public_400 += token is None and response.status_code == 400
    assert public_400 >= 4  # /reg, /login, /open_toy, the Lovense callback, ...
    assert "Traceback" not in caplog.text and "unhandled error" not in caplog.text


def test_msg_id_is_per_receiver(api):
    family = Family(api)
    other_toy, other_token = api.toy(family.parent, toy_name="Bunny")
    first = family.upload(msg_id="rec-1")[1]["data"]["filename"]
    second = family.upload(to_user=other_toy, msg_id="rec-1")[1]["data"]["filename"]
    retry = family.upload(to_user=other_toy, msg_id="rec-1")[1]["data"]["filename"]
    assert first != second and retry == second
    store = api.services.store
    assert [m["message"] for m in store.messages.unread(family.toy_id)] == [first]
    assert [m["message"] for m in store.messages.unread(other_toy)] == [second]


def test_unbinding_clears_the_toys_unread_counts_everywhere(api):
    family = Family(api)
    friend = Family(api)  # another family's toy that befriended ours
    req = api.ok("/add_req", friend.parent, req_user=friend.toy_id, add_user=family.toy_id,
                 type="toy")["req_id"]
    api.ok("/acc_req", family.parent, req_id=req)
    for _ in range(3):
        assert family.reply()[0] == 200
    assert family.reply(to_user=friend.toy_id, friend_type="toy")[0] == 200
    assert api.ok("/auto_login", family.parent)["chat"] == {family.toy_id: 3, "count": 3}
    assert api.services.unread.counts(friend.toy_id) == {family.toy_id: 1}

    api.ok("/unbind_toy", family.parent, toy_id=family.toy_id)
    assert api.ok("/auto_login", family.parent)["chat"] == {"count": 0}
    assert api.services.unread.counts(friend.toy_id) == {}
    assert api.services.store.messages.unread_by_sender(family.parent_id) == {}
    assert api.services.store.messages.unread_by_sender(friend.toy_id) == {}


def test_add_req_is_limited_per_family(make_app):
    api = Api(make_app({"FRIEND_REQUEST_LIMIT": "3/3600"}))
    _, asker = api.user()
    asker_toy, asker_toy_token = api.toy(asker)
    targets = [api.toy(api.user()[1])[0] for _ in range(5)]
    assert api.post("/add_req", asker, add_user=targets[0])[0] == 200
    assert api.post("/add_req", asker, add_user=targets[1])[0] == 200
    assert api.post("/add_req", asker_toy_token, add_user=targets[2])[0] == 200
    response = api.client.post("/add_req", json={"add_user": targets[3]},
                               headers={"Authorization": f"Bearer {asker_toy_token}"})
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
    assert api.post("/add_req", asker, add_user=targets[4])[0] == 429
    assert api.post("/add_req", api.user()[1], add_user=targets[4])[0] == 200  # others are not


def test_add_req_answers_unknown_ids_and_non_toys_alike(api):
    user_id, token = api.user()
    other_user, _ = api.user()
    unknown = api.post("/add_req", token, add_user=str(ObjectId()))
    not_a_toy = api.post("/add_req", token, add_user=other_user)
    assert unknown == not_a_toy
    assert unknown[0] == 404


def test_toy_ids_are_random_object_ids(api):
    _, token = api.user()
    ids = [api.toy(token, toy_name=f"T{i}")[0] for i in range(3)]
    now = time.time()
    assert all(ObjectId.is_valid(i) for i in ids)
    # ObjectId() starts with the current time and ends with a counter; random ids do not.
    near_now = [abs(ObjectId(i).generation_time.timestamp() - now) < 86400 for i in ids]
    assert near_now.count(True) <= 1
    assert [t["_id"] for t in api.ok("/toy_list", token)] == ids  # still in bind order


def test_ws_without_token_is_401_and_without_upgrade_400(api, caplog):
    _, token = api.user()
    response = api.get("/ws")
    assert response.status_code == 401 and response.get_json()["code"] == 401
    response = api.get(f"/ws?token={token}")
    assert response.status_code == 400 and "WebSocket" in response.get_json()["msg"]
    for headers in ({"Upgrade": "websocket", "Connection": "Upgrade"},
                    {"Upgrade": "websocket", "Connection": "Upgrade",
                     "Sec-WebSocket-Key": "not base64!", "Sec-WebSocket-Version": "13"},
                    {"Upgrade": "websocket", "Connection": "Upgrade",
                     "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
                     "Sec-WebSocket-Version": "8"}):
        response = api.get(f"/ws?token={token}", headers=headers)
        assert response.status_code == 400, headers
        assert response.get_json()["code"] == 400
    response = api.get("/ws", headers={"Upgrade": "websocket", "Connection": "Upgrade"})
    assert response.status_code == 401
    assert "Traceback" not in caplog.text and "unhandled error" not in caplog.text


def _polling_handshake(api, origin):
    return api.get("/socket.io/?EIO=4&transport=polling", headers={"Origin": origin})


def test_socketio_accepts_only_the_same_origin_by_default(api):
    assert _polling_handshake(api, "http://localhost").status_code == 200
    refused = _polling_handshake(api, "https://evil.example")
    assert refused.status_code == 400
    assert "Access-Control-Allow-Origin" not in refused.headers


def test_cors_origins_setting_is_an_allow_list(make_app):
    api = Api(make_app({"CORS_ORIGINS": "https://app.example, https://web.example"}))
    allowed = _polling_handshake(api, "https://web.example")
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://web.example"
    assert _polling_handshake(api, "https://evil.example").status_code == 400


def test_deeply_nested_socketio_packet_closes_only_that_connection(api, caplog):
    _, token = api.user()
    socketio = api.app.extensions["socketio"]
    client = socketio.test_client(api.app, auth={"token": token})
    other = socketio.test_client(api.app, auth={"token": token})
    deliver = socketio.server.eio.handlers["message"]  # how engine.io hands a packet over
    deliver(client.eio_sid, '2["play",' + "[" * 100_000 + "]" * 100_000 + "]")
    deliver(other.eio_sid, '2["play", {"to_user": 1')  # truncated JSON
    assert "malformed Socket.IO packet" in caplog.text
    assert "Traceback" not in caplog.text
    third = socketio.test_client(api.app, auth={"token": token})
    assert third.is_connected()
