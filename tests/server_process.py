"""Run ``python app.py`` as a real process on a free loopback port (for end-to-end tests)."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ok(server, path, token=None, **fields):
    """``server.post`` that must succeed (200, code 0); returns the answer's ``data``."""
    status, body = server.post(path, token, **fields)
    assert status == 200 and body["code"] == 0, (path, status, body)
    return body["data"]


class ServerProcess:
    """``python app.py`` with the given environment; ``url`` once ``/healthz`` answers."""

    def __init__(self, env, port=None, log_path=None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._env = dict(os.environ, HOST="127.0.0.1", PORT=str(self.port), LOG_LEVEL="WARNING",
                         **{k: str(v) for k, v in env.items()})
        self._log_path = log_path
        self.proc = None

    def start(self, timeout=30):
        if self._log_path:
            with open(self._log_path, "ab") as log:
                self.proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=self._env,
                                             stdout=log, stderr=subprocess.STDOUT)
        else:
            self.proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=self._env,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except requests.ConnectionError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("server did not start in time")

    def kill(self):
        """SIGKILL: no chance to flush or close anything."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def post(self, path, token=None, **fields):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = requests.post(self.url + path, data=fields, headers=headers, timeout=10)
        return response.status_code, response.json()


def two_servers_and_local_services(env, tmp_path, mongo_uri, redis_prefix, redis_client,
                                   each=None):
    """Yield ``(server_a, server_b, services)``: two ``python app.py`` processes on ``env`` (plus
    ``each["a"]``/``each["b"]``) and an in-test app's services on the same database (to license
    devices); stops both afterwards."""
    from app import create_app

    each = each or {}
    servers = [ServerProcess({**env, **each.get(name, {})}, log_path=tmp_path / f"{name}.log")
               for name in "ab"]
    try:
        for server in servers:
            server.start(timeout=30)
        local = create_app({"MONGO_URI": mongo_uri, "MONGO_DB": env["MONGO_DB"],
                            "REDIS_URL": None, "REDIS_PREFIX": redis_prefix,
                            "DATA_DIR": str(tmp_path / "data"), "LOG_LEVEL": "WARNING",
                            "MEDIA_DIR": str(tmp_path / "media"), "ASYNC_MODE": "threading"},
                           redis=redis_client)
        yield servers[0], servers[1], local.extensions["smarttoy"]
        local.extensions["smarttoy"].store.mongo_client.close()
    finally:
        for server in servers:
            server.stop()


def wait_for_subscribers(redis_url, channel, count=1, timeout=10.0):
    """Until ``channel`` has ``count`` Redis subscribers (a server's listener is ready)."""
    import pytest
    import redis

    client = redis.Redis.from_url(redis_url, socket_timeout=5)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if client.pubsub_numsub(channel)[0][1] >= count:
                return
            time.sleep(0.05)
        pytest.fail(f"no subscriber on {channel}")
    finally:
        client.close()
