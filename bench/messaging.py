"""Voice-messaging benchmarks (a script, not a test): ``python bench/messaging.py [--quick]``.

Prints, in one run, each figure next to a baseline measured in the same run:

1. Upload of a 10 s AMR-NB recording, request → converted, stored, counted and pushed to the
   toy's socket, as a ratio to a bare ffmpeg conversion of the same file (target ≤ 1.5×).
2. History cost moved to ``bench/history.py`` (real HTTP against a server process, cold and
   warm, with RSS).
3. Push latency p50/p99 with 1,000 Socket.IO clients connected to one ``python app.py`` gevent
   process (target p99 ≤ 50 ms), from ``/push_music`` sent to ``music`` received.

Everything runs on 127.0.0.1; every loop is bounded and every process started is stopped.
"""

import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from services.audio import bundled_ffmpeg  # noqa: E402
from services.speech.tts import FakeTTS  # noqa: E402


def median_ms(samples):
    return statistics.median(samples) * 1000


def percentile_ms(samples, pct):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))] * 1000


def timed(fn, repeat):
    """``repeat`` wall-clock durations of ``fn()`` in seconds."""
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return out


def settings(folder, **extra):
    """Settings for an in-process app on the embedded store under ``folder``."""
    return {"DATA_DIR": str(folder / "data"), "MEDIA_DIR": str(folder / "media"),
            "MONGO_URI": None, "REDIS_URL": None, "RATE_LIMIT": "0", "LOG_LEVEL": "ERROR",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "ASYNC_MODE": "threading", **extra}


class Client:
    """Flask test-client calls as the app and the toy make them."""

    def __init__(self, app):
        self.app = app
        self.http = app.test_client()
        self.services = app.extensions["smarttoy"]

    def post(self, path, token=None, files=None, **fields):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if files:
            response = self.http.post(path, data=dict(fields, **files), headers=headers,
                                      content_type="multipart/form-data")
        else:
            response = self.http.post(path, json=fields, headers=headers)
        assert response.status_code == 200, (path, response.status_code, response.data[:300])
        return response.get_json()

    def family(self):
        """A parent and their toy: ``(parent_id, parent_token, toy_id, toy_token, chat_id)``."""
        name = f"bench{time.monotonic_ns()}"
        self.post("/reg", username=name, password="secret123", nickname="Dad", gender="2")
        user = self.post("/login", username=name, password="secret123")["data"]
        key = self.services.devices.create(1)[0]
        self.post("/bind_toy", user["token"], toy_name="Teddy", baby_name="Lily", remark="Dad",
                  device_key=key)
        toy = self.post("/open_toy", device_key=key)
        friends = self.post("/friend_list", user["token"])["data"]
        chat_id = next(f["friend_chat"] for f in friends if f["friend_id"] == toy["toy_id"])
        return user["_id"], user["token"], toy["toy_id"], toy["token"], chat_id


# 1. Upload vs bare ffmpeg -------------------------------------------------------------------

def bench_upload(folder, repeat):
    amr = folder / "ten-seconds.amr"  # made by the bundled ffmpeg: it has an AMR-NB encoder
    subprocess.run([bundled_ffmpeg(), "-nostdin", "-v", "error", "-f", "lavfi", "-i",
                    "sine=frequency=330:duration=10", "-ar", "8000", "-ac", "1",
                    "-c:a", "libopencore_amrnb", "-b:a", "12.2k", "-y", str(amr)],
                   check=True, timeout=60)
    data = amr.read_bytes()
    bare_out = folder / "bare.mp3"
    app = create_app(settings(folder / "upload"), tts=FakeTTS())
    # The same binary and encoding the converter uses (mono, 22.05 kHz, 40 kbit/s mp3).
    bare = [app.extensions["smarttoy"].audio.ffmpeg, "-nostdin", "-v", "error", "-i", str(amr),
            "-ac", "1", "-ar", "22050", "-c:a", "libmp3lame", "-b:a", "40k", "-y", str(bare_out)]
    client = Client(app)
    parent_id, parent, toy_id, toy, _ = client.family()
    socket = app.extensions["socketio"].test_client(app, auth={"token": toy})

    def upload():
        body = client.post("/app_uploader", parent, to_user=toy_id,
                           files={"reco_file": (io.BytesIO(data), "voice.amr")})
        events = [e for e in socket.get_received() if e["name"] == "chat"]
        assert events and events[-1]["args"][0]["chat"] == body["data"]["filename"]

    upload()  # warm-up: imports, first connection, folders
    baseline, uploads = [], []
    for _ in range(repeat):  # interleaved, so load from other processes hits both alike
        baseline += timed(lambda: subprocess.run(bare, check=True, timeout=60), 1)
        uploads += timed(upload, 1)
    ratio = statistics.median(uploads) / statistics.median(baseline)
    print(f"1. upload of a {len(data) / 1024:.1f} KiB 10 s AMR-NB, request -> stored + pushed: "
          f"median {median_ms(uploads):.1f} ms vs bare ffmpeg {median_ms(baseline):.1f} ms "
          f"= {ratio:.2f}x (target <= 1.5x) [{repeat} runs each]")
    return ratio


def bench_push(folder, sockets, pushes):
    data_dir = folder / "push"
    app = create_app(settings(data_dir))
    client = Client(app)
    family = client.family()
    catalogue = folder / "Twinkle.mp3"
    catalogue.write_bytes(b"ID3 song")
    music = client.services.content.add("Twinkle", catalogue)["music"]
    client.services.store.mongo_client.close()
    port = _free_port()
    env = dict(os.environ, HOST="127.0.0.1", PORT=str(port), DATA_DIR=str(data_dir / "data"),
               MEDIA_DIR=str(data_dir / "media"), RATE_LIMIT="0", LOG_LEVEL="ERROR")
    env.pop("REDIS_URL", None)
    env.pop("MONGO_URI", None)
    server = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_healthy(port)
        job = {"url": f"http://127.0.0.1:{port}", "sockets": sockets, "pushes": pushes,
               "parent": family[1], "toy_id": family[2], "toy": family[3], "music": music}
        proc = subprocess.run([sys.executable, str(Path(__file__).with_name("push_clients.py"))],
                              input=json.dumps(job), capture_output=True, text=True,
                              timeout=600, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"push clients failed: {proc.stderr[-2000:]}")
        result = json.loads(proc.stdout)
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
    latencies = result["latencies"]
    print(f"3. push with {result['connected']} Socket.IO clients on one gevent process: "
          f"p50 {percentile_ms(latencies, 50):.1f} ms, p99 {percentile_ms(latencies, 99):.1f} ms "
          f"(target p99 <= 50 ms) over {len(latencies)} pushes; "
          f"connecting took {result['connect_seconds']:.1f} s")
    return percentile_ms(latencies, 99)


def _free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(port, timeout=30):
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smaller runs (10k history, 200 sockets) to try the script")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="bench-messaging-"))
    try:
        bench_upload(folder, repeat=5 if args.quick else 15)
        bench_push(folder, sockets=200 if args.quick else 1000,
                   pushes=50 if args.quick else 300)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
