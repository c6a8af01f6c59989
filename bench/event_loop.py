"""Event-loop responsiveness of a real ``python app.py`` (a script, not a test).

    python bench/event_loop.py [--quick] [--push-only] [--no-redis] [--toys N]

1. ``/healthz`` latency p99 while 4 toys send assistant requests non-stop (one each: the
   per-toy in-flight limit) and 16 voice uploads run, against ``/healthz`` on the idle server.
   Goal: p99 <= 100 ms under load.
2. Push latency p99 (``/push_music`` sent → the toy's Socket.IO client got ``music``) over many
   distinct toys, each its own socket (and room; families of one parent and up to 4 toys, the
   owner pushes), while one toy holds the talk button non-stop
   (back-to-back assistant requests), then while it talks and 8 voice uploads run, against the
   same pushes with nobody talking; the server runs with the Redis message queue (its own
   ``redis-server`` on a free port; ``--no-redis``: without), and its RSS per toy socket is
   printed. Goal: p99 <= 50 ms.

Everything goes over real HTTP and Socket.IO on 127.0.0.1 to one ``python app.py`` (gevent,
embedded store, the speech worker pool with the default recogniser); idle (baseline) and loaded
(subject) phases alternate, 3 rounds, and min/median/max of each figure is printed. Every
phase is bounded in time and count; the server and helper processes are stopped at the end.
"""

import sys

if __name__ == "__main__" and "--push-helper" in sys.argv:
    from gevent import monkey

    monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import requests  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TIMEOUT = 60
TOYS_PER_FAMILY = 4  # toys bound to each parent (pushes and uploads come from the owner)
COMMAND = "play twinkle twinkle little star"


def p99_ms(samples):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))] * 1000


def spread(values):
    return f"{min(values):7.1f} / {statistics.median(values):7.1f} / {max(values):7.1f}"


def ratios(subject, baseline):
    return [a / b for a, b in zip(subject, baseline, strict=True)]


class Server:
    """``python app.py`` on a free port over the embedded store in ``folder``, with ``toys``
    bound toys (``self.toys``: ``[(toy_id, token)]``), a parent token and one song."""

    def __init__(self, folder, toys, env=None):
        import socket

        from app import create_app

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        env = {"DATA_DIR": str(folder / "data"), "MEDIA_DIR": str(folder / "media"),
               "RATE_LIMIT": "0", "SPEECH_RATE_LIMIT": "0", "LOG_LEVEL": "WARNING",
               "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", **(env or {})}
        local = create_app(dict(env, REDIS_URL=None, MONGO_URI=None, ASYNC_MODE="threading"))
        services = local.extensions["smarttoy"]
        keys = services.devices.create(toys)
        song = folder / "star.mp3"
        song.write_bytes(b"ID3 song")
        self.music = services.content.add("Twinkle Twinkle Little Star", song)["music"]
        services.store.mongo_client.close()
        self.proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT,
                                     env=dict(os.environ, HOST="127.0.0.1", PORT=str(self.port),
                                              **env),
                                     stdout=subprocess.DEVNULL,
                                     stderr=open(folder / "server.log", "wb"))  # noqa: SIM115
        self.log = folder / "server.log"
        self._wait_healthy()
        self.toys, self.owner, parents = [], {}, []
        for index, key in enumerate(keys):
            if index % TOYS_PER_FAMILY == 0:  # a family: one parent, up to 4 toys
                name = f"bench{len(parents)}"
                self.post("/reg", username=name, password="secret123", nickname="Mum",
                          gender="2")
                parents.append(self.post("/login", username=name, password="secret123")["token"])
            self.post("/bind_toy", parents[-1], toy_name=f"Toy{index}", baby_name="Kid",
                      device_key=key)
            toy = requests.post(f"{self.url}/open_toy", data={"device_key": key},
                                timeout=TIMEOUT).json()
            self.toys.append((toy["toy_id"], toy["token"]))
            self.owner[toy["toy_id"]] = parents[-1]
        self.parent = parents[0]

    def _wait_healthy(self):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                time.sleep(0.2)
        raise RuntimeError("server did not start")

    def post(self, path, token=None, **fields):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = requests.post(self.url + path, data=fields, headers=headers, timeout=TIMEOUT)
        body = response.json()
        assert response.status_code == 200, (path, body)
        return body["data"]

    def ask(self, recording, toy=0):
        """The assistant's answer to ``recording`` from toy number ``toy``."""
        response = requests.post(f"{self.url}/ai_uploader", files={"reco": ("r.wav", recording)},
                                 headers={"Authorization": f"Bearer {self.toys[toy][1]}"},
                                 timeout=TIMEOUT)
        assert response.status_code == 200, response.text
        return response.json()

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


class Load:
    """Background threads sending requests back to back until ``stop()``; counts answers."""

    def __init__(self):
        self.done, self.failed = 0, 0
        self.errors = {}  # what the failed requests got: status code or exception name
        self._stop = threading.Event()
        self._threads = []

    def add(self, send):
        def loop():
            session = requests.Session()
            while not self._stop.is_set():
                try:
                    status = send(session).status_code
                except requests.RequestException as exc:
                    status = type(exc).__name__
                ok = status == 200
                if not ok:
                    self.errors[status] = self.errors.get(status, 0) + 1
                self.done += ok
                self.failed += not ok
        self._threads.append(threading.Thread(target=loop, daemon=True))

    def start(self):
        for thread in self._threads:
            thread.start()
        return self

    def stop(self):
        self._stop.set()
        for thread in self._threads:
            thread.join(TIMEOUT)


def assistant_sender(server, token, recording):
    return lambda s: s.post(f"{server.url}/ai_uploader", headers={"Authorization":
                            f"Bearer {token}"}, files={"reco": ("reco.wav", recording)},
                            timeout=TIMEOUT)


def upload_sender(server, toy_id, recording):
    return lambda s: s.post(f"{server.url}/app_uploader", headers={"Authorization":
                            f"Bearer {server.owner[toy_id]}"}, data={"to_user": toy_id},
                            files={"reco_file": ("voice.amr", recording)}, timeout=TIMEOUT)


def healthz_latencies(server, seconds, gap=0.02):
    """Sequential ``/healthz`` latencies for ``seconds``."""
    session, out = requests.Session(), []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.perf_counter()
        assert session.get(f"{server.url}/healthz", timeout=TIMEOUT).status_code == 200
        out.append(time.perf_counter() - started)
        time.sleep(gap)
    return out


def recordings(folder):
    """(a 3 s spoken command as WAV, a 10 s AMR-NB voice message)."""
    import imageio_ffmpeg  # its ffmpeg has the AMR-NB encoder (a system one may not)

    from services.audio import AudioConverter
    from services.speech.tts import EspeakTTS

    command = EspeakTTS().synthesize_wav(COMMAND, voice="en-us", rate=120)
    converter = AudioConverter()
    pcm = converter.to_pcm_16k_mono(command)
    pcm = (pcm + bytes(32000 * 3))[: 32000 * 3]
    from services.audio.converter import pcm_to_wav

    wav = folder / "long.wav"
    wav.write_bytes(pcm_to_wav(pcm * 4, 16000)[: 44 + 32000 * 10])
    amr = folder / "long.amr"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-v", "error", "-i", str(wav),
                    "-t", "10", "-ar", "8000", "-ac", "1", "-c:a", "libopencore_amrnb",
                    "-b:a", "12.2k", "-y", str(amr)], check=True, timeout=60)
    return pcm_to_wav(pcm, 16000), amr.read_bytes()


PHASES = (("4 assistant requests only", 4, 0), ("16 uploads only", 0, 16),
          ("4 assistant + 16 uploads", 4, 16))


def bench_healthz(folder, rounds, seconds):
    command, voice = recordings(folder)
    server = Server(folder / "healthz", toys=4)
    idle, busy, answered = [], {name: [] for name, _, _ in PHASES}, {}
    try:
        for sender in [assistant_sender(server, token, command) for _, token in server.toys]:
            sender(requests)  # warm: start the workers and build the models
        for _ in range(rounds):
            idle.append(p99_ms(healthz_latencies(server, seconds)))
            for name, assistants, uploads in PHASES:
                load = Load()
                for _, token in server.toys[:assistants]:
                    load.add(assistant_sender(server, token, command))
                for index in range(uploads):
                    load.add(upload_sender(server, server.toys[index % 4][0], voice))
                load.start()
                time.sleep(1.0)  # let the load build up
                busy[name].append(p99_ms(healthz_latencies(server, seconds)))
                load.stop()
                answered.setdefault(name, []).append((load.done, load.failed, load.errors))
    finally:
        server.stop()
    print(f"1. /healthz p99 (ms), min / median / max of {rounds} rounds, {seconds:g} s each "
          f"(goal under load <= 100 ms); load requests (answered, failed, errors) per round")
    print(f"   {'idle server (baseline)':34} {spread(idle)}")
    for name, _, _ in PHASES:
        print(f"   {name:34} {spread(busy[name])}   ratio to idle "
              f"{spread(ratios(busy[name], idle))}   {answered[name]}")


PUSH_PHASES = (("one toy talking non-stop", 1, 0), ("talking + 8 uploads", 1, 8))


def bench_push(folder, rounds, toys, pushes, redis_url=None):
    """Part 2: pushes to many distinct toys (each its own socket and room) while nobody talks
    (baseline), then while one toy talks non-stop, then while it talks and 8 voice uploads
    run; with ``redis_url`` the server runs with the Redis message queue (every emit goes
    through Redis). Prints p99 per phase and the server's RSS per toy socket."""
    command, voice = recordings(folder)
    env = {"REDIS_URL": redis_url, "REDIS_PREFIX": "bench-loop:"} if redis_url else None
    server = Server(folder / "push", toys=toys + 1, env=env)
    talker_token = server.toys[-1][1]
    helper = subprocess.Popen([sys.executable, __file__, "--push-helper"], cwd=ROOT,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    idle, busy = [], {name: [] for name, _, _ in PUSH_PHASES}
    answered = {name: [] for name, _, _ in PUSH_PHASES}
    try:
        assistant_sender(server, talker_token, command)(requests)  # warm the worker
        rss_before = _rss_mb(server.proc.pid)
        helper.stdin.write(json.dumps({"url": server.url, "owner": server.owner,
                                       "music": server.music, "toys": server.toys[:-1]}) + "\n")
        helper.stdin.flush()
        ready = json.loads(helper.stdout.readline())
        rss_after = _rss_mb(server.proc.pid)
        for _ in range(rounds):
            idle.append(p99_ms(_pushes(helper, pushes)))
            for name, talkers, uploads in PUSH_PHASES:
                load = Load()
                for _ in range(talkers):
                    load.add(assistant_sender(server, talker_token, command))
                for index in range(uploads):
                    load.add(upload_sender(server, server.toys[index % toys][0], voice))
                load.start()
                time.sleep(0.5)
                busy[name].append(p99_ms(_pushes(helper, pushes)))
                load.stop()
                answered[name].append((load.done, load.failed, load.errors))
    finally:
        helper.stdin.close()
        try:
            helper.wait(30)
        except subprocess.TimeoutExpired:
            helper.kill()
        server.stop()
        if any(errors for runs in answered.values() for _, _, errors in runs):
            lines = server.log.read_text(errors="replace").splitlines()
            first = next((i for i, line in enumerate(lines) if "Traceback" in line), 0)
            print(f"   server log of the failed requests, from its first traceback "
                  f"({len(lines)} lines):")
            print("   " + "\n   ".join(lines[max(0, first - 3):first + 60]))
    queue = "Redis message queue on" if redis_url else "no message queue (one process)"
    print(f"2. push p99 (ms) over {ready['connected']} distinct toy sockets, {queue}, {pushes} "
          f"pushes per phase, min / median / max of {rounds} rounds (goal <= 50 ms)")
    print(f"   {'nobody talking (baseline)':34} {spread(idle)}")
    for name, _, _ in PUSH_PHASES:
        print(f"   {name:34} {spread(busy[name])}   ratio to baseline "
              f"{spread(ratios(busy[name], idle))}   answered, failed, errors: {answered[name]}")
    per_socket = (rss_after - rss_before) * 1024 / max(1, ready["connected"])
    print(f"   server RSS {rss_before:.0f} MB before the toys connected, {rss_after:.0f} MB "
          f"after: {per_socket:.0f} KB per toy socket")


def _rss_mb(pid):
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines()
                    if line.startswith("VmRSS:"))) / 1024


def _pushes(helper, count):
    helper.stdin.write(json.dumps({"pushes": count}) + "\n")
    helper.stdin.flush()
    return json.loads(helper.stdout.readline())["latencies"]


def push_helper():
    """(gevent) Connect one Socket.IO client per toy; on each ``{"pushes": n}`` line, time n
    pushes to toys in turn and answer ``{"latencies": [...]}``."""
    import gevent
    import gevent.event
    import gevent.pool
    import socketio

    job = json.loads(sys.stdin.readline())
    url, waiting = job["url"], {}
    clients = []

    def connect(toy):
        toy_id, token = toy
        client = socketio.Client(reconnection=False)
        client.on("music", lambda _data, t=toy_id: waiting.get(t) and waiting[t].set())
        client.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=20)
        clients.append(client)

    gevent.pool.Pool(50).map(connect, job["toys"])
    print(json.dumps({"connected": len(clients)}), flush=True)
    session = requests.Session()
    turn = 0
    for line in sys.stdin:
        latencies = []
        for _ in range(json.loads(line)["pushes"]):
            toy_id = job["toys"][turn % len(job["toys"])][0]
            turn += 1
            waiting[toy_id] = gevent.event.Event()
            started = time.perf_counter()
            session.post(f"{url}/push_music", data={"toy_id": toy_id, "music": job["music"]},
                         headers={"Authorization": f"Bearer {job['owner'][toy_id]}"},
                         timeout=TIMEOUT)
            if waiting[toy_id].wait(10):
                latencies.append(time.perf_counter() - started)
            gevent.sleep(0.01)
        print(json.dumps({"latencies": latencies}), flush=True)
    for client in clients:
        client.disconnect()


def main():
    if "--push-helper" in sys.argv:
        push_helper()
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter phases, fewer toys")
    parser.add_argument("--push-only", action="store_true", help="part 2 only")
    parser.add_argument("--toys", type=int, default=None,
                        help="toy sockets in part 2 (default 50 with --quick, else 300)")
    parser.add_argument("--no-redis", action="store_true",
                        help="part 2 without the Redis message queue (no redis-server needed)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-loop-"))
    redis = None
    try:
        seconds = 3 if args.quick else 6
        if not args.push_only:
            bench_healthz(folder, 3, seconds)
        if not args.no_redis:
            from tests.redis_process import RedisProcess

            redis = RedisProcess().start()  # its own redis-server on a free port
        toys = args.toys or (50 if args.quick else 300)
        bench_push(folder, 3, toys=toys, pushes=50 if args.quick else 150,
                   redis_url=redis and redis.url)
    finally:
        if redis is not None:
            redis.kill()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
