"""Event-loop health under a burst of uploads (a script, not a test):
``python bench/upload_load.py [--uploads 64] [--rounds 3]``.

Against a real ``python app.py`` (gevent, embedded store) on 127.0.0.1, each round measures
``/healthz`` latency idle (the baseline) and then while ``--uploads`` 10 s AMR-NB recordings are
uploaded at once (the subject), alternating, for two servers: conversions capped
(``MAX_CONVERSIONS`` default, twice the CPU count) and uncapped (``MAX_CONVERSIONS`` = uploads).
Prints min/median/max over the rounds of the /healthz p99 and of the burst's wall time, and the
upload answers (200, or 503 when a turn did not come within ``CONVERSION_WAIT``).
Every loop is bounded and every process started is stopped.
"""

import argparse
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from services.audio import bundled_ffmpeg  # noqa: E402
from tests.server_process import ServerProcess  # noqa: E402

TIMEOUT = 60


def p99_ms(samples):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))] * 1000


def spread(values, unit):
    return (f"min {min(values):.1f} / median {statistics.median(values):.1f} / "
            f"max {max(values):.1f} {unit}")


def make_amr(folder):
    """A 10 s AMR-NB tone, made by the bundled ffmpeg (it has the AMR-NB encoder)."""
    path = folder / "ten-seconds.amr"
    subprocess.run([bundled_ffmpeg(), "-nostdin", "-v", "error", "-f", "lavfi", "-i",
                    "sine=frequency=330:duration=10", "-ar", "8000", "-ac", "1",
                    "-c:a", "libopencore_amrnb", "-b:a", "12.2k", "-y", str(path)],
                   check=True, timeout=TIMEOUT)
    return path.read_bytes()


def start_server(folder, max_conversions):
    env = {"DATA_DIR": folder / "data", "MEDIA_DIR": folder / "media", "MONGO_URI": "",
           "REDIS_URL": "", "SPEECH_TTS": "fake", "RATE_LIMIT": "0",
           "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "MAX_CONVERSIONS": max_conversions}
    full_env = {**os.environ, **{k: str(v) for k, v in env.items()}}
    key = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "devices", "create"],
                         cwd=ROOT, env=full_env, capture_output=True, check=True,
                         timeout=TIMEOUT).stdout.split()[0].decode()
    server = ServerProcess(env, log_path=folder / "server.log").start(timeout=TIMEOUT)
    name = f"b{uuid.uuid4().hex[:8]}"
    server.post("/reg", username=name, password="secret123", nickname="Mum", gender="1")
    token = server.post("/login", username=name, password="secret123")[1]["data"]["token"]
    server.post("/bind_toy", token, toy_name="Teddy", baby_name="Lily", device_key=key)
    toy_id = requests.post(f"{server.url}/open_toy", data={"device_key": key},
                           timeout=TIMEOUT).json()["toy_id"]
    return server, token, toy_id


def healthz_idle(server, count=50):
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        requests.get(f"{server.url}/healthz", timeout=TIMEOUT).raise_for_status()
        samples.append(time.perf_counter() - started)
    return samples


def burst(url, token, toy_id, data, uploads, results):
    """In a child process (so its threads do not slow the measuring client): ``uploads``
    uploads at once; puts ``(wall seconds, [statuses])`` on ``results``."""
    statuses = []

    def upload():
        try:
            response = requests.post(f"{url}/app_uploader", timeout=TIMEOUT,
                                     headers={"Authorization": f"Bearer {token}"},
                                     data={"to_user": toy_id},
                                     files={"reco_file": ("voice.amr", data)})
            statuses.append(response.status_code)
        except requests.RequestException as exc:
            statuses.append(type(exc).__name__)

    threads = [threading.Thread(target=upload, daemon=True) for _ in range(uploads)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    results.put((time.perf_counter() - started, statuses))


def healthz_under_burst(server, token, toy_id, data, uploads):
    results = multiprocessing.Queue()
    child = multiprocessing.Process(target=burst, args=(server.url, token, toy_id, data,
                                                        uploads, results))
    child.start()
    samples = []
    started = time.perf_counter()
    while child.is_alive() and results.empty() and time.perf_counter() - started < 2 * TIMEOUT:
        begun = time.perf_counter()
        requests.get(f"{server.url}/healthz", timeout=TIMEOUT).raise_for_status()
        samples.append(time.perf_counter() - begun)
        time.sleep(0.01)
    wall, statuses = results.get(timeout=2 * TIMEOUT)
    child.join(TIMEOUT)
    return samples, wall, statuses


def run(label, max_conversions, data, uploads, rounds):
    with tempfile.TemporaryDirectory(prefix="bench-upload-") as tmp:
        server, token, toy_id = start_server(Path(tmp), max_conversions)
        try:
            idle, busy, walls, answers = [], [], [], {}
            for _ in range(rounds):  # alternate baseline and subject
                idle.append(p99_ms(healthz_idle(server)))
                samples, wall, statuses = healthz_under_burst(server, token, toy_id, data,
                                                              uploads)
                busy.append(p99_ms(samples))
                walls.append(wall)
                print(f"  round: idle p99 {idle[-1]:.1f} ms, burst p99 {busy[-1]:.1f} ms "
                      f"({len(samples)} probes), wall {wall:.1f} s", flush=True)
                for status in statuses:
                    answers[status] = answers.get(status, 0) + 1
        finally:
            server.stop()
    print(f"{label} (MAX_CONVERSIONS={max_conversions}):")
    print(f"  /healthz p99 idle:            {spread(idle, 'ms')}")
    print(f"  /healthz p99 during {uploads} uploads: {spread(busy, 'ms')} "
          f"= {statistics.median(busy) / statistics.median(idle):.1f}x idle")
    print(f"  burst wall time:              {spread(walls, 's')}; answers {answers}")
    return statistics.median(busy)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-amr-") as tmp:
        data = make_amr(Path(tmp))
    print(f"{args.uploads} concurrent uploads of a {len(data) / 1024:.1f} KiB 10 s AMR-NB, "
          f"{args.rounds} rounds, {os.cpu_count()} CPUs")
    capped = run("capped", 2 * (os.cpu_count() or 1), data, args.uploads, args.rounds)
    uncapped = run("uncapped", args.uploads, data, args.uploads, args.rounds)
    print(f"/healthz p99 under the burst, capped vs uncapped: {capped / uncapped:.2f}x")


if __name__ == "__main__":
    main()
