"""Cluster benchmark (a script, not a test): ``python bench/cluster.py [--seconds N]``.

P1: ``POST /auto_login`` through nginx on 3 gunicorn gevent processes (the local cluster:
mongoeco, the real Redis, nginx) vs a bare Flask ``POST /hello`` on the same stack (3 gunicorn
gevent processes of ``bench/hello_app.py`` behind the same nginx locations), as a throughput
ratio (target ≥ 0.5×). Load from ``wrk`` (``-c50``, keep-alive; a Python client would be the
bottleneck and pull every ratio towards 1). Both stacks run at once; rounds alternate baseline
and subject; min/median/max of 3 rounds of ``--seconds`` each. The same two stacks are also
measured one process directly (no nginx), to show what the nginx hop costs. Everything is on
127.0.0.1 and stopped at the end.
"""

import argparse
import statistics
import sys
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import machine, spread, wrk  # noqa: E402
from deploy.cluster import Cluster  # noqa: E402


def ratios(subject, baseline):
    return [a / b for a, b in zip(subject, baseline, strict=True)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=3, help="length of each wrk run")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    options = parser.parse_args()
    env = {"RATE_LIMIT": "0", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "LOG_LEVEL": "ERROR",
           "SPEECH_TTS": "fake"}
    print(f"machine: {machine()}")
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
        auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        runs = {
            "nginx": (lambda: wrk(f"{baseline.url}/hello", options.seconds, method="POST"),
                      lambda: wrk(f"{subject.url}/auto_login", options.seconds, method="POST",
                                  headers=auth, body="{}")),
            "direct": (lambda: wrk(f"{baseline.backends[0]}/hello", options.seconds,
                                   method="POST"),
                       lambda: wrk(f"{subject.backends[0]}/auto_login", options.seconds,
                                   method="POST", headers=auth, body="{}")),
        }
        for hello, login in runs.values():  # warm both stacks
            hello(), login()
        rates = {name: ([], []) for name in runs}
        for _ in range(3):
            for name, (hello, login) in runs.items():
                rates[name][0].append(hello())
                rates[name][1].append(login())
        hello, login = rates["nginx"]
        print(f"P1 /auto_login via nginx, 3 processes: {statistics.median(login):.0f} req/s "
              f"(min {min(login):.0f}, max {max(login):.0f})")
        print(f"   bare Flask hello, same stack:      {statistics.median(hello):.0f} req/s "
              f"(min {min(hello):.0f}, max {max(hello):.0f})")
        print(f"   ratio (min / median / max): {spread(ratios(login, hello))}; target >= 0.5")
        hello, login = rates["direct"]
        print(f"   one process, no nginx: /auto_login {statistics.median(login):.0f} req/s, "
              f"hello {statistics.median(hello):.0f} req/s, ratio "
              f"{spread(ratios(login, hello))}")
        print(f"load after the runs: {machine()}")
    finally:
        if baseline is not None:
            baseline.stop()
        subject.stop()


if __name__ == "__main__":
    main()
