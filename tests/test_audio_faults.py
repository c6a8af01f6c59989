"""Fault tests for the audio path (issue 9): the media disk full, ffmpeg missing, vanished or
hanging, conversions saturated, and the server killed with ``kill -9`` in the middle of uploads.

Each test prints its figures (requests, faults, losses) in the test output (``pytest -s``)."""

import io
import os
import subprocess
import sys
import threading
import time
import uuid

import pytest
import requests

from services.speech.tts import FakeTTS
from tests.audio_samples import write_tones
from tests.fake_ffmpeg import fake_ffmpeg, hanging_run
from tests.messaging import Family, make_samples
from tests.server_process import ROOT, ServerProcess
from tests.support import Api

DEADLINE = 30.0


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    folder = tmp_path_factory.mktemp("samples")
    write_tones(folder, {"long.mp3": ["-ar", "8000", "-c:a", "libmp3lame", "-b:a", "8k"]}, 10)
    return {**make_samples(folder), "long.mp3": (folder / "long.mp3").read_bytes()}


def upload(api, family, data, filename="voice.amr"):
    """Parent → toy; returns the test-client response (headers included)."""
    return api.client.post("/app_uploader", content_type="multipart/form-data",
                           headers={"Authorization": f"Bearer {family.parent}"},
                           data={"to_user": family.toy_id, "reco_file": (io.BytesIO(data),
                                                                         filename)})


def work_files(folder):
    """Every file under ``folder`` (recursively), as relative paths."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def report(name, **figures):
    print(f"\n[fault] {name}: " + ", ".join(f"{k}={v}" for k, v in figures.items()))


# --- disk full on the media folder ------------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path):
    """A 1 MiB tmpfs (needs root and CAP_SYS_ADMIN)."""
    mount = tmp_path / "small-disk"
    mount.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
                          capture_output=True, timeout=10, check=False)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {proc.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], timeout=10, check=False)


def fill(disk, keep):
    """Fill ``disk`` until about ``keep`` bytes are free; return the filler file."""
    stat = os.statvfs(disk)
    free = stat.f_bavail * stat.f_frsize
    filler = disk / "filler.bin"
    with open(filler, "wb") as out:
        out.write(b"\0" * max(0, free - keep))
    return filler


@pytest.mark.parametrize("case, sample, spare", [
    ("while spooling the upload", "pcm.wav", None),  # 8 KiB free: the 88 KB upload cannot land
    ("while ffmpeg writes the mp3", "long.mp3", 16 * 1024),  # 10 KB in, 50 KB out: no room
])
def test_full_media_disk_is_507_and_leaves_nothing(make_app, small_disk, samples, case, sample,
                                                   spare):
    api = Api(make_app({"MEDIA_DIR": str(small_disk)}, tts=FakeTTS()))
    family = Family(api)
    filler = fill(small_disk, 8 * 1024 if spare is None else len(samples[sample]) + spare)
    before = work_files(small_disk)
    answers = [upload(api, family, samples[sample], sample) for _ in range(3)]
    for response in answers:
        body = response.get_json()
        assert response.status_code == 507 and body["code"] == 507, body
        assert "disk space" in body["msg"] and "retry" in body["msg"]
        assert int(response.headers["Retry-After"]) >= 1
    assert work_files(small_disk) == before and "filler.bin" in before
    assert api.services.store.db["messages"].count_documents({}) == 0
    assert api.services.unread.counts(family.toy_id) == {}
    filler.unlink()
    retried = upload(api, family, samples[sample], sample)
    assert retried.status_code == 200, retried.get_json()
    assert api.services.unread.counts(family.toy_id) == {family.parent_id: 1}
    report(f"disk full {case}", requests=len(answers) + 1, faults=len(answers),
           answered_507=len(answers), files_left=0, stored_after_space_freed=1, lost=0)


# --- ffmpeg missing or vanished ----------------------------------------------------------------

def test_missing_ffmpeg_falls_back_and_a_vanished_one_is_503(make_app, tmp_path, samples,
                                                             caplog, monkeypatch):
    from services.audio import find_ffmpeg

    find_ffmpeg.cache_clear()
    try:
        missing = str(tmp_path / "no-such-ffmpeg")
        api = Api(make_app({"FFMPEG_BINARY": missing}, tts=FakeTTS()))
        family = Family(api)
        assert upload(api, family, samples["amr-nb.amr"]).status_code == 200
        assert f"ffmpeg {missing} cannot be used" in caplog.text

        fake = fake_ffmpeg(tmp_path)
        api = Api(make_app({"FFMPEG_BINARY": str(fake), "MEDIA_DIR": str(tmp_path / "m2")},
                           tts=FakeTTS()))
        family = Family(api)
        assert upload(api, family, samples["amr-nb.amr"]).status_code == 200
        fake.unlink()  # the chosen binary disappears (package removed, volume unmounted)
        response = upload(api, family, samples["amr-nb.amr"])
        body = response.get_json()
        assert response.status_code == 503 and "unavailable" in body["msg"], body
        assert int(response.headers["Retry-After"]) >= 1
        assert api.services.unread.counts(family.toy_id) == {family.parent_id: 1}
        assert [p for p in work_files(tmp_path / "m2") if "part-" in p or "audio-in" in p] == []

        monkeypatch.setenv("IMAGEIO_FFMPEG_EXE", str(tmp_path / "no-bundled-ffmpeg-either"))
        find_ffmpeg.cache_clear()
        api = Api(make_app({"FFMPEG_BINARY": missing, "MEDIA_DIR": str(tmp_path / "m3")},
                           tts=FakeTTS()))
        family = Family(api)
        nowhere = upload(api, family, samples["amr-nb.amr"])
        assert nowhere.status_code == 503 and "unavailable" in nowhere.get_json()["msg"]
        assert api.services.unread.counts(family.toy_id) == {}
        assert [p for p in work_files(tmp_path / "m3") if "part-" in p or "audio-in" in p] == []
        report("ffmpeg missing / vanished / none at all", requests=4, faults=3, fell_back=1,
               answered_503=2, lost=0)
    finally:
        find_ffmpeg.cache_clear()


# --- real server: hanging ffmpeg, saturation, kill -9 -------------------------------------------

def cli(env, *args):
    """Run ``flask --app app ...`` (the operator CLI) with ``env``; return its stdout."""
    proc = subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT,
                          env={**os.environ, **{k: str(v) for k, v in env.items()}},
                          capture_output=True, timeout=120, check=True)
    return proc.stdout.decode()


class RemoteFamily:
    """A parent and its bound toy on a running server."""

    def __init__(self, server, key):
        self.server = server
        name = f"p{uuid.uuid4().hex[:8]}"
        self.ok("/reg", username=name, password="secret123", nickname="Mum", gender="1")
        self.parent = self.ok("/login", username=name, password="secret123")["token"]
        self.ok("/bind_toy", self.parent, toy_name="Teddy", baby_name="Lily", device_key=key)
        toy = requests.post(f"{server.url}/open_toy", data={"device_key": key},
                            timeout=DEADLINE).json()
        self.toy, self.toy_id = toy["token"], toy["toy_id"]

    def ok(self, path, token=None, **fields):
        status, body = self.server.post(path, token, **fields)
        assert status == 200 and body["code"] == 0, (path, status, body)
        return body["data"]

    def upload(self, data, timeout=DEADLINE):
        return requests.post(f"{self.server.url}/app_uploader", timeout=timeout,
                             headers={"Authorization": f"Bearer {self.parent}"},
                             data={"to_user": self.toy_id},
                             files={"reco_file": ("voice.amr", data)})

    def unread_on_toy(self):
        items = requests.post(f"{self.server.url}/recv_msg", timeout=DEADLINE,
                              headers={"Authorization": f"Bearer {self.toy}"}).json()
        return [item["message"] for item in items[1:]]


@pytest.fixture
def server_env(tmp_path):
    env = {"DATA_DIR": tmp_path / "data", "MEDIA_DIR": tmp_path / "media", "MONGO_URI": "",
           "REDIS_URL": "", "SPEECH_TTS": "fake", "RATE_LIMIT": "0",
           "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "FFMPEG_BINARY": ""}
    return env


def wait_for_lines(path, count, timeout=DEADLINE):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and len(path.read_text().split()) >= count:
            return [int(pid) for pid in path.read_text().split()]
        time.sleep(0.05)
    pytest.fail(f"{count} ffmpeg runs never started")


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def wait_dead(pids, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(alive(pid) for pid in pids):
        time.sleep(0.05)
    return [pid for pid in pids if alive(pid)]


def leftovers(media):
    return [p for p in work_files(media) if "part-" in p or "audio-in-" in p]


def in_thread(fn):
    result = {}
    thread = threading.Thread(target=lambda: result.update(value=fn()), daemon=True)
    thread.start()
    return thread, result


def test_hanging_ffmpeg_is_bounded_and_saturation_is_503(server_env, tmp_path, samples):
    pids = tmp_path / "ffmpeg.pids"
    hanging = fake_ffmpeg(tmp_path, run=hanging_run(pids))
    key = cli(server_env, "devices", "create").split()[0]
    env = dict(server_env, FFMPEG_BINARY=hanging, CONVERSION_TIMEOUT=6, MAX_CONVERSIONS=1,
               CONVERSION_WAIT=1)
    server = ServerProcess(env, log_path=tmp_path / "server.log").start()
    try:
        family = RemoteFamily(server, key)
        first, result = in_thread(lambda: family.upload(samples["amr-nb.amr"]))
        [pid] = wait_for_lines(pids, 1)
        health = requests.get(f"{server.url}/healthz", timeout=DEADLINE)
        assert health.status_code == 200 and first.is_alive(), "the event loop was blocked"
        busy = family.upload(samples["amr-nb.amr"])
        assert busy.status_code == 503 and "busy" in busy.json()["msg"], busy.text
        assert int(busy.headers["Retry-After"]) >= 1
        assert first.is_alive(), "the saturated answer waited for the hanging conversion"
        first.join(DEADLINE)
        timed_out = result["value"]
        assert timed_out.status_code == 504 and "timed out" in timed_out.json()["msg"]
        assert wait_dead([pid]) == []
        assert family.unread_on_toy() == []
        assert leftovers(tmp_path / "media") == []
        report("ffmpeg hanging + conversions saturated", requests=3, faults=2,
               answered_504=1, answered_503=1, healthz_during_hang=health.status_code,
               ffmpeg_left_running=0, files_left=0, lost=0)
    finally:
        server.stop()


def test_uploads_wait_for_an_upload_turn_before_anything_is_read(server_env, tmp_path, samples):
    """UPLOAD_CONCURRENCY=1: while one upload is converting, a second one waits without being
    parsed or spooled (no ffmpeg started, no work file) and gets 503 after CONVERSION_WAIT."""
    pids = tmp_path / "ffmpeg.pids"
    hanging = fake_ffmpeg(tmp_path, run=hanging_run(pids))
    key = cli(server_env, "devices", "create").split()[0]
    env = dict(server_env, FFMPEG_BINARY=hanging, CONVERSION_TIMEOUT=8, MAX_CONVERSIONS=4,
               UPLOAD_CONCURRENCY=1, CONVERSION_WAIT=1)
    server = ServerProcess(env, log_path=tmp_path / "server.log").start()
    try:
        family = RemoteFamily(server, key)
        first, result = in_thread(lambda: family.upload(samples["amr-nb.amr"]))
        [pid] = wait_for_lines(pids, 1)
        spooled = [p for p in leftovers(tmp_path / "media") if "audio-in-" in p]
        waiting = family.upload(samples["amr-nb.amr"])
        assert waiting.status_code == 503, waiting.text
        assert "busy with other uploads" in waiting.json()["msg"]
        assert int(waiting.headers["Retry-After"]) >= 1
        assert len(pids.read_text().split()) == 1, "the waiting upload was converted"
        assert [p for p in leftovers(tmp_path / "media") if "audio-in-" in p] == spooled
        assert requests.get(f"{server.url}/healthz", timeout=DEADLINE).status_code == 200
        assert first.is_alive()
        first.join(DEADLINE)
        assert result["value"].status_code == 504
        assert wait_dead([pid]) == []
        assert family.unread_on_toy() == []
        assert leftovers(tmp_path / "media") == []
    finally:
        server.stop()


def test_kill_9_mid_upload_then_restart_leaves_nothing(server_env, tmp_path, samples):
    uploads = 4
    pids = tmp_path / "ffmpeg.pids"
    hanging = fake_ffmpeg(tmp_path, run=hanging_run(pids))
    key = cli(server_env, "devices", "create").split()[0]
    env = dict(server_env, FFMPEG_BINARY=hanging, MAX_CONVERSIONS=uploads,
               UPLOAD_CONCURRENCY=uploads)
    server = ServerProcess(env, log_path=tmp_path / "server.log").start()
    family = RemoteFamily(server, key)
    threads = [in_thread(lambda: _swallow(lambda: family.upload(samples["amr-nb.amr"])))
               for _ in range(uploads)]
    children = wait_for_lines(pids, uploads)
    before = leftovers(tmp_path / "media")
    server.kill()
    for thread, _ in threads:
        thread.join(DEADLINE)
    orphans = wait_dead(children)
    assert orphans == [], "ffmpeg outlived the killed server"
    assert len([p for p in before if "part-" in p]) == uploads
    assert len([p for p in before if "audio-in-" in p]) == uploads

    restarted = ServerProcess(server_env, port=server.port,
                              log_path=tmp_path / "server2.log").start()
    try:
        assert leftovers(tmp_path / "media") == []
        assert family.unread_on_toy() == []
        sent = [family.upload(samples["amr-nb.amr"]) for _ in range(uploads)]
        assert [r.status_code for r in sent] == [200] * uploads
        names = [r.json()["data"]["filename"] for r in sent]
        assert family.unread_on_toy() == names
        chat = tmp_path / "media" / "chat"
        assert all((chat / name).is_file() for name in names)
        report("kill -9 mid-upload, restart", requests=2 * uploads, faults=1,
               uploads_in_flight=uploads, leftovers_before_restart=len(before),
               leftovers_after_restart=0, ffmpeg_orphans=len(orphans), orphan_messages=0,
               stored_after_restart=len(names), lost=0)
    finally:
        restarted.stop()


def _swallow(fn):
    try:
        return fn()
    except requests.RequestException as exc:
        return exc


def test_full_temp_disk_while_the_request_body_is_spooled_is_507(server_env, small_disk,
                                                                 tmp_path):
    """Werkzeug spools multipart bodies over 500 KB to the system temp folder (``TMPDIR``): that
    disk full is 507 as well (not 500), and nothing is stored."""
    big = write_tones(tmp_path, {"big.wav": ["-ar", "44100", "-c:a", "pcm_s16le"]}, 8)
    data = (big / "big.wav").read_bytes()
    assert len(data) > 600 * 1024
    key = cli(server_env, "devices", "create").split()[0]
    server = ServerProcess(dict(server_env, TMPDIR=small_disk),
                           log_path=tmp_path / "server.log").start()
    try:
        family = RemoteFamily(server, key)
        filler = fill(small_disk, 64 * 1024)
        response = family.upload(data)
        assert response.status_code == 507 and "disk space" in response.json()["msg"], \
            response.text
        assert response.headers["Retry-After"] == "5"
        assert work_files(small_disk) == ["filler.bin"]
        assert family.unread_on_toy() == []
        filler.unlink()
        assert family.upload(data).status_code == 200
        assert len(family.unread_on_toy()) == 1
    finally:
        server.stop()
    report("disk full while the request body is spooled", requests=2, faults=1,
           answered_507=1, files_left=0, lost=0)
