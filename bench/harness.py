"""What the benches share: real server processes on 127.0.0.1, wrk runs, alternated rounds.

Every server is a real process (``python app.py``, gunicorn's gevent worker, or the same two
for ``bench/hello.py``) on a free loopback port; every load run is bounded in time (wrk
``-d``) and every process started is stopped. Nothing here is imported by the server.
"""

import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("app.py", "gunicorn")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_env(folder, **extra):
    """Environment for a server on the embedded store under ``folder``."""
    return {"DATA_DIR": str(folder / "data"), "MEDIA_DIR": str(folder / "media"),
            "RATE_LIMIT": "0", "LOG_LEVEL": "WARNING", "MONGO_URI": "", "REDIS_URL": "",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", **extra}


class Server:
    """``kind`` "app.py" or "gunicorn" (``deploy/gunicorn.conf.py``) serving ``target``
    ("app" or "hello")."""

    def __init__(self, kind, env, target="app"):
        self.kind, self.target, self.port = kind, target, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ, HOST="127.0.0.1", PORT=str(self.port),
                        **{k: str(v) for k, v in env.items()})
        self.proc = None

    def command(self):
        if self.kind == "app.py":
            script = "app.py" if self.target == "app" else "bench/hello.py"
            return [sys.executable, script]
        module = "app:create_app()" if self.target == "app" else "bench.hello:app"
        # The production command (README): one gevent worker, bound to HOST:PORT.
        return [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py",
                "--graceful-timeout", "2", module]

    def start(self, timeout=60):
        self.proc = subprocess.Popen(self.command(), cwd=ROOT, env=self.env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} {self.target} exited with {self.proc.returncode}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.kind} {self.target} did not answer within {timeout}s")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def serving_pid(self):
        """The process that answers requests (gunicorn: its worker)."""
        if self.kind != "gunicorn":
            return self.proc.pid
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        return int(children[0]) if children else self.proc.pid

    def rss_mb(self):
        status = Path(f"/proc/{self.serving_pid()}/status").read_text()
        return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def wrk(url, seconds=3, connections=50, method="GET", headers=None, body=None, threads=1):
    """Requests per second of a ``wrk`` run (bounded by ``seconds``) with ``threads`` client
    threads; non-2xx/3xx counts make it fail, so an error page cannot pass for speed."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    lines = [f'wrk.method = "{method}"']
    for name, value in (headers or {}).items():
        lines.append(f'wrk.headers["{name}"] = "{value}"')
    if body is not None:
        lines.append(f"wrk.body = {body!r}".replace("'", '"'))
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write("\n".join(lines) + "\n")
    try:
        out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "-s",
                              script.name, url], capture_output=True, text=True,
                             timeout=seconds + 30, check=True).stdout
    finally:
        os.unlink(script.name)
    if "Non-2xx or 3xx responses" in out:
        raise RuntimeError(f"errors under load at {url}:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def keepalive_ms(url, path, requests_count=200, method="GET", headers=None, body=None):
    """Median latency of ``requests_count`` sequential requests on one keep-alive connection."""
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    samples = []
    try:
        for _ in range(requests_count):
            started = time.perf_counter()
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            response.read()
            samples.append(time.perf_counter() - started)
            if response.status >= 400:
                raise RuntimeError(f"{path} answered {response.status}")
    finally:
        conn.close()
    return statistics.median(samples) * 1000


def spread(values):
    """``min / median / max`` of a list of numbers."""
    return f"{min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f}"


def machine():
    """One line naming the machine and its load (the figures depend on both)."""
    load = os.getloadavg()
    model = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return (f"{os.cpu_count()} cores ({model}), load average {load[0]:.1f} / {load[1]:.1f} / "
            f"{load[2]:.1f}")


class Nginx:
    """nginx serving one folder on a free port: one worker, sendfile, keep-alive.

    ``/get_music/<name>``: the file, sent by nginx. ``/accel/<name>``: the same through a
    proxied upstream that is nginx itself answering ``X-Accel-Redirect`` (nginx's own cost of
    the X-Accel-Redirect path, without the app's)."""

    def __init__(self, folder, root):
        self.prefix, self.port = folder, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        upstream = free_port()
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "nginx.conf").write_text(
            "worker_processes 1; user root; pid nginx.pid; error_log error.log;\n"
            "events { worker_connections 1024; }\n"
            "http { access_log off; sendfile on; tcp_nopush on; keepalive_requests 100000;\n"
            f"  upstream accel {{ server 127.0.0.1:{upstream}; keepalive 32; }}\n"
            f"  server {{ listen 127.0.0.1:{self.port};\n"
            f"    location /get_music/ {{ alias {root}/; }}\n"
            f"    location /_media/ {{ internal; alias {root}/; }}\n"
            "    location /accel/ { proxy_pass http://accel; proxy_http_version 1.1;\n"
            '      proxy_set_header Connection ""; } }\n'
            f"  server {{ listen 127.0.0.1:{upstream};\n"
            "    location ~ ^/accel/(.+)$ { add_header X-Accel-Redirect /_media/$1;\n"
            '      return 200 ""; } }\n}\n')
        self.proc = None

    def __enter__(self):
        if shutil.which("nginx") is None:
            raise SystemExit("nginx is needed: apt-get install nginx-light")
        self.proc = subprocess.Popen(["nginx", "-p", str(self.prefix), "-c", "nginx.conf",
                                      "-g", "daemon off;"])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                requests.get(self.url, timeout=1)
                return self
            except requests.RequestException:  # not listening yet
                time.sleep(0.1)
        raise RuntimeError("nginx did not start")

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(timeout=10)
