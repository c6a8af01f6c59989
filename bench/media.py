"""Media serving benchmark (a script, not a test): ``python bench/media.py [--seconds N]``.

A 1 MB ``/get_music`` with wrk (``-t2 -c50``: one client thread spends a core receiving 1 MB
answers, and would be what is measured) through the local cluster's nginx (``deploy.cluster``:
mongoeco, the real Redis, ``--processes`` gunicorn gevent processes per stack), three stacks at
once on one mongoeco:

- P2: ``MEDIA_BACKEND=local`` with ``MEDIA_ACCEL_PREFIX=/_media`` (the app answers with
  ``X-Accel-Redirect``, nginx sends the file) vs nginx serving the same file directly (one
  worker, sendfile), target ≥ 0.8×: as the deployment kit runs it (nginx keeps the app's answer
  for a second, ``deploy/nginx/smarttoy-media-cache.conf``), and with the app asked on every
  request (that file left out);
- the same stack without ``MEDIA_ACCEL_PREFIX`` (gunicorn sends the file with sendfile) vs
  nginx directly;
- ``MEDIA_BACKEND=gridfs`` (the app streams the file from GridFS) vs local with X-Accel-Redirect;
- diagnostic: nginx's own cost of the X-Accel-Redirect path (a proxied upstream that is nginx
  itself answering ``X-Accel-Redirect``, so no app) vs nginx serving the file directly.

Rounds alternate baseline and subjects; min / median / max of 3. Each URL is checked (whole
file and a byte range) before any load. Needs ``wrk`` and ``nginx``; everything runs on
127.0.0.1 and is stopped at the end.
"""

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

import pymongo
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import Nginx, machine, spread, wrk  # noqa: E402
from deploy.cluster import Cluster  # noqa: E402
from services.media import LocalMedia  # noqa: E402
from services.media.grid import GridFSMedia  # noqa: E402

MB = 1024 * 1024
ENV = {"RATE_LIMIT": "0", "LOG_LEVEL": "ERROR", "SPEECH_TTS": "fake"}


def check(url, data):
    """Fail unless ``url`` gives ``data`` whole and one range of it."""
    whole = requests.get(url, timeout=30)
    part = requests.get(url, headers={"Range": "bytes=1000-1999"}, timeout=30)
    if whole.content != data or part.status_code != 206 or part.content != data[1000:2000]:
        raise RuntimeError(f"{url} served the wrong bytes ({whole.status_code}, "
                           f"{part.status_code})")


def start_stacks(tmp, processes, redis_url, data):
    """The three stacks, each with ``data`` stored as music ``one-mb.mp3``."""
    accel = Cluster(processes, redis_url, "bench:media-accel:", run_dir=tmp / "accel",
                    env=ENV).start()
    stacks = {"accel": accel}
    stacks["accel-every"] = Cluster(processes, redis_url, "bench:media-every:",
                                    mongo_uri=accel.mongo_uri, run_dir=tmp / "every", env=ENV,
                                    download_cache=False).start()
    stacks["app"] = Cluster(processes, redis_url, "bench:media-app:", mongo_uri=accel.mongo_uri,
                            run_dir=tmp / "app", env={**ENV, "MEDIA_ACCEL_PREFIX": ""}).start()
    stacks["gridfs"] = Cluster(processes, redis_url, "bench:media-grid:",
                               mongo_uri=accel.mongo_uri, run_dir=tmp / "gridfs",
                               env={**ENV, "MEDIA_BACKEND": "gridfs",
                                    "MONGO_DB": "bench_gridfs"}, download_cache=False).start()
    for name in ("accel", "accel-every", "app"):
        LocalMedia(stacks[name].env["MEDIA_DIR"], ROOT / "static").put("music", "one-mb.mp3",
                                                                       data)
    client = pymongo.MongoClient(accel.mongo_uri)
    try:
        GridFSMedia(client["bench_gridfs"], ROOT / "static", tmp / "work").put(
            "music", "one-mb.mp3", data)
    finally:
        client.close()
    return stacks


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=3, help="length of each wrk run")
    parser.add_argument("--processes", type=int, default=3, help="app processes per stack")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args(argv)
    print(f"machine: {machine()}")
    data = os.urandom(MB)
    stacks = {}
    with tempfile.TemporaryDirectory(prefix="bench-media-") as tmp:
        tmp = Path(tmp)
        os.chmod(tmp, 0o755)  # nginx's worker reads the song files
        try:
            stacks.update(start_stacks(tmp, args.processes, args.redis_url, data))
            (tmp / "direct").mkdir()
            (tmp / "direct" / "one-mb.mp3").write_bytes(data)
            with Nginx(tmp / "nginx", tmp / "direct") as nginx:
                urls = {"nginx": f"{nginx.url}/get_music/one-mb.mp3",
                        "nginx-accel": f"{nginx.url}/accel/one-mb.mp3",
                        **{name: f"{stack.url}/get_music/one-mb.mp3"
                           for name, stack in stacks.items()}}
                for url in urls.values():
                    check(url, data)
                rates = {name: [] for name in urls}
                for _ in range(3):
                    for name, url in urls.items():
                        rates[name].append(wrk(url, args.seconds, threads=2))
        finally:
            for stack in reversed(list(stacks.values())):
                stack.stop()
    report(rates, args)


def report(rates, args):
    def ratios(subject, baseline):
        return [s / b for s, b in zip(rates[subject], rates[baseline], strict=True)]

    print(f"1 MB /get_music, wrk -t2 -c50 {args.seconds} s, {args.processes} gunicorn processes "
          f"per stack behind nginx; requests/s median (min-max) of 3 rounds:")
    names = {"nginx": "nginx alone, sendfile",
             "nginx-accel": "nginx, X-Accel from nginx", "accel": "local + X-Accel, kept 1 s",
             "accel-every": "local + X-Accel, every time",
             "app": "local, gunicorn sendfile", "gridfs": "GridFS (mongoeco)"}
    for name, label in names.items():
        values = rates[name]
        print(f"  {label:<28} {statistics.median(values):8.0f} "
              f"({min(values):.0f}-{max(values):.0f})")
    print(f"P2 X-Accel-Redirect vs nginx alone:  {spread(ratios('accel', 'nginx'))}  "
          f"(min / median / max; target >= 0.8; the app's answer kept 1 s by nginx)")
    print(f"   app asked on every request:        {spread(ratios('accel-every', 'nginx'))}")
    print(f"   gunicorn sendfile vs nginx alone:  {spread(ratios('app', 'nginx'))}")
    print(f"   nginx's own X-Accel path vs alone: {spread(ratios('nginx-accel', 'nginx'))}  "
          f"(no app: the bound of P2 with CPU to spare)")
    print(f"   GridFS vs local + X-Accel (every): {spread(ratios('gridfs', 'accel-every'))}")
    print(f"   GridFS vs local, gunicorn sends:   {spread(ratios('gridfs', 'app'))}")
    print(f"load after the runs: {machine()}")


if __name__ == "__main__":
    main()
