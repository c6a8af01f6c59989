"""Fault tests: Redis (a private redis-server) paused with SIGSTOP, killed and restarted empty,
and flushed while a toy sends voice messages to its parent through a real ``python app.py``
(gevent, REDIS_URL set, so the Socket.IO queue, the /ws relay, counters and rate limits all use
that Redis). Every upload must be answered (no 5xx), every accepted message must be in MongoDB,
and the unread count must be exact afterwards. Prints requests, faults and losses."""

import io
import math
import struct
import subprocess
import sys
import time
import wave

import pytest
import requests

from tests.redis_process import RedisProcess
from tests.server_process import ROOT, ServerProcess, ok

PER_PHASE = 12
FAULT_AT = 4


@pytest.fixture
def rig(tmp_path):
    """A private Redis, a server on it (embedded MongoDB under tmp_path), a parent and a toy."""
    redis_server = RedisProcess().start()
    env = {"REDIS_URL": redis_server.url, "REDIS_PREFIX": "fault:",
           "DATA_DIR": tmp_path / "data", "MEDIA_DIR": tmp_path / "media",
           "SPEECH_TTS": "fake", "RATE_LIMIT": "0", "SECRET_KEY": "fault-test-secret-0123",
           "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}
    server = ServerProcess(env, log_path=tmp_path / "server.log")
    key = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "devices", "create"],
                         cwd=ROOT, env=server._env, capture_output=True, text=True, timeout=120,
                         check=True).stdout.split()[-1]
    audio = tone_wav()
    try:
        server.start(timeout=60)
        ok(server, "/reg", username="dad", password="secret123", nickname="Dad", gender="2")
        parent = ok(server, "/login", username="dad", password="secret123")
        ok(server, "/bind_toy", parent["token"], toy_name="Teddy", baby_name="Lily",
           remark="Dad", device_key=key)
        toy = requests.post(f"{server.url}/open_toy", data={"device_key": key},
                            timeout=10).json()
        yield Rig(server, redis_server, parent, toy, audio, tmp_path / "server.log")
    finally:
        server.stop()
        redis_server.kill()


def tone_wav(seconds=1.0, rate=8000):
    """A 440 Hz tone as 16-bit mono WAV (any ffmpeg the server finds decodes it)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i
                                                                          / rate)))
                                 for i in range(int(seconds * rate))))
    return buffer.getvalue()


class Rig:
    def __init__(self, server, redis_server, parent, toy, audio, log_path):
        self.server, self.redis, self.parent, self.toy = server, redis_server, parent, toy
        self.audio, self.log_path = audio, log_path
        self.accepted, self.failed, self.requests = [], [], 0

    def upload(self, n):
        """Toy → parent voice message ``n``; every request must be answered."""
        self.requests += 1
        response = requests.post(
            f"{self.server.url}/toy_uploader",
            headers={"Authorization": f"Bearer {self.toy['token']}"},
            data={"to_user": self.parent["_id"], "friend_type": "app", "msg_id": f"m{n}"},
            files={"reco": ("voice.wav", self.audio)}, timeout=60)
        assert response.status_code < 500, response.text
        if response.status_code == 200:
            self.accepted.append(response.json()["data"]["filename"])
        else:
            self.failed.append(response.status_code)

    def traffic(self, fault, after=None):
        for n in range(PER_PHASE):
            if n == FAULT_AT:
                fault()
            self.upload(f"{len(self.accepted)}-{self.requests}")
        if after is not None:
            after()

    def wait_redis_ok(self, timeout=30):
        """Until /healthz sees Redis again (the breaker closed after its cooldown)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            data = requests.get(f"{self.server.url}/healthz", timeout=10).json()["data"]
            if data["redis"] == "ok":
                return
            time.sleep(0.2)
        pytest.fail("redis never came back in /healthz")

    def check(self, fault_name):
        """Counts exact and nothing lost; prints the figures."""
        self.wait_redis_ok()
        token, toy_id = self.parent["token"], self.toy["toy_id"]
        chat = ok(self.server, "/auto_login", token)["chat"]
        friends = ok(self.server, "/friend_list", token)
        chat_id = next(f["friend_chat"] for f in friends if f["friend_id"] == toy_id)
        stored = [m["message"] for m in ok(self.server, "/chat_list", token, chat_id=chat_id,
                                           limit=200)]
        losses = len(set(self.accepted) - set(stored))
        print(f"\nredis {fault_name}: requests={self.requests} faults=1 "
              f"accepted={len(self.accepted)} refused={len(self.failed)} losses={losses} "
              f"unread={chat.get(toy_id, 0)} (expected {len(self.accepted)})")
        assert self.failed == [] and len(self.accepted) == self.requests
        assert losses == 0 and len(stored) == len(self.accepted)
        assert chat == {toy_id: len(self.accepted), "count": len(self.accepted)}
        assert ok(self.server, "/auto_login", token)["chat"] == {"count": 0}  # read: exact


def test_redis_paused_mid_traffic(rig):
    rig.traffic(rig.redis.pause, after=rig.redis.resume)
    log = rig.log_path.read_text()
    # The breaker opened, and the publishes of the pushes (Socket.IO queue, /ws relay) went
    # through it too: skipped while it was open instead of each waiting on the hung Redis.
    assert "socket.io push dropped, redis unavailable: redis marked down" in log
    assert "websocket relay publish failed: redis marked down" in log
    rig.check("paused (SIGSTOP)")


def test_redis_killed_mid_traffic_and_restarted_empty(rig):
    rig.traffic(rig.redis.kill, after=rig.redis.start)
    rig.check("killed, restarted empty")


def test_redis_flushed_mid_traffic(rig):
    rig.traffic(rig.redis.flush)
    rig.check("flushed (FLUSHALL)")
