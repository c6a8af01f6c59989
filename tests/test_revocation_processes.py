"""Two real server processes sharing MongoDB and Redis: a logout on B ends the token's
Socket.IO and plain-WebSocket connections on A (the revocation travels over Redis)."""

import queue

import requests
import socketio
import websocket

from tests.conftest import TEST_REDIS_URL
from tests.server_process import wait_for_subscribers
from tests.test_realtime_processes import DEADLINE, cluster, ok

__all__ = ["cluster"]  # the fixture


def test_logout_on_b_ends_the_tokens_sockets_on_a(cluster, redis_prefix):
    a, b, local = cluster
    ok(b, "/reg", username="mum", password="secret123", nickname="Mum", gender="1")
    token = ok(b, "/login", username="mum", password="secret123")["token"]
    kept = ok(b, "/login", username="mum", password="secret123")["token"]
    key = local.devices.create(1)[0]
    ok(b, "/bind_toy", token, toy_name="Teddy", baby_name="Lily", remark="Mum", device_key=key)

    ended = queue.Queue()
    revoked_client = socketio.Client(reconnection=False)
    revoked_client.on("disconnect", lambda *_: ended.put("socketio"))
    kept_client = socketio.Client(reconnection=False)
    ws = None
    try:
        revoked_client.connect(a.url, auth={"token": token}, wait_timeout=DEADLINE,
                               transports=["websocket"])
        kept_client.connect(a.url, auth={"token": kept}, wait_timeout=DEADLINE,
                            transports=["websocket"])
        ws = websocket.create_connection(f"ws://127.0.0.1:{a.port}/ws?token={token}",
                                         timeout=DEADLINE)
        wait_for_subscribers(TEST_REDIS_URL, f"{redis_prefix}revoke")
        ok(b, "/logout", token)
        assert ended.get(timeout=DEADLINE) == "socketio"
        try:
            assert ws.recv() == ""  # the server's close frame
        except websocket.WebSocketConnectionClosedException:
            pass
        assert kept_client.connected
        status = requests.post(f"{a.url}/toy_list", headers={"Authorization": f"Bearer {token}"},
                               timeout=DEADLINE).status_code
        assert status == 401
    finally:
        if ws is not None:
            ws.close()
            ws.shutdown()
        revoked_client.disconnect()
        kept_client.disconnect()
