"""The real entry points as processes: ``python app.py``, gunicorn with ``deploy/gunicorn.conf.py``
and the ``flask --app app`` CLI read the same ``.env``; a second server on one DATA_DIR is refused;
busy port, Ctrl-C, access log, TCP_NODELAY, slow clients, ``flask run`` threads."""

import http.client
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.entry_process import (
    FLASK,
    GUNICORN,
    PYTHON_APP,
    ROOT,
    Server,
    children,
    free_port,
    open_fds,
    process_env,
    run,
    server_side_option,
    write_env_file,
)


@pytest.fixture
def servers():
    """``servers(args, env, log, port)`` → a started Server, stopped at the end of the test."""
    started = []

    def start(*args, **kwargs):
        server = Server(*args, **kwargs)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop(signal.SIGTERM)


def _placeholder_secret():
    """The SECRET_KEY value that .env.example ships."""
    text = (ROOT / ".env.example").read_text()
    return re.search(r"^SECRET_KEY=(\S+)", text, re.M).group(1)


@pytest.mark.parametrize("secret", [None, "placeholder", "aaaaaaaaaaaaaaaa"])
def test_production_in_dot_env_refuses_a_weak_secret(tmp_path, secret):
    values = {"APP_ENV": "production", "DATA_DIR": tmp_path / "data", "PORT": free_port()}
    if secret:
        values["SECRET_KEY"] = _placeholder_secret() if secret == "placeholder" else secret
    env = process_env(write_env_file(tmp_path / ".env", **values))
    code, output = run(PYTHON_APP, env)
    assert code != 0 and "SECRET_KEY" in output and "secrets.token_hex" in output, output
    assert "Traceback" not in output and len(output.strip().splitlines()) == 1, output
    if secret == "placeholder":  # gunicorn reads the same file and refuses too
        code, output = run(GUNICORN, env)
        assert code != 0 and "SECRET_KEY" in output, output


def test_every_entry_point_uses_the_settings_of_dot_env(tmp_path, servers):
    port = free_port()
    env_file = write_env_file(tmp_path / ".env", PORT=port, DATA_DIR=tmp_path / "data",
                              MEDIA_DIR=tmp_path / "media", RATE_LIMIT=0, LOG_LEVEL="INFO")
    env = process_env(env_file)
    server = servers(PYTHON_APP, env=env, log=tmp_path / "app.log", port=port).ready()
    assert f"serving on http://127.0.0.1:{port}" in server.output
    user = {"username": "dotenv", "password": "secret123", "nickname": "D", "gender": "1"}
    assert requests.post(f"{server.url}/reg", data=user, timeout=10).json()["code"] == 0

    # The CLI sees the same database, while the server holds DATA_DIR.
    code, output = run([*FLASK, "users", "list"], env)
    assert code == 0 and "dotenv" in output, output
    # A second server on the same DATA_DIR is refused with one line, whatever its port.
    code, output = run(PYTHON_APP, process_env(env_file, PORT=free_port()))
    assert code == 1 and "already using the embedded store" in output, output
    assert "Traceback" not in output and len(output.strip().splitlines()) == 1, output
    code, output = run([*GUNICORN, "-b", f"127.0.0.1:{free_port()}"], env)
    assert code != 0 and "already using the embedded store" in output, output
    code, output = run([*FLASK, "run", "--port", str(free_port())], env)
    assert code == 1 and "already using the embedded store" in output, output
    assert "Traceback" not in output, output
    # The environment wins over .env.
    code, output = run([*FLASK, "users", "list"], process_env(env_file,
                                                              DATA_DIR=tmp_path / "other"))
    assert code == 0 and "dotenv" not in output, output

    assert server.stop() == 0  # Ctrl-C: clean exit, no traceback
    assert "Traceback" not in server.output and "stopped" in server.output, server.output

    gunicorn = servers(GUNICORN, env=env, log=tmp_path / "gunicorn.log", port=port).ready()
    login = requests.post(f"{gunicorn.url}/login", data=user, timeout=10).json()
    assert login["code"] == 0, login
    assert gunicorn.stop() == 0


def test_gunicorn_with_two_workers_on_the_embedded_store_is_refused(tmp_path):
    env = process_env(write_env_file(tmp_path / ".env", DATA_DIR=tmp_path / "data",
                                     PORT=free_port()))
    code, output = run([*GUNICORN, "-w", "2"], env)
    assert code != 0 and "one worker" in output, output


def test_a_busy_port_gives_one_clear_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = process_env(write_env_file(tmp_path / ".env", DATA_DIR=tmp_path / "data",
                                         PORT=port, LOG_LEVEL="INFO"))
        code, output = run(PYTHON_APP, env)
    assert code == 1 and f"port {port} on 127.0.0.1 is already in use" in output, output
    assert "serving on" not in output and "Traceback" not in output, output


@pytest.mark.parametrize("entry", ["python app.py", "gunicorn"])
def test_access_log_and_tcp_nodelay(tmp_path, servers, entry):
    port = free_port()
    env = process_env(write_env_file(tmp_path / ".env", PORT=port, DATA_DIR=tmp_path / "data",
                                     MEDIA_DIR=tmp_path / "media", RATE_LIMIT=0,
                                     LOG_LEVEL="INFO"))
    args = PYTHON_APP if entry == "python app.py" else GUNICORN
    server = servers(args, env=env, log=tmp_path / "server.log", port=port).ready()
    user = {"username": "logged", "password": "secret123", "nickname": "L", "gender": "2"}
    requests.post(f"{server.url}/reg", data=user, timeout=10)
    login = requests.post(f"{server.url}/login", data=user, timeout=10).json()["data"]

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)  # one keep-alive socket
    try:
        for _ in range(2):
            conn.request("POST", "/toy_list?token=query-secret",
                         headers={"Authorization": f"Bearer {login['token']}"})
            assert conn.getresponse().read() and conn.sock is not None
        pid = children(server.proc.pid)[0] if entry == "gunicorn" else server.proc.pid
        assert server_side_option(pid, conn.sock, socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        conn.close()

    deadline = time.monotonic() + 10  # the log line is written after the response is sent
    while "caller=" not in server.output and time.monotonic() < deadline:
        time.sleep(0.1)
    lines = server.output.splitlines()
    assert any(re.search(rf"POST /toy_list 200 [\d.]+ms caller=app:{login['_id']}$", line)
               for line in lines), server.output
    assert any(re.search(r"POST /login 200 [\d.]+ms$", line) for line in lines), server.output
    assert "query-secret" not in server.output and login["token"] not in server.output


@pytest.mark.parametrize("gunicorn_log", [False, True])
def test_gunicorn_writes_its_own_access_line_only_when_asked(tmp_path, servers, gunicorn_log):
    """deploy/gunicorn.conf.py leaves gunicorn's access log off (the app writes one line per
    request); ``--access-logfile -`` turns gunicorn's on again."""
    port = free_port()
    env = process_env(write_env_file(tmp_path / ".env", PORT=port, DATA_DIR=tmp_path / "data",
                                     MEDIA_DIR=tmp_path / "media", LOG_LEVEL="INFO"))
    args = [*GUNICORN[:-1], *(["--access-logfile", "-"] if gunicorn_log else []), GUNICORN[-1]]
    server = servers(args, env=env, log=tmp_path / "server.log", port=port).ready()
    assert requests.get(f"{server.url}/healthz", timeout=10).status_code == 200
    deadline = time.monotonic() + 10
    while "GET /healthz 200" not in server.output and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)  # gunicorn's line, when on, follows the app's
    assert "GET /healthz 200" in server.output, server.output
    assert ('"GET /healthz HTTP/1.1" 200' in server.output) is gunicorn_log, server.output


def test_flask_run_serves_database_calls_from_its_threads(tmp_path, servers):
    port = free_port()
    env = process_env(write_env_file(tmp_path / ".env", DATA_DIR=tmp_path / "data",
                                     MEDIA_DIR=tmp_path / "media", RATE_LIMIT=0))
    server = servers([*FLASK, "run", "--port", str(port)], env=env, log=tmp_path / "run.log",
                     port=port).ready()
    user = {"username": "threads", "password": "secret123", "nickname": "T", "gender": "1"}
    for _ in range(3):  # werkzeug's threaded server: every request on a new thread
        assert requests.post(f"{server.url}/reg", data={**user, "username": f"t{_}"},
                             timeout=10).json()["code"] == 0
    token = requests.post(f"{server.url}/login", data={**user, "username": "t1"},
                          timeout=10).json()["data"]["token"]
    toys = requests.post(f"{server.url}/toy_list", headers={"Authorization": f"Bearer {token}"},
                         timeout=10)
    assert toys.status_code == 200 and toys.json()["data"] == []
    assert requests.get(f"{server.url}/healthz", timeout=10).json()["data"]["mongo"] == "ok"


@pytest.mark.parametrize("entry", ["python app.py", "gunicorn"])
def test_slow_clients_are_timed_out_and_capped(tmp_path, servers, entry):
    port, cap = free_port(), 150
    env = process_env(write_env_file(tmp_path / ".env", PORT=port, DATA_DIR=tmp_path / "data",
                                     MEDIA_DIR=tmp_path / "media", HTTP_HEADER_TIMEOUT=3,
                                     HTTP_IDLE_TIMEOUT=3, MAX_CONNECTIONS=cap))
    args = PYTHON_APP if entry == "python app.py" else GUNICORN
    server = servers(args, env=env, log=tmp_path / "server.log", port=port).ready()
    pid = children(server.proc.pid)[0] if entry == "gunicorn" else server.proc.pid
    before = open_fds(pid)
    idle = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    idle.request("GET", "/healthz")
    assert idle.getresponse().read()

    half = []
    try:
        for count in (100, 100):  # below the cap, then over it
            for _ in range(count):
                half.append(socket.create_connection(("127.0.0.1", port), timeout=60))
                half[-1].sendall(b"GET /healthz HTTP/1.1\r\nHost: slow\r\n")  # unfinished
            health = requests.get(f"{server.url}/healthz", timeout=60)  # answers despite them
            assert health.status_code == 200
            assert open_fds(pid) <= before + cap + 2

        answers = [_read_to_end(sock) for sock in half]
        assert all(a.startswith(b"HTTP/1.1 408") for a in answers), {a[:40] for a in answers}
        assert _read_to_end(idle.sock) == b""  # the idle keep-alive connection was closed
    finally:
        idle.close()
        for sock in half:
            sock.close()
    assert requests.get(f"{server.url}/healthz", timeout=30).status_code == 200


def _read_to_end(sock):
    data = b""
    while chunk := sock.recv(4096):
        data += chunk
    return data


def test_make_prompts_leaves_the_shipped_files_alone(tmp_path):
    shipped = {p.name: p.read_bytes() for p in (ROOT / "static" / "chat").glob("*.mp3")}
    env = process_env(Path("/dev/null"), MEDIA_DIR=tmp_path / "media")
    code, output = run([*PYTHON_APP[:1], "-m", "services.speech.make_prompts"], env)
    assert code == 0, output
    assert sorted(p.name for p in (tmp_path / "media" / "chat").glob("*.mp3")) == sorted(shipped)
    assert {p.name: p.read_bytes() for p in (ROOT / "static" / "chat").glob("*.mp3")} == shipped


def test_startup_objects_are_kept_out_of_full_collections():
    """serving.process.settle_startup_objects (called by python app.py and the gunicorn worker
    once the app is loaded): a full garbage collection then walks only later objects."""
    code = (
        "import gc, os, sys, tempfile\n"
        "os.environ['DATA_DIR'] = tempfile.mkdtemp()\n"
        "from app import create_app\n"
        "from serving.process import settle_startup_objects\n"
        "create_app()\n"
        "before = len(gc.get_objects())\n"
        "settle_startup_objects()\n"
        "print(before, gc.get_freeze_count(), len(gc.get_objects()))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, check=True).stdout.split()
    before, frozen, after = map(int, out)
    assert frozen > before * 0.9 and after < before * 0.05
