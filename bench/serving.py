"""Serving benchmark (a script, not a test): ``python bench/serving.py [--seconds N]``.

Real HTTP with wrk (``-c50``) against real server processes, never the test client. For each
server kind (``python app.py`` and gunicorn with ``deploy/gunicorn.conf.py``) it alternates
baseline and subject for 3 rounds and prints the ratio subject/baseline of requests per second as
min / median / max (1.0 = as fast as the baseline):

- ``/auto_login``, ``/content_list`` (catalogue of 50 and of 500 songs, 50 a page) and
  ``/toy_list`` vs a 5-line Flask hello (``bench/hello.py``) on the same server kind;
- a 1 MB ``/get_music`` vs nginx serving the same file (one worker, sendfile on);
- the median latency of one keep-alive connection making sequential requests (ms), app vs
  hello, and the app's RSS after the runs.

Needs ``wrk`` and ``nginx`` (``apt-get install wrk nginx-light``). Every load run is bounded by
``--seconds``; every process started is stopped.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import (  # noqa: E402
    KINDS,
    Nginx,
    Server,
    bench_env,
    keepalive_ms,
    machine,
    spread,
    wrk,
)

MB = 1024 * 1024


def prepare(folder, songs):
    """A data folder with a parent (token), a bound toy, ``songs`` catalogue entries and a
    1 MB song file; returns ``{token, music}``. Set up in-process; measured over HTTP only."""
    os.environ.update(bench_env(folder))
    from app import create_app

    app = create_app({"ASYNC_MODE": "threading"})
    services = app.extensions["smarttoy"]
    client = app.test_client()
    client.post("/reg", json={"username": "bench", "password": "secret123",
                              "nickname": "Bench", "gender": "1"})
    token = client.post("/login", json={"username": "bench", "password": "secret123"}
                        ).get_json()["data"]["token"]
    key = services.devices.create(1)[0]
    headers = {"Authorization": f"Bearer {token}"}
    client.post("/bind_toy", headers=headers, json={"toy_name": "T", "baby_name": "B",
                                                     "device_key": key})
    services.media.put("music", "one-mb.mp3", os.urandom(MB))
    music = services.media.open("music", "one-mb.mp3").path.parent
    for i in range(songs):
        services.store.content.insert({"title": f"Song {i}", "music": "one-mb.mp3",
                                       "cover": "star.jpg", "create_time": time.time() + i,
                                       "duration": 60})
    services.store.mongo_client.close()
    return {"token": token, "music": music}


def measure_kind(kind, folders, seconds):
    small, large = folders["small"], folders["large"]
    auth = {"Authorization": f"Bearer {small['token']}", "Content-Type": "application/json"}
    ratios = {name: [] for name in ("auto_login", "content_list 50", "content_list 500",
                                    "toy_list", "get_music 1 MB vs nginx")}
    with Server(kind, bench_env(small["folder"] / "hello"), target="hello") as hello, \
            Server(kind, bench_env(small["folder"])) as app_small, \
            Server(kind, bench_env(large["folder"])) as app_large, \
            Nginx(small["folder"] / "nginx", small["music"]) as nginx:
        subjects = {
            "auto_login": lambda: wrk(f"{app_small.url}/auto_login", seconds, method="POST",
                                      headers=auth, body="{}"),
            "content_list 50": lambda: wrk(f"{app_small.url}/content_list", seconds),
            "content_list 500": lambda: wrk(f"{app_large.url}/content_list", seconds),
            "toy_list": lambda: wrk(f"{app_small.url}/toy_list", seconds, method="POST",
                                    headers=auth, body="{}"),
        }
        for _ in range(3):
            for name, subject in subjects.items():
                base = wrk(f"{hello.url}/healthz", seconds)
                ratios[name].append(subject() / base)
            base = wrk(f"{nginx.url}/get_music/one-mb.mp3", seconds)
            ratios["get_music 1 MB vs nginx"].append(
                wrk(f"{app_small.url}/get_music/one-mb.mp3", seconds) / base)
        latency = {
            "hello": keepalive_ms(hello.url, "/healthz"),
            "auto_login": keepalive_ms(app_small.url, "/auto_login", method="POST",
                                       headers=auth, body="{}"),
        }
        rss = app_small.rss_mb()
    print(f"\n{kind}: requests/s ratio to the baseline, min / median / max of 3 rounds")
    for name, values in ratios.items():
        base = "nginx" if "nginx" in name else "hello"
        print(f"  {name:<26} {spread(values)}   (vs {base})")
    print(f"  keep-alive, one connection: hello {latency['hello']:.2f} ms, "
          f"/auto_login {latency['auto_login']:.2f} ms (median of 200)")
    print(f"  app RSS after the runs: {rss:.0f} MB")
    return {"ratios": ratios, "latency": latency, "rss_mb": rss}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=3, help="length of each wrk run")
    parser.add_argument("--kinds", nargs="*", default=list(KINDS), choices=KINDS)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="bench-serving-") as tmp:
        os.chmod(tmp, 0o755)  # nginx's worker reads the song file
        folders = {}
        for name, songs in (("small", 50), ("large", 500)):
            folder = Path(tmp) / name
            folders[name] = dict(prepare(folder, songs), folder=folder)
        results = {kind: measure_kind(kind, folders, args.seconds) for kind in args.kinds}
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
