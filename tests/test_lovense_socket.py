"""The Socket.IO 2.x (Engine.IO v3) client against a Python fake of the Lovense socket server."""

import queue
import time

import pytest

from services.clients.lovense_socket import (
    ProtocolError,
    SocketIo2Client,
    decode_payload,
    engine_url,
    parse_socket_packet,
)
from services.errors import Upstream
from tests.fakes.lovense_fixtures import socket_server_fixture  # noqa: F401
from tests.fakes.netguard import loopback_only  # noqa: F401  (autouse guard)


def wait_for(predicate, seconds=3.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


class Recorder:
    def __init__(self):
        self.events, self.states = queue.Queue(), []

    def on_event(self, event, data):
        self.events.put((event, data))

    def on_status(self, state):
        self.states.append(state)

    def next_event(self, name, seconds=3.0):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                event, data = self.events.get(timeout=0.05)
            except queue.Empty:
                continue
            if event == name:
                return data
        raise AssertionError(f"no {name} event")


@pytest.fixture
def connect(socket_server):
    clients = []

    def make(url=None, **options):
        recorder = Recorder()
        options.setdefault("backoff", (0.05, 0.2))
        options.setdefault("timeout", 1.0)
        client = SocketIo2Client(url or f"{socket_server.url}/?ntoken=abc", "/developer.io",
                                 recorder.on_event, recorder.on_status, **options).start()
        clients.append(client)
        return client, recorder

    yield make
    for client in clients:
        client.close()


def test_engine_url_and_packets():
    assert engine_url("https://h.example/?ntoken=x%2By", "/developer.io") == (
        "wss://h.example/developer.io/?EIO=3&transport=websocket&ntoken=x%2By", "/",
        "ntoken=x%2By")
    assert engine_url("http://h/ns", "")[1:] == ("/ns", "")
    assert parse_socket_packet('2["e",{"a":1}]') == ("2", "/", ["e", {"a": 1}])
    assert parse_socket_packet('2/ns,12["e"]') == ("2", "/ns", ["e"])
    assert parse_socket_packet("0") == ("0", "/", None)
    assert parse_socket_packet("0/ns?x=1,") == ("0", "/ns", None)
    for bad in ("", "x", '2["e"'):
        with pytest.raises(ProtocolError):
            parse_socket_packet(bad)
    assert decode_payload('{"status": 1}') == {"status": 1}
    assert decode_payload("not json") == "not json" and decode_payload({"a": 1}) == {"a": 1}
    with pytest.raises(ValueError):
        engine_url("ftp://h/")


def test_handshake_qrcode_and_command(connect, socket_server):
    client, recorder = connect()
    assert client.wait_connected(3)
    assert socket_server.handshakes[0] == "/developer.io/?EIO=3&transport=websocket&ntoken=abc"
    client.emit("basicapi_get_qrcode_ts", {"ackId": "a1"})
    qr = recorder.next_event("basicapi_get_qrcode_tc")
    assert qr == {"code": 0, "message": "Success", "data": {
        "qrcodeUrl": "https://example.invalid/qr.png", "qrcode": "qr-raw-data", "ackId": "a1"}}
    body = {"command": "Function", "action": "Vibrate:16", "timeSec": 20, "apiVer": 1}
    client.emit("basicapi_send_toy_command_ts", body)
    assert wait_for(lambda: ("basicapi_send_toy_command_ts", body) in socket_server.events)
    socket_server.push("basicapi_update_app_status_tc", {"status": 1})
    assert recorder.next_event("basicapi_update_app_status_tc") == {"status": 1}
    assert recorder.states[0] == "connected"


def test_pings_on_the_server_interval_keep_the_session(connect, socket_server):
    client, recorder = connect()
    assert client.wait_connected(3)
    assert wait_for(lambda: len(socket_server.pings) >= 3, 3)
    gaps = [b - a for a, b in zip(socket_server.pings, socket_server.pings[1:], strict=False)]
    assert all(0.2 < gap < 0.6 for gap in gaps), gaps
    assert client.connected and len(socket_server.handshakes) == 1


def test_missing_pongs_reconnect(connect, socket_server):
    client, recorder = connect()
    assert client.wait_connected(3)
    socket_server.mute_pongs()
    assert wait_for(lambda: "disconnected" in recorder.states, 3)
    assert wait_for(lambda: len(socket_server.handshakes) >= 2, 3)
    assert wait_for(lambda: client.connected, 3)


def test_dropped_connection_reconnects_and_delivers_again(connect, socket_server):
    client, recorder = connect()
    assert client.wait_connected(3)
    socket_server.drop_all()
    assert wait_for(lambda: len(socket_server.handshakes) >= 2 and client.connected, 3)
    socket_server.push("basicapi_update_device_info_tc", {"deviceCode": "d1", "online": True})
    assert recorder.next_event("basicapi_update_device_info_tc")["deviceCode"] == "d1"
    assert recorder.states.count("connected") >= 2


def test_namespace_from_the_url(connect, socket_server):
    client, recorder = connect(f"{socket_server.url}/lovense?ntoken=t1")
    assert client.wait_connected(3)
    assert ("connect", "/lovense?ntoken=t1,") in socket_server.events
    client.emit("basicapi_get_qrcode_ts", {"ackId": "n1"})
    assert recorder.next_event("basicapi_get_qrcode_tc")["data"]["ackId"] == "n1"


def test_gives_up_after_bounded_attempts(connect, socket_server):
    socket_server.close()
    client, recorder = connect(max_attempts=2, backoff=(0.01, 0.02))
    assert wait_for(lambda: recorder.states == ["closed"], 3)
    with pytest.raises(Upstream):
        client.emit("basicapi_send_toy_command_ts", {"command": "GetToys"})


def test_wrong_engine_path_is_refused(connect, socket_server):
    client = SocketIo2Client(socket_server.url, "/socket.io", timeout=1, max_attempts=0)
    client.start()
    assert not client.wait_connected(0.5)
    client.close()
