"""The Socket.IO 2.x client against the real npm ``socket.io@2`` server, run by node.

Skips only when ``node`` is absent. The npm package is installed into ``tests/node/node_modules``
(git-ignored) with ``npm ci`` on first use; CI can do it up front:
``npm ci --prefix tests/node --no-audit --no-fund``.
"""

import queue
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from services.clients.lovense_socket import SocketIo2Client
from tests.fakes.netguard import loopback_only  # noqa: F401  (autouse guard)

NODE_DIR = Path(__file__).parent / "node"
pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")


def ensure_socketio2():
    if (NODE_DIR / "node_modules" / "socket.io").is_dir():
        return
    npm = shutil.which("npm")
    assert npm, "node is installed but npm is not: cannot install socket.io@2"
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True,
                   timeout=300, stdout=subprocess.DEVNULL)


@pytest.fixture
def node_server():
    ensure_socketio2()
    process = subprocess.Popen(["node", "socketio2_server.js"], cwd=NODE_DIR, text=True,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line.strip()) for line in process.stdout],
                     daemon=True).start()
    first = lines.get(timeout=20)
    assert first.startswith("PORT "), first
    server = {"process": process, "lines": lines, "port": int(first.split()[1])}
    yield server
    process.stdin.write("exit\n")
    process.stdin.flush()
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)
    process.stdout.close()
    process.stdin.close()


def expect(server, prefix, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            line = server["lines"].get(timeout=0.1)
        except queue.Empty:
            continue
        if line.startswith(prefix):
            return line[len(prefix):].strip()
    raise AssertionError(f"node server printed no {prefix!r}")


def send(server, command):
    server["process"].stdin.write(command + "\n")
    server["process"].stdin.flush()


def test_real_socketio2_server(node_server):
    events, states = queue.Queue(), []
    client = SocketIo2Client(f"http://127.0.0.1:{node_server['port']}?ntoken=node-ntoken",
                             "/developer.io", lambda e, d: events.put((e, d)), states.append,
                             timeout=2, backoff=(0.05, 0.2), max_attempts=5).start()
    try:
        assert client.wait_connected(5)
        assert expect(node_server, "EVENT connection") == '"3"'
        client.emit("basicapi_get_qrcode_ts", {"ackId": "node-1"})
        assert expect(node_server, "EVENT basicapi_get_qrcode_ts") == '{"ackId":"node-1"}'
        event, data = events.get(timeout=5)
        assert event == "basicapi_get_qrcode_tc" and data["data"]["ackId"] == "node-1"
        time.sleep(1.2)  # > 2 ping intervals + pingTimeout: the session must survive on pongs
        assert client.connected and states == ["connected"]
        body = {"command": "Function", "action": "Vibrate:16", "timeSec": 20, "apiVer": 1}
        client.emit("basicapi_send_toy_command_ts", body)
        assert expect(node_server, "EVENT basicapi_send_toy_command_ts") == (
            '{"command":"Function","action":"Vibrate:16","timeSec":20,"apiVer":1}')
        send(node_server, "drop")
        assert expect(node_server, "EVENT connection") == '"3"'
        deadline = time.monotonic() + 5
        while not client.connected and time.monotonic() < deadline:
            time.sleep(0.02)
        send(node_server, "push")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            event, data = events.get(timeout=5)
            if event == "basicapi_update_device_info_tc":
                break
        assert data["deviceCode"] == "dev1" and data["toyList"][0]["id"] == "t1"
        assert states.count("connected") == 2
    finally:
        client.close()


def test_bad_ntoken_is_refused_by_the_real_server(node_server):
    client = SocketIo2Client(f"http://127.0.0.1:{node_server['port']}?ntoken=wrong",
                             "/developer.io", timeout=1, backoff=(0.05, 0.1), max_attempts=1)
    client.start()
    try:
        assert not client.wait_connected(1.0)
    finally:
        client.close()
