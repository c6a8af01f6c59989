"""Start the real entry points (``python app.py``, gunicorn with ``deploy/gunicorn.conf.py``,
``flask --app app ...``) as processes with a chosen ``.env`` and nothing else inherited that
could change their settings; and look at a server's own socket options."""

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PYTHON_APP = [sys.executable, "app.py"]
GUNICORN = [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "app:create_app()"]
FLASK = [str(BIN / "flask"), "--app", "app"]
SETTINGS = ("HOST", "PORT", "DATA_DIR", "MEDIA_DIR", "APP_ENV", "SECRET_KEY", "MONGO_URI",
            "REDIS_URL", "LOG_LEVEL", "RATE_LIMIT", "ENV_FILE", "FLASK_APP", "MAX_CONNECTIONS",
            "HTTP_HEADER_TIMEOUT", "HTTP_IDLE_TIMEOUT")
SYS_PIDFD_GETFD = 438  # same number on x86-64 and arm64


def write_env_file(path, **values):
    path.write_text("".join(f"{name}={value}\n" for name, value in values.items()))
    return path


def process_env(env_file, **extra):
    """The test's environment without any setting of ours, plus ``ENV_FILE`` and ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    env["ENV_FILE"] = str(env_file)
    env["FLASK_SKIP_DOTENV"] = "1"  # flask's own loading would read a developer's ./.env first
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run(args, env, timeout=120):
    """Run a command to completion; ``(returncode, combined output)``."""
    done = subprocess.run(args, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=timeout, text=True)
    return done.returncode, done.stdout


class Server:
    """A server process whose output goes to ``log``; ``url`` answers once ``ready``."""

    def __init__(self, args, env, log, port):
        self.log, self.port = log, port
        self.url = f"http://127.0.0.1:{port}"
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out,
                                         stderr=subprocess.STDOUT)

    @property
    def output(self):
        return Path(self.log).read_text(errors="replace")

    def ready(self, timeout=90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"exited with {self.proc.returncode}:\n{self.output}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                time.sleep(0.2)
        raise AssertionError(f"not ready in {timeout} s:\n{self.output}")

    def stop(self, signum=signal.SIGINT, timeout=30):
        """Send ``signum`` and return the exit code (killed if it does not stop)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signum)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return self.proc.returncode


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children(pid):
    """Pids whose parent is ``pid`` (gunicorn's workers)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def server_side_option(pid, client, level, option):
    """``getsockopt`` on the socket process ``pid`` accepted for our ``client`` socket, read
    through a duplicate of the server's descriptor (pidfd_getfd). Skips where not allowed."""
    if not hasattr(os, "pidfd_open"):
        pytest.skip("needs Linux pidfd_open")
    libc = ctypes.CDLL(None, use_errno=True)
    ours = client.getsockname()
    pidfd = os.pidfd_open(pid)
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if not os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:"):
                    continue
            except OSError:
                continue
            dup = libc.syscall(SYS_PIDFD_GETFD, pidfd, int(fd), 0)
            if dup < 0:
                pytest.skip(f"pidfd_getfd not allowed here (errno {ctypes.get_errno()})")
            sock = socket.socket(fileno=dup)
            try:
                if sock.type == socket.SOCK_STREAM and sock.getpeername() == ours:
                    return sock.getsockopt(level, option)
            except OSError:
                pass
            finally:
                sock.close()  # our duplicate only
    finally:
        os.close(pidfd)
    raise AssertionError(f"process {pid} has no socket connected to {ours}")
