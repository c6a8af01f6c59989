"""SPEC §8 pushes: `chat` within a second, `play` and /push_music for owners only, and the plain
WebSocket at /ws (a real loopback server) receiving the same events as JSON frames."""

import json
import threading
import time
from contextlib import contextmanager

import pytest
import websocket
from werkzeug.serving import make_server

from services.speech.tts import FakeTTS
from tests.messaging import FakeConverter, Family
from tests.support import Api


@pytest.fixture
def api(make_app):
    return Api(make_app(tts=FakeTTS(), converter=FakeConverter()))


@pytest.fixture
def family(api):
    return Family(api)


@pytest.fixture
def song(api, tmp_path):
    path = tmp_path / "Twinkle.mp3"
    path.write_bytes(b"ID3 song")
    return api.services.content.add("Twinkle", path)["music"]


def socket_client(api, token):
    return api.app.extensions["socketio"].test_client(api.app, auth={"token": token})


def events(client, name):
    return [e["args"][0] for e in client.get_received() if e["name"] == name]


def test_chat_event_is_pushed_before_the_upload_answers(api, family):
    toy = socket_client(api, family.toy)
    status, body = family.upload()
    [event] = events(toy, "chat")  # already delivered: the push is part of the upload
    assert status == 200 and event["chat"] == body["data"]["filename"]
    assert event["unread"] == 1


def test_play_pushes_music_to_the_owners_toy(api, family, song):
    parent, toy = socket_client(api, family.parent), socket_client(api, family.toy)
    ack = parent.emit("play", {"to_user": family.toy_id, "music": song}, callback=True)
    assert ack == {"code": 0, "msg": "Music pushed",
                   "data": {"toy_id": family.toy_id, "music": song}}
    assert events(toy, "music") == [{"from_user": family.parent_id, "music": song}]


def test_play_is_refused_to_others(api, family, song):
    _, stranger_token = api.user()
    stranger, toy = socket_client(api, stranger_token), socket_client(api, family.toy)
    assert stranger.emit("play", {"to_user": family.toy_id, "music": song},
                         callback=True)["code"] == 403
    assert toy.emit("play", {"to_user": family.toy_id, "music": song},
                    callback=True)["code"] == 403
    parent = socket_client(api, family.parent)
    assert parent.emit("play", {"to_user": family.toy_id, "music": "nope.mp3"},
                       callback=True)["code"] == 404
    assert parent.emit("play", "garbage", callback=True)["code"] == 400
    assert events(toy, "music") == []


def test_push_music_is_the_http_twin(api, family, song):
    toy = socket_client(api, family.toy)
    data = api.ok("/push_music", family.parent, toy_id=family.toy_id, music=song)
    assert data == {"toy_id": family.toy_id, "music": song}
    assert events(toy, "music") == [{"from_user": family.parent_id, "music": song}]
    _, stranger = api.user()
    assert api.post("/push_music", stranger, toy_id=family.toy_id, music=song)[0] == 403
    assert api.post("/push_music", None, toy_id=family.toy_id, music=song)[0] == 401
    assert api.post("/push_music", family.parent, toy_id=family.toy_id, music="x.mp3")[0] == 404
    assert api.post("/push_music", family.parent, toy_id=family.toy_id)[0] == 400
    assert events(toy, "music") == []


@contextmanager
def serving(app):
    """The app on a real loopback HTTP server (werkzeug, threaded) for WebSocket clients."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"ws://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def wait_for(predicate, timeout=3.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_plain_websocket_receives_the_same_events(api, family, song):
    parent = socket_client(api, family.parent)
    with serving(api.app) as url:
        ws = websocket.create_connection(f"{url}/ws?token={family.toy}", timeout=5)
        try:
            assert wait_for(lambda: api.services.wshub.count() == 1)
            status, body = family.upload()
            frame = json.loads(ws.recv())
            assert frame["event"] == "chat"
            assert frame["data"]["chat"] == body["data"]["filename"]
            api.ok("/push_music", family.parent, toy_id=family.toy_id, music=song)
            assert json.loads(ws.recv()) == {
                "event": "music", "data": {"from_user": family.parent_id, "music": song}}
        finally:
            ws.close()
        assert wait_for(lambda: api.services.wshub.count() == 0)
    presence = events(parent, "toy_status")
    assert presence == [{"toy_id": family.toy_id, "online": True},
                        {"toy_id": family.toy_id, "online": False}]


@pytest.mark.parametrize("token", ["forged", "", None])
def test_plain_websocket_refuses_bad_tokens(api, token):
    with serving(api.app) as url:
        path = "/ws" if token is None else f"/ws?token={token}"
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            websocket.create_connection(url + path, timeout=5)
        assert refused.value.status_code == 401


def test_plain_websocket_refuses_a_revoked_token(api):
    _, token = api.user()
    api.ok("/logout", token)
    with serving(api.app) as url:
        with pytest.raises(websocket.WebSocketBadStatusException):
            websocket.create_connection(f"{url}/ws?token={token}", timeout=5)


def test_expired_tokens_are_refused_on_both_sockets(make_app):
    api = Api(make_app({"TOKEN_TTL_DAYS": 0.5 / 86400}, tts=FakeTTS()))
    _, token = api.user()
    time.sleep(0.6)
    assert not socket_client(api, token).is_connected()
    _, token = api.user()
    time.sleep(0.6)
    with serving(api.app) as url:
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            websocket.create_connection(f"{url}/ws?token={token}", timeout=5)
        assert refused.value.status_code == 401
