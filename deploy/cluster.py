"""A local cluster on loopback: MongoDB wire stand-in, Redis, N gunicorn processes, nginx.

``deploy/local-cluster`` runs ``python -m deploy.cluster`` (see ``--help``); tests use
``Cluster`` directly. Everything binds 127.0.0.1 on free ports:

- MongoDB: ``MONGO_URI`` when given, else mongoeco (``tests/mongo_wire_server.py``, run with the
  Python >= 3.13 in ``MONGOECO_PYTHON`` or ``.venv313/bin/python``);
- Redis: the server at ``--redis-url`` (default ``redis://127.0.0.1:6379/0``) under a dedicated
  key prefix; nothing outside that prefix is touched;
- N processes: ``gunicorn -c deploy/gunicorn.conf.py 'app:create_app()'`` when that file exists,
  else ``gunicorn -k gevent -w 1``, with ``TRUST_PROXY=1``, one shared ``MEDIA_DIR``;
- nginx in the foreground (``daemon off``) with a config in the run folder that includes
  ``deploy/nginx/smarttoy-locations.conf``, the same locations as the production site, and
  ``deploy/nginx/smarttoy-media.conf`` with the cluster's ``MEDIA_DIR``: the processes run with
  ``MEDIA_ACCEL_PREFIX=/_media``, so nginx sends media files (X-Accel-Redirect), unless
  ``MEDIA_BACKEND=gridfs`` is passed in ``env``; and ``smarttoy-media-cache.conf`` (the app's
  X-Accel-Redirect answers kept for a second) on a free port, its cache in the run folder.
"""

import argparse
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
LOCATIONS = ROOT / "deploy" / "nginx" / "smarttoy-locations.conf"
MEDIA_LOCATION = ROOT / "deploy" / "nginx" / "smarttoy-media.conf"
MEDIA_CACHE = ROOT / "deploy" / "nginx" / "smarttoy-media-cache.conf"
ACCEL_PREFIX = "/_media"
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"

NGINX_CONF = """\
worker_processes 1;
pid {run}/nginx.pid;
error_log {run}/nginx-error.log warn;
{user}
events {{ worker_connections 1024; }}
http {{
    log_format upstream '$remote_addr "$request" $status $upstream_addr';
    access_log {run}/nginx-access.log upstream;
    client_body_temp_path {run}/client_body;
    proxy_temp_path {run}/proxy;
    fastcgi_temp_path {run}/fastcgi;
    uwsgi_temp_path {run}/uwsgi;
    scgi_temp_path {run}/scgi;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    upstream smarttoy {{
{servers}
        keepalive 32;
    }}
    upstream smarttoy_sticky {{
        ip_hash;
{servers}
    }}
    include {media_cache};
    server {{
        listen 127.0.0.1:{port};
        include {locations};
        include {media};
    }}
}}
"""


def render_media_cache(text, port, folder):
    """``smarttoy-media-cache.conf`` with its inner server on ``port`` and its cache in
    ``folder`` instead of the production ones."""
    text = text.replace("127.0.0.1:8091", f"127.0.0.1:{port}")
    return re.sub(r"proxy_cache_path\s+\S+", f"proxy_cache_path {folder}", text)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def mongoeco_python():
    python = os.environ.get("MONGOECO_PYTHON") or str(ROOT / ".venv313" / "bin" / "python")
    return python if Path(python).exists() else None


def wait_http(url, proc, timeout):
    """Until ``url`` answers 200; raises if ``proc`` exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}")
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {timeout} s")


class Cluster:
    """``start()`` brings everything up; ``url`` is nginx, ``backends`` the processes' URLs;
    ``kill(i)`` SIGKILLs process i; ``stop()`` ends everything this object started. ``app``:
    the WSGI app gunicorn serves (benchmarks put a bare Flask app on the same stack).
    ``download_cache=False``: downloads ask the app every time (no ``smarttoy-media-cache``)."""

    def __init__(self, processes=3, redis_url="redis://127.0.0.1:6379/0", redis_prefix=None,
                 mongo_uri=None, run_dir=None, env=None, app="app:create_app()",
                 download_cache=True):
        self.count = processes
        self.app = app
        self.download_cache = download_cache
        self.redis_url = redis_url
        self.redis_prefix = redis_prefix or f"cluster:{secrets.token_hex(4)}:"
        self.mongo_uri = mongo_uri
        self.run_dir = Path(run_dir or tempfile.mkdtemp(prefix="smarttoy-cluster-"))
        self.extra_env = {k: str(v) for k, v in (env or {}).items()}
        self.procs, self.apps, self.backends, self.ports = [], [], [], []
        self.url = None
        self.env = None

    def start(self, timeout=60):
        try:
            self._start(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self, timeout):
        self.run_dir.mkdir(parents=True, exist_ok=True)
        if not self.mongo_uri:
            self.mongo_uri = self._start_mongoeco()
        self.env = dict(
            os.environ, MONGO_URI=self.mongo_uri, MONGO_DB="smarttoy",
            REDIS_URL=self.redis_url, REDIS_PREFIX=self.redis_prefix, TRUST_PROXY="1",
            DATA_DIR=str(self.run_dir / "data"), MEDIA_DIR=str(self.run_dir / "media"),
            SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_hex(32),
            HOST="127.0.0.1", LOG_LEVEL=os.environ.get("LOG_LEVEL", "WARNING"),
            MEDIA_BACKEND="local", MEDIA_ACCEL_PREFIX=ACCEL_PREFIX)
        if self.extra_env.get("MEDIA_BACKEND") == "gridfs":
            self.env["MEDIA_ACCEL_PREFIX"] = ""
        self.env.update(self.extra_env)
        for index in range(self.count):
            self._start_process(index)
        for proc, url in zip(self.apps, self.backends, strict=True):
            wait_http(f"{url}/healthz", proc, timeout)
        port = free_port()
        self._start_nginx(port)
        self.url = f"http://127.0.0.1:{port}"
        wait_http(f"{self.url}/healthz", self.procs[-1], timeout)

    def _spawn(self, args, name, **kwargs):
        log = open(self.run_dir / f"{name}.log", "ab")  # noqa: SIM115  (kept by the child)
        proc = subprocess.Popen(args, cwd=ROOT, stdout=kwargs.pop("stdout", log),
                                stderr=subprocess.STDOUT, **kwargs)
        log.close()
        self.procs.append(proc)
        return proc

    def _start_mongoeco(self):
        python = mongoeco_python()
        if python is None:
            raise RuntimeError("no MONGO_URI and no Python with mongoeco (set MONGOECO_PYTHON)")
        proc = self._spawn([python, str(ROOT / "tests" / "mongo_wire_server.py")], "mongo",
                           stdout=subprocess.PIPE, text=True)
        line = proc.stdout.readline()
        proc.stdout.close()
        if not line.startswith("PORT "):
            raise RuntimeError(f"mongoeco did not start: {line!r}")
        return f"mongodb://127.0.0.1:{int(line.split()[1])}/?directConnection=true"

    def _start_process(self, index):
        port = free_port()
        gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
        if GUNICORN_CONF.exists():
            args = [gunicorn, "-c", str(GUNICORN_CONF), self.app]
        else:
            args = [gunicorn, "-k", "gevent", "-w", "1", "-b", f"127.0.0.1:{port}",
                    "--timeout", "30", "--graceful-timeout", "10", self.app]
        self.apps.append(self._spawn(args, f"app{index}", env={**self.env, "PORT": str(port)}))
        self.ports.append(port)
        self.backends.append(f"http://127.0.0.1:{port}")

    def _start_nginx(self, port):
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=2s;"
                            for p in self.ports)
        user = "user root;" if os.geteuid() == 0 else ""
        media = self.run_dir / "smarttoy-media.conf"
        text = re.sub(r"alias\s+[^;]+;", f"alias {self.env['MEDIA_DIR']}/;",
                      MEDIA_LOCATION.read_text())
        media_cache = self.run_dir / "smarttoy-media-cache.conf"
        if self.download_cache:
            media_cache.write_text(render_media_cache(MEDIA_CACHE.read_text(), free_port(),
                                                      self.run_dir / "media-cache"))
        else:
            media_cache.write_text("# downloads ask the app every time\n")
            text = text.replace("http://smarttoy_media_cache", "http://smarttoy")
        media.write_text(text)
        conf = self.run_dir / "nginx.conf"
        conf.write_text(NGINX_CONF.format(run=self.run_dir, user=user, servers=servers,
                                          port=port, locations=LOCATIONS, media=media,
                                          media_cache=media_cache))
        self._spawn([nginx, "-p", str(self.run_dir), "-c", str(conf), "-g", "daemon off;"],
                    "nginx")

    def upstreams(self, path_prefix):
        """Backend indexes that served requests starting with ``path_prefix`` (nginx log)."""
        log = self.run_dir / "nginx-access.log"
        text = log.read_text() if log.exists() else ""
        served = []
        for line in text.splitlines():
            parts = line.split('"')
            if len(parts) >= 3 and parts[1].split(" ")[1:2] and \
                    parts[1].split(" ")[1].startswith(path_prefix):
                for address in parts[2].split()[1:]:
                    port = address.strip(",").rsplit(":", 1)[-1]
                    if port.isdigit() and int(port) in self.ports:
                        served.append(self.ports.index(int(port)))
        return served

    def kill(self, index):
        """SIGKILL app process ``index`` (no chance to clean up)."""
        proc = self.apps[index]
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)

    def stop(self):
        """Stop nginx, the app processes and mongoeco (newest first), then delete the Redis
        keys under this cluster's prefix."""
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
        for proc in reversed(self.procs):
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        self.procs, self.apps = [], []
        self._forget_redis_keys()

    def _forget_redis_keys(self):
        import redis

        try:
            client = redis.Redis.from_url(self.redis_url, socket_timeout=2)
            keys = list(client.scan_iter(f"{self.redis_prefix}*", count=1000))
            if keys:
                client.delete(*keys)
            client.close()
        except redis.RedisError:
            pass


def main(argv=None):
    parser = argparse.ArgumentParser(prog="deploy/local-cluster", description=__doc__.split(
        "\n\n")[0])
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL",
                                                              "redis://127.0.0.1:6379/0"))
    parser.add_argument("--redis-prefix", default=os.environ.get("CLUSTER_REDIS_PREFIX",
                                                                 "cluster:"))
    parser.add_argument("--mongo-uri", default=os.environ.get("MONGO_URI"))
    parser.add_argument("--run-dir", help="logs, nginx.conf, media (default: a temp folder)")
    parser.add_argument("--no-download-cache", action="store_true",
                        help="downloads ask the app every time (smarttoy-media-cache.conf left "
                             "out)")
    options = parser.parse_args(argv)
    cluster = Cluster(options.processes, options.redis_url, options.redis_prefix,
                      options.mongo_uri, options.run_dir,
                      download_cache=not options.no_download_cache)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        cluster.start()
        print(f"nginx: {cluster.url}", flush=True)
        for url in cluster.backends:
            print(f"process: {url}", flush=True)
        print(f"logs and config: {cluster.run_dir}  (Ctrl-C stops everything)", flush=True)
        while all(proc.poll() is None for proc in cluster.procs):
            time.sleep(0.5)
        print("a process exited; stopping the cluster", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
