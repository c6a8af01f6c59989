"""Lovense across processes (REDIS_URL): command pacing per toy and socket sessions shared
through the real Redis (each test under its own key prefix).

Pacing: two app instances on one database and one Redis pace one toy as one. Sessions: two real
``python app.py`` processes (mongoeco + Redis) with the loopback Lovense cloud and Socket.IO 2
fakes: a command arriving at B reaches the session A owns; A killed with SIGKILL → its lease
expires, B takes the session over and the next command goes through.
"""

import time
import uuid

import mongomock
import pytest
import redis
import requests

from services.errors import RateLimited
from services.lovense.pacing import CommandPacer, SharedCommandPacer
from services.lovense.shared_sessions import SharedSessions
from tests.conftest import TEST_REDIS_URL
from tests.fakes import lovense_cloud as paths
from tests.fakes.lovense_fixtures import (  # noqa: F401
    DEV_TOKEN,
    authority_fixture,
    cloud_fixture,
    socket_server_fixture,
)
from tests.fakes.netguard import loopback_only  # noqa: F401  (autouse guard)
from tests.server_process import ok, two_servers_and_local_services
from tests.support import Api
from tests.test_lovense_http import SECRET

DEADLINE = 15.0


def wait_for(predicate, seconds=DEADLINE):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not predicate():
        time.sleep(0.05)
    return predicate()


@pytest.fixture
def two_apps(make_app, real_redis, authority, cloud):
    """Two app instances (as two processes would be) on one MongoDB and the real Redis."""
    if real_redis is None:
        pytest.skip("needs the real Redis server")

    def make(interval, max_wait):
        db = mongomock.MongoClient()["smarttoy"]
        config = {"LOVENSE_DEVELOPER_TOKEN": DEV_TOKEN, "LOVENSE_API_BASE": cloud.base_url,
                  "LOVENSE_CA_BUNDLE": str(authority.ca_path), "LOVENSE_TIMEOUT": 2.0,
                  "LOVENSE_MIN_INTERVAL": interval, "LOVENSE_MAX_WAIT": max_wait,
                  "SECRET_KEY": SECRET, "REDIS_URL": TEST_REDIS_URL}
        a, b = Api(make_app(config, mongo_db=db)), Api(make_app(config, mongo_db=db))
        _, token = a.user()
        toy_id, _ = a.toy(token)
        return a, b, token, toy_id

    return make


def vibrate(api, token, toy_id, level):
    return api.post("/toy_control", token, toy_id=toy_id, command="Function",
                    action=f"Vibrate:{level}", timeSec=5)


def test_two_instances_share_one_toys_pacing(two_apps, cloud):
    a, b, token, toy_id = two_apps(interval=30, max_wait=0)
    assert vibrate(a, token, toy_id, 1)[0] == 200
    # The next slot of this toy is 30 s away on every instance, not only on A.
    status, answer = vibrate(b, token, toy_id, 2)
    assert status == 429 and "too many commands" in answer["msg"]
    assert vibrate(a, token, toy_id, 3)[0] == 429
    # Stop never waits, whichever instance gets it.
    status, _ = b.post("/toy_control", token, toy_id=toy_id, command="Function", action="Stop")
    assert status == 200
    assert [c["action"] for c in cloud.received(paths.COMMAND)] == ["Vibrate:1", "Stop"]


def test_commands_through_two_instances_are_spaced_not_dropped(two_apps, cloud):
    a, b, token, toy_id = two_apps(interval=0.15, max_wait=2.0)
    started = time.monotonic()
    for level, api in enumerate((a, b, a, b), start=1):
        assert vibrate(api, token, toy_id, level)[0] == 200
    # Four commands to one toy need at least three intervals, whichever instance sent them.
    assert time.monotonic() - started >= 3 * 0.15
    assert [c["action"] for c in cloud.received(paths.COMMAND)] == [
        "Vibrate:1", "Vibrate:2", "Vibrate:3", "Vibrate:4"]


class DownSlots:
    def reserve(self, *args):
        raise redis.exceptions.ConnectionError("redis is down")


def test_pacing_falls_back_to_the_process_when_redis_is_down():
    slept = []
    now = [0.0]
    local = CommandPacer(0.2, 0.3, clock=lambda: now[0], sleep=slept.append)
    pacer = SharedCommandPacer(DownSlots(), local, sleep=slept.append)
    pacer.wait_turn("toy")
    pacer.wait_turn("toy")
    assert slept == [pytest.approx(0.2)]
    with pytest.raises(RateLimited):
        pacer.wait_turn("toy")


@pytest.fixture
def cluster(real_redis, wire_mongo_uri, tmp_path, redis_prefix, redis_client, authority, cloud,
            socket_server):
    """Processes A and B, plus an in-test app on the same database (to license a device)."""
    if real_redis is None:
        pytest.skip("needs the real Redis server")
    cloud.socket_io_url = f"{socket_server.url}/?ntoken=nt-1"
    env = {"MONGO_URI": wire_mongo_uri, "MONGO_DB": f"t{uuid.uuid4().hex[:10]}",
           "REDIS_URL": TEST_REDIS_URL, "REDIS_PREFIX": redis_prefix,
           "DATA_DIR": tmp_path / "data", "MEDIA_DIR": tmp_path / "media",
           "SPEECH_TTS": "fake", "RATE_LIMIT": "0", "SECRET_KEY": SECRET,
           "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "LOVENSE_DEVELOPER_TOKEN": DEV_TOKEN,
           "LOVENSE_API_BASE": cloud.base_url, "LOVENSE_CA_BUNDLE": authority.ca_path,
           "LOVENSE_TIMEOUT": 2, "LOVENSE_PLATFORM": "SmartToy", "LOVENSE_MIN_INTERVAL": 0,
           "LOVENSE_SESSION_LEASE": 1.5}
    yield from two_servers_and_local_services(env, tmp_path, wire_mongo_uri, redis_prefix,
                                              redis_client)


def test_session_owned_by_one_process_serves_all_and_is_taken_over(
        cluster, socket_server, cloud, redis_client, redis_prefix):
    a, b, local = cluster
    ok(a, "/reg", username="dad", password="secret123", nickname="Dad", gender="2")
    token = ok(a, "/login", username="dad", password="secret123")["token"]
    key = local.devices.create(1)[0]
    ok(a, "/bind_toy", token, toy_name="Teddy", baby_name="Lily", device_key=key)
    toy_id = requests.post(f"{a.url}/open_toy", data={"device_key": key}, timeout=10).json()[
        "toy_id"]
    lease = f"{redis_prefix}lovense:lease:{toy_id}"

    ok(a, "/lovense/socket/start", token, toy_id=toy_id)
    assert redis_client.get(lease) is not None and len(socket_server.open_clients()) == 1

    # B holds no session: its command travels to A, which emits it on the one socket.
    sent = ok(b, "/toy_control", token, toy_id=toy_id, command="Position", value=40)
    assert sent == {"transport": "socket", "result": {"sent": True}}
    command = ("basicapi_send_toy_command_ts", {"command": "Position", "value": "40",
                                                "apiVer": 1})
    assert wait_for(lambda: command in socket_server.events)
    assert len(socket_server.handshakes) == 1 and len(socket_server.open_clients()) == 1

    a.kill()
    assert wait_for(lambda: socket_server.open_clients() == [])
    assert wait_for(lambda: redis_client.get(lease) is None)  # A's lease ran out
    # B takes the session over (new token and socket URL, no new QR code) and sends.
    sent = ok(b, "/toy_control", token, toy_id=toy_id, command="Position", value=60)
    assert sent == {"transport": "socket", "result": {"sent": True}}
    again = ("basicapi_send_toy_command_ts", {"command": "Position", "value": "60",
                                              "apiVer": 1})
    assert wait_for(lambda: again in socket_server.events)
    assert len(socket_server.handshakes) == 2 and len(socket_server.open_clients()) == 1
    assert len(cloud.received(paths.SOCKET_TOKEN)) == 2
    assert [e for e, _ in socket_server.events].count("basicapi_get_qrcode_ts") == 1

    # Unbinding through B ends the session it now holds and forgets it everywhere.
    ok(b, "/unbind_toy", token, toy_id=toy_id)
    assert wait_for(lambda: socket_server.open_clients() == [])
    assert redis_client.get(lease) is None
    assert redis_client.hget(f"{redis_prefix}lovense:sessions", toy_id) is None


class DownDirectory:
    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise redis.exceptions.ConnectionError("redis is down")
        return fail


class LocalSessions:
    def __init__(self):
        self.closed = []

    def connected(self, toy_id):
        return None

    def close(self, toy_id):
        self.closed.append(toy_id)


def test_unbinding_with_redis_down_still_closes_this_process_session():
    local = LocalSessions()
    sessions = SharedSessions(local, DownDirectory(), SECRET)
    sessions.close("toy-1")  # no exception: the unbind that called it goes on
    assert local.closed == ["toy-1"]
    assert sessions.connected("toy-1") is None  # other processes' sessions are out of reach
