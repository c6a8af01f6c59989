"""Speech decoding off the event loop: a pool of worker processes running a recogniser.

Decoding is CPU-bound C and Python code; run in the server process it would freeze every other
request (one 30 s clip stalled ``/healthz`` for 10 s). ``RecognizerPool`` keeps up to
``workers`` processes (``python -m services.speech.worker <provider>``, started on first use)
and sends each request's PCM and ``Vocabulary`` (the per-toy language data) to an idle one over
its pipes. The parent only waits on the pipes with ``select`` — cooperative under gevent's
monkey-patching, an ordinary blocking wait in a thread otherwise — so the event loop keeps
serving while a worker decodes.

A request waits at most ``timeout`` seconds for an idle worker and then for its answer: a
worker that overruns is killed (and replaced on next use) and the request gets
``UpstreamTimeout`` (504); a worker that dies or fails gets ``Upstream`` (502). Workers exit
when their stdin closes, so they never outlive the server, even after ``kill -9``.
"""

import logging
import os
import pickle
import queue
import select
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

from services.errors import Upstream, UpstreamTimeout

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
HEADER = struct.Struct(">I")
CHUNK = 65536


class WorkerFailed(Exception):
    """A worker died, answered garbage, or reported an error."""


class WorkerTimeout(WorkerFailed):
    """A worker did not answer before the deadline."""


class _Worker:
    """One ``services.speech.worker`` process and its two pipes."""

    def __init__(self, provider):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "services.speech.worker", provider], cwd=ROOT,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
        self._out, self._in = self.proc.stdin.fileno(), self.proc.stdout.fileno()
        os.set_blocking(self._out, False)
        os.set_blocking(self._in, False)

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def call(self, request, deadline):
        """Send ``request`` (picklable), return the worker's answer; raises ``WorkerFailed``."""
        data = pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)
        self._write(HEADER.pack(len(data)) + data, deadline)
        (size,) = HEADER.unpack(self._read(HEADER.size, deadline))
        status, value = pickle.loads(self._read(size, deadline))
        if status != "ok":
            raise WorkerFailed(value)
        return value

    def _write(self, data, deadline):
        view = memoryview(data)
        while view:
            _wait_ready(self._out, True, deadline)
            try:
                view = view[os.write(self._out, view[:CHUNK]):]
            except BlockingIOError:
                continue
            except OSError as exc:  # broken pipe: the worker is gone
                raise WorkerFailed(f"worker {self.pid} is gone: {exc}") from exc

    def _read(self, size, deadline):
        parts, missing = [], size
        while missing:
            _wait_ready(self._in, False, deadline)
            try:
                chunk = os.read(self._in, min(missing, CHUNK))
            except BlockingIOError:
                continue
            if not chunk:
                raise WorkerFailed(f"worker {self.pid} exited ({self.proc.poll()})")
            parts.append(chunk)
            missing -= len(chunk)
        return b"".join(parts)

    def kill(self):
        """End the process now (and reap it)."""
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            log.warning("speech worker %s did not exit", self.pid)


def _wait_ready(fd, writing, deadline):
    """Wait until ``fd`` is readable (or writable); ``WorkerTimeout`` past ``deadline``.

    ``poll``, not ``select``: with a thousand toy sockets open the pipe's descriptor is above
    select's limit of 1024 ("filedescriptor out of range"). Under gevent's monkey patching
    ``select.poll`` waits for this greenlet only."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise WorkerTimeout("no answer in time")
    poller = select.poll()
    poller.register(fd, select.POLLOUT if writing else select.POLLIN)
    if not poller.poll(remaining * 1000):
        raise WorkerTimeout("no answer in time")


class RecognizerPool:
    """A recogniser (``recognize(pcm, vocabulary)``) whose decoding runs in ``workers``
    processes of ``provider`` (a ``SPEECH_ASR`` name, see ``asr.build_provider``)."""

    def __init__(self, provider, workers=2, timeout=30.0):
        self.provider, self.size, self.timeout = provider, max(1, int(workers)), float(timeout)
        self.name = f"{provider} ({self.size} worker processes)"
        self._slots = queue.Queue()
        for _ in range(self.size):
            self._slots.put(None)  # None: not started yet
        self._started = []
        self._lock = threading.Lock()

    def recognize(self, pcm, vocabulary):
        """The ``Recognition`` of ``pcm`` by an idle worker (waiting for one if all are busy).

        Raises ``UpstreamTimeout`` (no worker free or no answer within ``timeout``) or
        ``Upstream`` (the worker failed).
        """
        deadline = time.monotonic() + self.timeout
        try:
            worker = self._slots.get(timeout=self.timeout)
        except queue.Empty:
            raise UpstreamTimeout("speech recognition is busy, try again shortly") from None
        try:
            if worker is None or not worker.alive():
                worker = self._start()
            return worker.call(("recognize", pcm, vocabulary), deadline)
        except WorkerTimeout:
            log.warning("speech worker %s overran %.0f s: killed", worker.pid, self.timeout)
            worker.kill()
            worker = None
            raise UpstreamTimeout("speech recognition timed out") from None
        except WorkerFailed as exc:
            log.error("speech worker failed: %s", exc)
            if worker is not None:
                worker.kill()
            worker = None
            raise Upstream("speech recognition failed") from None
        finally:
            self._slots.put(worker)

    def prepare(self, vocabulary):
        """Nothing ahead of time: each worker builds a vocabulary's model on first use."""

    def pids(self):
        """Process ids of the running workers."""
        with self._lock:
            return [w.pid for w in self._started if w.alive()]

    def close(self):
        """Stop every worker (the pool starts new ones if used again)."""
        with self._lock:
            workers, self._started = self._started, []
        for worker in workers:
            worker.kill()

    def _start(self):
        worker = _Worker(self.provider)
        with self._lock:
            self._started = [w for w in self._started if w.alive()] + [worker]
        log.info("speech worker %s started (%s)", worker.pid, self.provider)
        return worker
