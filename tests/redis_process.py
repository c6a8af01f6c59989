"""A private ``redis-server`` on an ephemeral loopback port, for tests that kill, pause or flush
Redis (the shared server at 6379 is never touched)."""

import shutil
import signal
import subprocess
import time

import redis

from tests.server_process import free_port

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


class RedisProcess:
    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = None

    def start(self, timeout=10):
        """Start (or restart, on the same port, empty) and wait until it answers PING."""
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--protected-mode", "yes"],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        client = self.client()
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                try:
                    client.ping()
                    return self
                except redis.exceptions.ConnectionError:
                    time.sleep(0.05)
        finally:
            client.close()
        self.kill()
        raise RuntimeError("redis-server did not start")

    def client(self):
        return redis.Redis.from_url(self.url, socket_timeout=5, socket_connect_timeout=2)

    def pause(self):
        """SIGSTOP: connections stay open, nothing answers (a hung Redis)."""
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self):
        self.proc.send_signal(signal.SIGCONT)

    def flush(self):
        client = self.client()
        try:
            client.flushall()  # our own server: nobody else's keys
        finally:
            client.close()

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait(10)

    stop = kill
