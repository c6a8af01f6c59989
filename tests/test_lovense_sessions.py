"""/lovense/socket/start end to end (cloud fake → Socket.IO 2 fake), socket transport, pacing."""

import socket
import time
from types import SimpleNamespace

import pytest
from bson import ObjectId

from services.clients.lovense_socket import SocketIo2Client
from services.errors import RateLimited
from services.lovense.linking import utoken_for
from services.lovense.pacing import CommandPacer
from services.lovense.wiring import lovense_clients
from tests.fakes import lovense_cloud as paths
from tests.fakes.lovense_fixtures import (  # noqa: F401
    DEV_TOKEN,
    authority_fixture,
    cloud_fixture,
    lan_app_fixture,
    socket_server_fixture,
)
from tests.fakes.netguard import loopback_only  # noqa: F401  (autouse guard)
from tests.support import Api
from tests.test_lovense_http import SECRET, RecordingNotifier


def closed_port():
    with socket.create_server(("127.0.0.1", 0)) as listener:
        return listener.getsockname()[1]


def wait_for(predicate, seconds=3.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not predicate():
        time.sleep(0.02)
    return predicate()


@pytest.fixture
def setup(make_app, authority, cloud, socket_server):
    config = {"LOVENSE_DEVELOPER_TOKEN": DEV_TOKEN, "LOVENSE_API_BASE": cloud.base_url,
              "LOVENSE_CA_BUNDLE": str(authority.ca_path), "LOVENSE_TIMEOUT": 1.0,
              "LOVENSE_PLATFORM": "SmartToy", "LOVENSE_MIN_INTERVAL": 0, "SECRET_KEY": SECRET,
              "LOVENSE_LAN_ENABLED": True, "LOVENSE_LAN_FRESH_SECONDS": 600}
    cloud.socket_io_url = f"{socket_server.url}/?ntoken=nt-1"
    sessions = []

    def connect_socket(url, path, on_event, on_status):
        client = SocketIo2Client(url, path, on_event, on_status, timeout=1.0,
                                 backoff=(0.05, 0.2), max_attempts=3).start()
        sessions.append(client)
        return client

    real = lovense_clients({**config, "LOVENSE_CA_BUNDLE": str(authority.ca_path)})
    clients = SimpleNamespace(lan=real.lan, api=real.api, connect_socket=connect_socket)
    notifier = RecordingNotifier()
    api = Api(make_app(config, notifier=notifier, lovense=clients))
    user_id, token = api.user()
    toy_id, _ = api.toy(token)
    yield SimpleNamespace(api=api, token=token, user=user_id, toy=toy_id, notifier=notifier,
                          sessions=sessions)
    for client in sessions:
        client.close()


def test_socket_start_returns_the_qr_and_keeps_device_info(setup, cloud, socket_server):
    s = setup
    data = s.api.ok("/lovense/socket/start", s.token, toy_id=s.toy)
    assert data["qr"] == "https://example.invalid/qr.png" and data["qrcode"] == "qr-raw-data"
    assert cloud.received(paths.SOCKET_TOKEN) == [{
        "token": DEV_TOKEN, "uid": s.toy, "uname": "Teddy", "utoken": utoken_for(SECRET, s.toy)}]
    assert cloud.received(paths.SOCKET_URL) == [{"platform": "SmartToy",
                                                 "authToken": f"auth-{s.toy}"}]
    assert socket_server.handshakes == ["/developer.io/?EIO=3&transport=websocket&ntoken=nt-1"]
    assert ("basicapi_get_qrcode_ts", {"ackId": data["ackId"]}) in socket_server.events

    # No LAN info yet and PatternV2 is not a server-API command: it goes over the socket.
    body = {"command": "PatternV2", "type": "Stop", "apiVer": 1}
    sent = s.api.ok("/toy_control", s.token, toy_id=s.toy, command="PatternV2", type="Stop")
    assert sent == {"transport": "socket", "result": {"sent": True}}
    assert wait_for(lambda: ("basicapi_send_toy_command_ts", body) in socket_server.events)

    socket_server.push("basicapi_update_app_status_tc", {"status": 1})
    socket_server.push("basicapi_update_device_info_tc", {
        "deviceCode": "dev1", "online": True, "domain": "127.0.0.1.lovense.club",
        "httpsPort": closed_port(), "wssPort": 30110, "appVersion": "1.3.7", "platform": "android",
        "appType": "remote", "toyList": [{"id": "t1", "name": "Lush 3", "toyType": "lush",
                                          "nickname": "My Lush", "hVersion": "3",
                                          "fVersion": 300, "battery": 100, "connected": True}]})
    toys = s.api.services.store.toys

    def info():
        return toys.by_id(ObjectId(s.toy)).get("lovense") or {}

    assert wait_for(lambda: info().get("deviceCode") == "dev1" and info().get("app_status") == 1)
    assert info()["toys"]["t1"]["battery"] == 100 and info()["domain"] == "127.0.0.1.lovense.club"
    # The pushed LAN address refuses connections: GetToyName falls back to the socket session,
    # which answers from the device info it keeps (the socket API itself has no answers).
    names = s.api.ok("/toy_control", s.token, toy_id=s.toy, command="GetToyName")
    assert names == {"transport": "socket", "result": {"code": 200, "data": ["Lush 3"],
                                                       "type": "OK"}}
    events = [(e, d) for e, d, to in s.notifier.sent if e == "lovense" and to == s.user]
    assert {"app_status", "deviceCode"} <= {k for _, d in events for k in d}


def test_unbinding_closes_the_socket_session(setup, socket_server):
    s = setup
    s.api.ok("/lovense/socket/start", s.token, toy_id=s.toy)
    assert len(socket_server.open_clients()) == 1
    s.api.ok("/unbind_toy", s.token, toy_id=s.toy)
    assert wait_for(lambda: not s.sessions[0].connected)
    assert wait_for(lambda: socket_server.open_clients() == [])


def test_socket_refusals(setup, cloud, socket_server):
    s = setup
    cloud.fail(paths.SOCKET_TOKEN, 501)
    status, answer = s.api.post("/lovense/socket/start", s.token, toy_id=s.toy)
    assert (status, answer["data"]) == (502, {"lovense_code": 501})
    cloud.fail(paths.SOCKET_TOKEN, None)
    socket_server.qrcode = {}
    status, answer = s.api.post("/lovense/socket/start", s.token, toy_id=s.toy)
    assert status == 502 and answer["msg"] == "Lovense socket server refused the QR code"
    socket_server.close()
    status, answer = s.api.post("/lovense/socket/start", s.token, toy_id=s.toy)
    assert status == 504
    cloud.socket_io_url = "ftp://127.0.0.1/"
    status, answer = s.api.post("/lovense/socket/start", s.token, toy_id=s.toy)
    assert (status, answer["msg"]) == (502, "Lovense server sent an unusable socket URL")


def test_pacer_spaces_commands_and_lets_stop_through():
    now = [100.0]
    slept = []
    pacer = CommandPacer(0.2, 0.5, clock=lambda: now[0], sleep=slept.append)
    pacer.wait_turn("toy")
    pacer.wait_turn("toy")
    pacer.wait_turn("toy")
    assert slept == [pytest.approx(0.2), pytest.approx(0.4)]
    with pytest.raises(RateLimited):
        pacer.wait_turn("toy")
    pacer.wait_turn("toy", urgent=True)
    pacer.wait_turn("other")
    assert len(slept) == 2
    now[0] += 5
    pacer.wait_turn("toy")
    assert len(slept) == 2
    CommandPacer(0).wait_turn("toy")


def test_rapid_commands_are_paced_not_dropped(make_app, authority, cloud, lan_app):
    config = {"LOVENSE_DEVELOPER_TOKEN": DEV_TOKEN, "LOVENSE_API_BASE": cloud.base_url,
              "LOVENSE_CA_BUNDLE": str(authority.ca_path), "LOVENSE_TIMEOUT": 1.0,
              "LOVENSE_MIN_INTERVAL": 0.1, "LOVENSE_MAX_WAIT": 0.25, "SECRET_KEY": SECRET}
    api = Api(make_app(config))
    _, token = api.user()
    toy_id, _ = api.toy(token)
    started = time.monotonic()
    for level in (1, 2, 3):
        api.ok("/toy_control", token, toy_id=toy_id, command="Function",
               action=f"Vibrate:{level}", timeSec=5)
    assert time.monotonic() - started >= 0.2
    assert [b["action"] for b in cloud.received(paths.COMMAND)] == [
        "Vibrate:1", "Vibrate:2", "Vibrate:3"]
