"""Helper process of ``bench/messaging.py`` (part 3): many Socket.IO clients under gevent.

Reads a job as JSON on stdin (``url, sockets, pushes, parent, toy_id, toy, music``), connects
``sockets - 1`` clients as the parent plus one as the toy, then times ``pushes`` sequential
``/push_music`` calls from the request being sent to the toy's client receiving ``music``.
Writes ``{connected, connect_seconds, latencies}`` as JSON on stdout. Bounded: every wait has
a timeout and every client is disconnected at the end.
"""

from gevent import monkey

monkey.patch_all()

import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import gevent  # noqa: E402
import gevent.event  # noqa: E402
import gevent.pool  # noqa: E402
import requests  # noqa: E402
import socketio  # noqa: E402

CONNECT_TIMEOUT = 20


def connect(url, token, on_music=None):
    client = socketio.Client(reconnection=False)
    if on_music is not None:
        client.on("music", on_music)
    client.connect(url, auth={"token": token}, transports=["websocket"],
                   wait_timeout=CONNECT_TIMEOUT)
    return client


def main():
    job = json.load(sys.stdin)
    url = job["url"]
    arrived = {"event": None, "at": 0.0}

    def on_music(_data):
        arrived["at"] = time.perf_counter()
        if arrived["event"] is not None:
            arrived["event"].set()

    started = time.perf_counter()
    pool = gevent.pool.Pool(50)
    background = pool.map(lambda _: connect(url, job["parent"]), range(job["sockets"] - 1))
    toy = connect(url, job["toy"], on_music)
    connect_seconds = time.perf_counter() - started
    clients = [*background, toy]
    latencies = []
    try:
        gevent.sleep(1.0)  # let connection-time events (presence) settle
        http = requests.Session()
        headers = {"Authorization": f"Bearer {job['parent']}"}
        for _ in range(job["pushes"]):
            arrived["event"] = gevent.event.Event()
            sent = time.perf_counter()
            response = http.post(f"{url}/push_music", json={"toy_id": job["toy_id"],
                                                            "music": job["music"]},
                                 headers=headers, timeout=10)
            response.raise_for_status()
            if not arrived["event"].wait(5):
                raise RuntimeError("a push was not received within 5 s")
            latencies.append(arrived["at"] - sent)
    finally:
        connected = sum(1 for c in clients if c.connected)
        gevent.joinall([gevent.spawn(c.disconnect) for c in clients], timeout=30)
    json.dump({"connected": connected, "connect_seconds": connect_seconds,
               "latencies": latencies}, sys.stdout)


if __name__ == "__main__":
    main()
