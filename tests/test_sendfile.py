"""File responses through the kernel's sendfile under gevent: byte-exact whole files and
ranges, validators kept, on ``python app.py`` and on gunicorn's gevent worker."""

import hashlib
import os
import subprocess
import sys
import time

import pytest
import requests

from services.sendfile import kernel_sendfile
from tests.server_process import ROOT, ServerProcess, free_port

SIZE = 3 * 1024 * 1024 + 17


@pytest.fixture
def media(tmp_path):
    folder = tmp_path / "media" / "music"
    folder.mkdir(parents=True)
    data = os.urandom(SIZE)
    (folder / "big.mp3").write_bytes(data)
    return data


def check_file_responses(url, data):
    whole = requests.get(f"{url}/get_music/big.mp3", timeout=30)
    assert whole.status_code == 200 and whole.content == data
    assert int(whole.headers["Content-Length"]) == SIZE
    etag, modified = whole.headers["ETag"], whole.headers["Last-Modified"]
    part = requests.get(f"{url}/get_music/big.mp3", headers={"Range": "bytes=1000-2000999"},
                        timeout=30)
    assert part.status_code == 206 and part.content == data[1000:2001000]
    assert part.headers["Content-Range"] == f"bytes 1000-2000999/{SIZE}"
    tail = requests.get(f"{url}/get_music/big.mp3", headers={"Range": "bytes=-10"}, timeout=30)
    assert tail.status_code == 206 and tail.content == data[-10:]
    assert requests.get(f"{url}/get_music/big.mp3", headers={"If-None-Match": etag},
                        timeout=30).status_code == 304
    assert requests.get(f"{url}/get_music/big.mp3", headers={"If-Modified-Since": modified},
                        timeout=30).status_code == 304
    head = requests.head(f"{url}/get_music/big.mp3", timeout=30)
    assert head.status_code == 200 and head.content == b""
    with requests.Session() as session:  # keep-alive: the next response on the connection is intact
        for _ in range(3):
            got = session.get(f"{url}/get_music/big.mp3", timeout=30).content
            assert hashlib.sha256(got).digest() == hashlib.sha256(data).digest()
            assert session.get(f"{url}/healthz", timeout=30).json()["code"] == 0


def test_python_app_py_serves_files(media, tmp_path):
    server = ServerProcess({"DATA_DIR": tmp_path / "data", "MEDIA_DIR": tmp_path / "media",
                            "RATE_LIMIT": "0"}, log_path=tmp_path / "server.log").start()
    try:
        check_file_responses(server.url, media)
    finally:
        server.stop()


def test_gunicorn_gevent_serves_files(media, tmp_path):
    port = free_port()
    env = dict(os.environ, DATA_DIR=str(tmp_path / "data"), MEDIA_DIR=str(tmp_path / "media"),
               RATE_LIMIT="0", LOG_LEVEL="WARNING")
    env.update(HOST="127.0.0.1", PORT=str(port))
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py",
                             "--graceful-timeout", "2", "app:create_app()"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:  # bound before the worker is ready
                time.sleep(0.2)
        check_file_responses(url, media)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_kernel_sendfile_waits_on_a_full_socket_buffer(tmp_path):
    import gevent
    from gevent import socket as gsocket

    data = os.urandom(2 * 1024 * 1024)
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    writer, reader = gsocket.socketpair()
    writer.setsockopt(gsocket.SOL_SOCKET, gsocket.SO_SNDBUF, 4096)
    received = bytearray()

    def read():
        while len(received) < len(data) - 5:
            received.extend(reader.recv(65536))

    with open(path, "rb") as file:
        reading = gevent.spawn(read)
        sent = kernel_sendfile(writer, file, offset=5)
        reading.join(timeout=30)
        assert sent == len(data) - 5 and bytes(received) == data[5:]
        assert file.tell() == len(data)
    writer.close()
    reader.close()
