"""Two real server processes (``python app.py``, gevent) sharing one MongoDB (mongoeco on
loopback) and the real Redis: an upload on B reaches a Socket.IO client and a plain-WebSocket
client connected to A (Socket.IO message queue and the /ws relay both travel over Redis)."""

import json
import queue
import uuid

import pytest
import requests
import socketio
import websocket

from tests.conftest import TEST_REDIS_URL
from tests.messaging import make_samples
from tests.server_process import ok, two_servers_and_local_services, wait_for_subscribers

DEADLINE = 10.0


@pytest.fixture
def cluster(real_redis, wire_mongo_uri, tmp_path, redis_prefix, redis_client):
    """Servers A and B, plus an in-test app on the same database (to license a device)."""
    if real_redis is None:
        pytest.skip("needs the real Redis server")
    env = {"MONGO_URI": wire_mongo_uri, "MONGO_DB": f"t{uuid.uuid4().hex[:10]}",
           "REDIS_URL": TEST_REDIS_URL, "REDIS_PREFIX": redis_prefix,
           "DATA_DIR": tmp_path / "data", "MEDIA_DIR": tmp_path / "media",
           "SPEECH_TTS": "fake", "RATE_LIMIT": "0", "SECRET_KEY": "two-process-test-secret",
           "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}
    yield from two_servers_and_local_services(env, tmp_path, wire_mongo_uri, redis_prefix,
                                              redis_client)


def test_upload_on_b_reaches_clients_of_a(cluster, redis_prefix, tmp_path):
    a, b, local = cluster
    samples = tmp_path / "samples"
    samples.mkdir()
    amr = make_samples(samples)["amr-nb.amr"]
    ok(b, "/reg", username="dad", password="secret123", nickname="Dad", gender="2")
    token = ok(b, "/login", username="dad", password="secret123")["token"]
    key = local.devices.create(1)[0]
    ok(b, "/bind_toy", token, toy_name="Teddy", baby_name="Lily", remark="Dad", device_key=key)
    toy = requests.post(f"{a.url}/open_toy", data={"device_key": key}, timeout=10).json()

    received = queue.Queue()
    client = socketio.Client(reconnection=False)
    client.on("chat", lambda data: received.put(("socketio", data)))
    ws = None
    try:
        client.connect(a.url, auth={"token": toy["token"]}, wait_timeout=DEADLINE,
                       transports=["websocket"])
        ws = websocket.create_connection(f"ws://127.0.0.1:{a.port}/ws?token={toy['token']}",
                                         timeout=DEADLINE)
        wait_for_subscribers(TEST_REDIS_URL, f"{redis_prefix}socketio")
        wait_for_subscribers(TEST_REDIS_URL, f"{redis_prefix}ws")
        response = requests.post(f"{b.url}/app_uploader",
                                 headers={"Authorization": f"Bearer {token}"},
                                 data={"to_user": toy["toy_id"]},
                                 files={"reco_file": ("voice.amr", amr)}, timeout=DEADLINE)
        assert response.status_code == 200, response.text
        filename = response.json()["data"]["filename"]
        via, event = received.get(timeout=DEADLINE)
        assert via == "socketio" and event["chat"] == filename
        assert event["from_user"] != toy["toy_id"] and event["unread"] == 1
        frame = json.loads(ws.recv())
        assert frame["event"] == "chat" and frame["data"]["chat"] == filename
    finally:
        if ws is not None:
            ws.close()
        client.disconnect()
    items = requests.post(f"{a.url}/recv_msg", headers={"Authorization": f"Bearer {toy['token']}"},
                          timeout=DEADLINE).json()
    assert [item["message"] for item in items][1:] == [filename]
