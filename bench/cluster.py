"""Cluster benchmark (a script, not a test): ``python bench/cluster.py [--requests N]``.

P1: ``POST /auto_login`` through nginx on 3 gunicorn gevent processes (the local cluster:
mongoeco, the real Redis, nginx) vs a bare Flask ``POST /hello`` on the same stack (3 gunicorn
gevent processes of ``bench/hello_app.py`` behind the same nginx locations), as a throughput
ratio (target ≥ 0.5×). Both stacks run at once; rounds alternate baseline and subject; each
round is ``--requests`` requests from ``--clients`` keep-alive clients; min/median/max of 3.
Everything is on 127.0.0.1 and stopped at the end.
"""

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deploy.cluster import Cluster  # noqa: E402


def throughput(url, path, total, clients, headers=None):
    """Requests per second for ``total`` POSTs of ``path`` spread over ``clients`` threads."""
    per_client = total // clients
    failures = []

    def run():
        with requests.Session() as session:
            for _ in range(per_client):
                response = session.post(url + path, headers=headers, timeout=30)
                if response.status_code != 200:
                    failures.append(response.status_code)

    threads = [threading.Thread(target=run) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} failed requests: {sorted(set(failures))}")
    return per_client * clients / elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--clients", type=int, default=12)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    options = parser.parse_args()
    env = {"RATE_LIMIT": "0", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "LOG_LEVEL": "ERROR",
           "SPEECH_TTS": "fake"}
    subject = Cluster(3, options.redis_url, "bench:cluster:", env=env)
    baseline = None
    try:
        subject.start()
        baseline = Cluster(3, options.redis_url, "bench:hello:", mongo_uri=subject.mongo_uri,
                           env=env, app="bench.hello_app:app").start()
        requests.post(f"{subject.url}/reg", data={"username": "bench", "password": "secret123",
                                                   "nickname": "Bench", "gender": "1"}, timeout=10)
        token = requests.post(f"{subject.url}/login", data={"username": "bench",
                                                             "password": "secret123"},
                              timeout=10).json()["data"]["token"]
        auth = {"Authorization": f"Bearer {token}"}
        throughput(subject.url, "/auto_login", 60, 6, auth)  # warm both stacks
        throughput(baseline.url, "/hello", 60, 6)
        ratios, hello, login = [], [], []
        for _ in range(3):
            hello.append(throughput(baseline.url, "/hello", options.requests, options.clients))
            login.append(throughput(subject.url, "/auto_login", options.requests,
                                    options.clients, auth))
            ratios.append(login[-1] / hello[-1])
        print(f"P1 /auto_login via nginx, 3 processes: {statistics.median(login):.0f} req/s "
              f"(min {min(login):.0f}, max {max(login):.0f})")
        print(f"   bare Flask hello, same stack:      {statistics.median(hello):.0f} req/s "
              f"(min {min(hello):.0f}, max {max(hello):.0f})")
        print(f"   ratio: median {statistics.median(ratios):.2f}x (min {min(ratios):.2f}x, "
              f"max {max(ratios):.2f}x); target >= 0.5x")
    finally:
        if baseline is not None:
            baseline.stop()
        subject.stop()


if __name__ == "__main__":
    main()
