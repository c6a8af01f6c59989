"""The local cluster (``deploy/local-cluster``): mongoeco, the real Redis (the test's own key
prefix), 3 gunicorn gevent processes and Debian's nginx on loopback.

Killing the toy's process with SIGKILL while messages flow both ways (clients retry with the
same ``msg_id``): the toy reconnects through nginx to a live process and gets pushes again,
unread counts are exact on every live process, ``/recv_msg`` returns each message once.

Lovense: commands for one toy through the three processes are paced as one; the process owning
a toy's socket session killed → its lease expires and the next command goes through.

A toy connected through nginx (Socket.IO, long-polling then upgrade, and /ws; both sticky by
client address) lands on one process; messages uploaded directly to each of the three processes
are pushed to it, fetched with Range through nginx (every process answers with X-Accel-Redirect),
and read once with ``/recv_msg``; tokens work on every process.

Media: nginx sends stored files itself (``deploy/nginx/smarttoy-media.conf``): whole, by range,
with ETag/304, the app's Content-Type and Cache-Control; ``/_media/`` is internal; the app's
answer is kept by nginx for a second (``smarttoy-media-cache.conf``), a 404 never.
"""

import json
import os
import queue
import shutil
import time
from pathlib import Path

import pytest
import requests
import socketio
import websocket

from app import create_app
from deploy.cluster import ROOT, Cluster, mongoeco_python
from services.media import LocalMedia
from tests.conftest import TEST_REDIS_URL
from tests.fakes import lovense_cloud as paths
from tests.fakes.lovense_fixtures import (  # noqa: F401
    DEV_TOKEN,
    authority_fixture,
    cloud_fixture,
    socket_server_fixture,
)
from tests.messaging import make_samples
from tests.server_process import wait_for_subscribers

DEADLINE = 15.0


@pytest.fixture
def cluster(real_redis, redis_prefix, redis_client, tmp_path, authority, cloud, socket_server):
    if real_redis is None:
        pytest.skip("needs the real Redis server")
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        if os.environ.get("REQUIRE_NGINX") == "1":
            pytest.fail("REQUIRE_NGINX=1 but nginx is not installed")
        pytest.skip("needs nginx (apt-get install nginx)")
    if mongoeco_python() is None:
        if os.environ.get("REQUIRE_MONGOECO") == "1":
            pytest.fail("REQUIRE_MONGOECO=1 but no Python with mongoeco (set MONGOECO_PYTHON)")
        pytest.skip("needs mongoeco (MONGOECO_PYTHON)")
    stack = Cluster(3, TEST_REDIS_URL, redis_prefix, run_dir=tmp_path / "cluster",
                    env={"SPEECH_TTS": "fake", "RATE_LIMIT": "0",
                         "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                         "LOVENSE_DEVELOPER_TOKEN": DEV_TOKEN, "LOVENSE_API_BASE": cloud.base_url,
                         "LOVENSE_CA_BUNDLE": authority.ca_path, "LOVENSE_TIMEOUT": 2,
                         "LOVENSE_MIN_INTERVAL": 30, "LOVENSE_MAX_WAIT": 0,
                         "LOVENSE_SESSION_LEASE": 1.5, "LOVENSE_PLATFORM": "SmartToy"})
    cloud.socket_io_url = f"{socket_server.url}/?ntoken=nt-1"
    stack.start(timeout=60)
    local = create_app({"MONGO_URI": stack.mongo_uri, "MONGO_DB": "smarttoy", "REDIS_URL": None,
                        "REDIS_PREFIX": redis_prefix, "DATA_DIR": str(tmp_path / "data"),
                        "MEDIA_DIR": str(tmp_path / "media"), "LOG_LEVEL": "WARNING",
                        "ASYNC_MODE": "threading"}, redis=redis_client)
    try:
        yield stack, local.extensions["smarttoy"]
    finally:
        local.extensions["smarttoy"].store.mongo_client.close()
        stack.stop()


def call(url, path, token=None, **fields):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = requests.post(url + path, data=fields, headers=headers, timeout=DEADLINE)
    body = response.json()
    assert response.status_code == 200 and body.get("code") == 0, (url, path, body)
    return body.get("data", body)


def test_upload_on_each_process_reaches_a_toy_behind_nginx(cluster, redis_prefix, tmp_path):
    stack, local = cluster
    a, b, c = stack.backends
    samples = tmp_path / "samples"
    samples.mkdir()
    amr = make_samples(samples)["amr-nb.amr"]
    call(stack.url, "/reg", username="mum", password="secret123", nickname="Mum", gender="1")
    token = call(stack.url, "/login", username="mum", password="secret123")["token"]
    key = local.devices.create(1)[0]
    call(a, "/bind_toy", token, toy_name="Teddy", baby_name="Lily", device_key=key)
    toy = requests.post(f"{c}/open_toy", data={"device_key": key}, timeout=DEADLINE).json()
    assert toy["code"] == 0

    pushed = queue.Queue()
    client = socketio.Client(reconnection=False)
    client.on("chat", lambda data: pushed.put(data["chat"]))
    ws = None
    try:
        client.connect(stack.url, auth={"token": toy["token"]}, wait_timeout=DEADLINE)
        ws = websocket.create_connection(
            f"ws://127.0.0.1:{stack.url.rsplit(':', 1)[1]}/ws?token={toy['token']}",
            timeout=DEADLINE)
        wait_for_subscribers(TEST_REDIS_URL, f"{redis_prefix}socketio", timeout=DEADLINE)
        wait_for_subscribers(TEST_REDIS_URL, f"{redis_prefix}ws", timeout=DEADLINE)
        sent = []
        for backend in (a, b, c):  # the toy's process is one of them: two uploads cross over
            response = requests.post(f"{backend}/app_uploader",
                                     headers={"Authorization": f"Bearer {token}"},
                                     data={"to_user": toy["toy_id"]},
                                     files={"reco_file": ("voice.amr", amr)}, timeout=DEADLINE)
            assert response.status_code == 200, response.text
            sent.append(response.json()["data"]["filename"])
        assert sorted(pushed.get(timeout=DEADLINE) for _ in sent) == sorted(sent)
        frames = [json.loads(ws.recv()) for _ in sent]
        assert sorted(f["data"]["chat"] for f in frames if f["event"] == "chat") == sorted(sent)
    finally:
        if ws is not None:
            ws.close()
        client.disconnect()

    for backend in (a, b, c):  # both tokens work on every process
        assert call(backend, "/auto_login", token)["chat"]["count"] == 0
        friends = call(backend, "/friend_list", toy["token"])
        assert [f["friend_nick"] for f in friends] == ["Mum"]
    for name in sent:  # nginx sends the files (X-Accel-Redirect); every process finds them
        whole = requests.get(f"{stack.url}/get_chat/{name}", timeout=DEADLINE)
        assert whole.status_code == 200 and whole.content[:1] in (b"I", b"\xff")  # ID3 or a frame
        part = requests.get(f"{stack.url}/get_chat/{name}", headers={"Range": "bytes=0-99"},
                            timeout=DEADLINE)
        assert part.status_code == 206 and part.content == whole.content[:100]
        for backend in (a, b, c):
            direct = requests.get(f"{backend}/get_chat/{name}", timeout=DEADLINE)
            assert direct.headers["X-Accel-Redirect"] == f"/_media/chat/{name}"
    items = requests.post(f"{stack.url}/recv_msg",
                          headers={"Authorization": f"Bearer {toy['token']}"},
                          timeout=DEADLINE).json()
    assert sorted(item["message"] for item in items[1:]) == sorted(sent)
    again = requests.post(f"{b}/recv_msg", headers={"Authorization": f"Bearer {toy['token']}"},
                          timeout=DEADLINE).json()
    assert again == []


def test_socket_io_through_nginx_passes_the_same_origin_check(cluster):
    """A browser on the site's own origin (port included) opens Socket.IO through nginx: the
    long-polling handshake with its Origin header and the websocket transport are accepted,
    and another origin is refused."""
    stack, local = cluster
    handshake = f"{stack.url}/socket.io/?EIO=4&transport=polling"
    same = requests.get(handshake, headers={"Origin": stack.url}, timeout=DEADLINE)
    assert same.status_code == 200 and same.text.startswith("0{"), same.text
    other = requests.get(handshake, headers={"Origin": "http://evil.example"}, timeout=DEADLINE)
    assert other.status_code == 400
    token, _ = family(stack, local, "origin")
    client = socketio.Client(reconnection=False)
    try:
        client.connect(stack.url, auth={"token": token}, transports=["websocket"],
                       wait_timeout=DEADLINE)
        assert client.connected and client.transport() == "websocket"
    finally:
        client.disconnect()


def test_nginx_sends_media_files_with_x_accel_redirect(cluster):
    stack, _ = cluster
    data = os.urandom(300_000)
    LocalMedia(stack.env["MEDIA_DIR"], ROOT / "static").put("music", "song.mp3", data)
    whole = requests.get(f"{stack.url}/get_music/song.mp3", timeout=DEADLINE)
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["Content-Type"] == "audio/mpeg"
    assert "X-Accel-Redirect" not in whole.headers and whole.headers["ETag"]
    assert whole.headers["Last-Modified"] and "max-age=3600" in whole.headers["Cache-Control"]
    part = requests.get(f"{stack.url}/get_music/song.mp3", headers={"Range": "bytes=1000-1999"},
                        timeout=DEADLINE)
    assert part.status_code == 206 and part.content == data[1000:2000]
    assert part.headers["Content-Range"] == f"bytes 1000-1999/{len(data)}"
    tail = requests.get(f"{stack.url}/get_music/song.mp3", headers={"Range": "bytes=-10"},
                        timeout=DEADLINE)
    assert tail.status_code == 206 and tail.content == data[-10:]
    cached = requests.get(f"{stack.url}/get_music/song.mp3", timeout=DEADLINE,
                          headers={"If-None-Match": whole.headers["ETag"]})
    assert cached.status_code == 304
    for backend in stack.backends:  # the processes hand the bytes to nginx
        direct = requests.get(f"{backend}/get_music/song.mp3", timeout=DEADLINE)
        assert direct.headers["X-Accel-Redirect"] == "/_media/music/song.mp3"
        assert direct.content == b""
    assert requests.get(f"{stack.url}/_media/music/song.mp3", timeout=DEADLINE).status_code == 404
    missing = requests.get(f"{stack.url}/get_music/nothing.mp3", timeout=DEADLINE)
    assert missing.status_code == 404 and missing.json()["code"] == 404
    shipped = requests.get(f"{stack.url}/get_music/Success.mp3", timeout=DEADLINE)
    assert shipped.status_code == 200 and shipped.content == (
        ROOT / "static" / "chat" / "Success.mp3").read_bytes()


def test_nginx_keeps_the_apps_download_answer_for_a_second(cluster):
    """``smarttoy-media-cache.conf``: a song's X-Accel-Redirect answer is asked of the app once
    and kept (1–2 s, nginx's clock has whole seconds); 404s are never kept."""
    stack, _ = cluster
    media = LocalMedia(stack.env["MEDIA_DIR"], ROOT / "static")
    media.put("music", "kept.mp3", b"k" * 5000)
    url = f"{stack.url}/get_music/kept.mp3"
    assert requests.get(url, timeout=DEADLINE).content == b"k" * 5000
    (Path(stack.env["MEDIA_DIR"]) / "music" / "kept.mp3").unlink()
    stale = requests.get(url, timeout=DEADLINE)  # the kept answer: nginx finds no file
    assert stale.status_code == 404 and "nginx" in stale.text
    time.sleep(2.1)
    asked = requests.get(url, timeout=DEADLINE)  # expired: the app answers again
    assert asked.status_code == 404 and asked.json()["msg"] == "file not found"
    assert requests.get(f"{stack.url}/get_music/later.mp3", timeout=DEADLINE).status_code == 404
    media.put("music", "later.mp3", b"l" * 100)
    assert requests.get(f"{stack.url}/get_music/later.mp3", timeout=DEADLINE).content == \
        b"l" * 100


def family(stack, local, name):
    """A parent and a bound toy → (parent token, /open_toy answer)."""
    call(stack.url, "/reg", username=name, password="secret123", nickname=name.title(),
         gender="1")
    token = call(stack.url, "/login", username=name, password="secret123")["token"]
    key = local.devices.create(1)[0]
    call(stack.url, "/bind_toy", token, toy_name="Teddy", baby_name="Lily", device_key=key)
    toy = requests.post(f"{stack.url}/open_toy", data={"device_key": key},
                        timeout=DEADLINE).json()
    assert toy["code"] == 0
    return token, toy


def upload(url, path, token, field, msg_id, audio, **fields):
    """Post one voice message, retrying (same msg_id) while a process is down → filename."""
    for _ in range(20):
        try:
            response = requests.post(f"{url}{path}", headers={"Authorization": f"Bearer {token}"},
                                     data={"msg_id": msg_id, **fields},
                                     files={field: ("voice.amr", audio)}, timeout=DEADLINE)
        except requests.ConnectionError:
            response = None
        if response is not None and response.status_code == 200:
            return response.json()["data"]["filename"]
        time.sleep(0.2)
    pytest.fail(f"{msg_id} never accepted")


def test_killing_the_toys_process_loses_nothing(cluster, tmp_path):
    stack, local = cluster
    samples = tmp_path / "samples"
    samples.mkdir()
    amr = make_samples(samples)["amr-nb.amr"]
    token, toy = family(stack, local, "dad")
    pushed = queue.Queue()
    client = socketio.Client(reconnection=True, reconnection_delay=0.2,
                             reconnection_delay_max=0.5)
    client.on("chat", lambda data: pushed.put(data["chat"]))
    connects = []
    client.on("connect", lambda: connects.append(time.monotonic()))
    client.connect(stack.url, auth={"token": toy["token"]}, wait_timeout=DEADLINE)
    try:
        holder = stack.upstreams("/socket.io/")[-1]  # sticky: every socket.io request went there
        dad_id = call(stack.url, "/friend_list", toy["token"])[0]["friend_id"]
        to_toy, to_dad = [], []
        for i in range(12):
            if i == 4:
                logged = len(stack.upstreams("/socket.io/"))
                stack.kill(holder)  # SIGKILL while the toy is connected and messages flow
            to_toy.append(upload(stack.url, "/app_uploader", token, "reco_file", f"d{i}", amr,
                                 to_user=toy["toy_id"]))
            to_dad.append(upload(stack.url, "/toy_uploader", toy["token"], "reco", f"t{i}", amr,
                                 to_user=dad_id, friend_type="app"))
        # The toy reconnects through nginx to a live process and gets pushes again. (nginx
        # logs a request when it ends: the reconnection's handshake is logged, its websocket
        # not until it closes.)
        def reconnected():
            return len(connects) >= 2 and client.connected and any(
                index != holder for index in stack.upstreams("/socket.io/")[logged:])

        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline and not reconnected():
            time.sleep(0.1)
        assert reconnected(), stack.upstreams("/socket.io/")[logged:]
        while not pushed.empty():
            pushed.get_nowait()
        after = upload(stack.url, "/app_uploader", token, "reco_file", "after", amr,
                       to_user=toy["toy_id"])
        deadline = time.monotonic() + DEADLINE
        seen = []
        while after not in seen and time.monotonic() < deadline:
            try:
                seen.append(pushed.get(timeout=0.5))
            except queue.Empty:
                pass
        assert after in seen
    finally:
        client.disconnect()
    live = [url for index, url in enumerate(stack.backends) if index != holder]
    # Unread counts are exact on every live process; every message is read exactly once.
    for url in live:
        assert call(url, "/auto_login", token)["chat"]["count"] == 12
    items = requests.post(f"{live[0]}/recv_msg",
                          headers={"Authorization": f"Bearer {toy['token']}"},
                          timeout=DEADLINE).json()
    assert sorted(item["message"] for item in items[1:]) == sorted([*to_toy, after])
    assert len(items) == 1 + 13
    again = requests.post(f"{live[1]}/recv_msg",
                          headers={"Authorization": f"Bearer {toy['token']}"},
                          timeout=DEADLINE).json()
    assert again == []
    assert len(set(to_dad)) == 12


def test_lovense_commands_through_three_processes_are_paced_as_one(cluster, cloud):
    stack, local = cluster
    token, toy = family(stack, local, "mum")
    answers = []
    for backend in stack.backends:  # the next slot is 30 s away for all three processes
        response = requests.post(f"{backend}/toy_control", timeout=DEADLINE,
                                 headers={"Authorization": f"Bearer {token}"},
                                 data={"toy_id": toy["toy_id"], "command": "Function",
                                       "action": "Vibrate:5", "timeSec": 5})
        answers.append(response.status_code)
    assert answers == [200, 429, 429]
    stop = call(stack.backends[2], "/toy_control", token, toy_id=toy["toy_id"],
                command="Function", action="Stop")
    assert stop["transport"] == "server"
    assert [c["action"] for c in cloud.received(paths.COMMAND)] == ["Vibrate:5", "Stop"]


def test_lovense_session_owner_killed_is_taken_over(cluster, socket_server, redis_client,
                                                    redis_prefix):
    stack, local = cluster
    token, toy = family(stack, local, "sue")
    a, b, c = stack.backends
    call(a, "/lovense/socket/start", token, toy_id=toy["toy_id"])
    sent = call(c, "/toy_control", token, toy_id=toy["toy_id"], command="Position", value=30)
    assert sent == {"transport": "socket", "result": {"sent": True}}
    first = ("basicapi_send_toy_command_ts", {"command": "Position", "value": "30", "apiVer": 1})
    assert wait_until(lambda: first in socket_server.events)
    stack.kill(0)  # the owner
    lease = f"{redis_prefix}lovense:lease:{toy['toy_id']}"
    assert wait_until(lambda: redis_client.get(lease) is None)
    # The next command after the lease ran out goes through (the 30 s pacing slot is taken).
    status = requests.post(f"{b}/toy_control", headers={"Authorization": f"Bearer {token}"},
                           data={"toy_id": toy["toy_id"], "command": "PatternV2",
                                 "type": "Stop"}, timeout=DEADLINE)
    assert status.status_code == 200, status.text
    assert status.json()["data"] == {"transport": "socket", "result": {"sent": True}}
    stop = ("basicapi_send_toy_command_ts", {"command": "PatternV2", "type": "Stop",
                                             "apiVer": 1})
    assert wait_until(lambda: stop in socket_server.events)
    assert len(socket_server.handshakes) == 2 and len(socket_server.open_clients()) == 1


def wait_until(predicate, seconds=DEADLINE):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not predicate():
        time.sleep(0.05)
    return predicate()
