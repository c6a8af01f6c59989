"""Issue 9 item 2: logout, unbind and expiry end the token's live sockets (Socket.IO and /ws);
every socket action re-checks the token."""

import time

import pytest
import websocket

from services.speech.tts import FakeTTS
from tests.messaging import FakeConverter, Family
from tests.support import Api
from tests.test_realtime_push import serving, wait_for


@pytest.fixture
def api(make_app):
    return Api(make_app({"SOCKET_RECHECK_SECONDS": 0.1}, tts=FakeTTS(),
                        converter=FakeConverter()))


def socket_client(api, token):
    return api.app.extensions["socketio"].test_client(api.app, auth={"token": token})


def ws_closed(ws):
    """True once the server closed ``ws`` (a close frame or the connection gone)."""
    try:
        return ws.recv() in ("", None)
    except (websocket.WebSocketConnectionClosedException, ConnectionError, OSError):
        return True


def test_logout_disconnects_that_tokens_socketio_clients_only(api):
    family = Family(api)
    other_token = api.ok("/login", username=api.services.store.users.by_id(
        __import__("bson").ObjectId(family.parent_id))["username"], password="secret123")["token"]
    revoked, kept = socket_client(api, family.parent), socket_client(api, other_token)
    assert revoked.is_connected() and kept.is_connected()
    api.ok("/logout", family.parent)
    assert not revoked.is_connected()
    assert kept.is_connected()
    assert api.services.live_sockets.count() == 1
    family.reply()
    assert [e["name"] for e in kept.get_received()] == ["chat"]


def test_unbind_disconnects_the_toys_sockets(api):
    family = Family(api)
    toy = socket_client(api, family.toy)
    parent = socket_client(api, family.parent)
    with serving(api.app) as url:
        ws = websocket.create_connection(f"{url}/ws?token={family.toy}", timeout=5)
        try:
            assert wait_for(lambda: api.services.wshub.count() == 1)
            api.ok("/unbind_toy", family.parent, toy_id=family.toy_id)
            assert not toy.is_connected()
            assert ws_closed(ws)
            assert wait_for(lambda: api.services.wshub.count() == 0)
        finally:
            ws.close()
            ws.shutdown()
    assert parent.is_connected()
    assert api.services.live_sockets.count() == 1


def test_logout_closes_the_plain_websocket(api):
    family = Family(api)
    with serving(api.app) as url:
        ws = websocket.create_connection(f"{url}/ws?token={family.toy}", timeout=5)
        try:
            assert wait_for(lambda: api.services.wshub.count() == 1)
            api.ok("/logout", family.toy)
            assert ws_closed(ws)
            family.upload()  # nothing is delivered to a closed socket
            assert wait_for(lambda: api.services.wshub.count() == 0)
        finally:
            ws.close()
            ws.shutdown()


def _expire(api, token):
    """Make the token's stored entry (on its user or toy) expired."""
    hashed = __import__("hashlib").sha256(token.encode()).hexdigest()
    holders = api.services.store.collections["toys" if token.startswith("t.") else "users"]
    doc = holders.find_one({"tokens.h": hashed})
    entries = [dict(e, exp=time.time() - 1) if e["h"] == hashed else e for e in doc["tokens"]]
    holders.update_one({"_id": doc["_id"]}, {"$set": {"tokens": entries}})


def test_a_token_expiring_while_connected_ends_both_sockets(api):
    family = Family(api)
    sio = socket_client(api, family.toy)
    with serving(api.app) as url:
        ws = websocket.create_connection(f"{url}/ws?token={family.toy}", timeout=5)
        try:
            assert wait_for(lambda: api.services.wshub.count() == 1)
            _expire(api, family.toy)
            assert wait_for(lambda: not sio.is_connected(), timeout=5)
            assert ws_closed(ws)
        finally:
            ws.close()
            ws.shutdown()


def test_play_rechecks_the_token(api, tmp_path):
    family = Family(api)
    song_file = tmp_path / "Twinkle.mp3"
    song_file.write_bytes(b"ID3 song")
    song = api.services.content.add("Twinkle", song_file)["music"]
    parent = socket_client(api, family.parent)
    toy = socket_client(api, family.toy)
    _expire(api, family.parent)  # before any sweep can notice
    ack = parent.emit("play", {"to_user": family.toy_id, "music": song}, callback=True)
    assert ack["code"] == 401
    assert [e for e in toy.get_received() if e["name"] == "music"] == []


def test_a_sweep_over_many_sockets_checks_tokens_in_batches():
    from services.auth import Caller
    from services.revocation import LiveSockets

    class Tokens:
        def __init__(self):
            self.on_revoke, self.asked = [], []

        def still_valid(self, hashes):
            self.asked.append(len(hashes))
            return {h for h in hashes if not h.startswith("revoked")}

    tokens, closed = Tokens(), []
    live = LiveSockets(tokens, recheck_seconds=3600)
    for i in range(230):
        token = f"revoked{i}" if i % 10 == 0 else f"token{i}"
        live.add(i, Caller(str(i), "toy", token), lambda i=i: closed.append(i))
    assert live.sweep() == 23
    assert sorted(closed) == list(range(0, 230, 10)) and live.count() == 207
    assert tokens.asked == [100, 100, 30]
