"""MEDIA_BACKEND=gridfs: media files in MongoDB GridFS through real pymongo (``gridfs``) against
mongoeco on loopback.

The store: whole files and byte ranges read back, a name stored again keeps one revision, an
upload that fails part-way leaves no chunk, work files are taken, shipped files still found,
the chunks of a killed upload are cleaned up. Two ``python app.py`` processes with separate
``MEDIA_DIR``s (no shared disk): a voice message uploaded on A is served by B with Range, ETag
and Last-Modified; failed uploads leave nothing in GridFS nor in the work folders.
"""

import io
import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import gridfs
import pymongo
import pytest
import requests
from bson import ObjectId

from services.errors import NotFound
from services.media.grid import CHUNK_BYTES, GridFSMedia
from tests.messaging import FakeConverter, Family, make_samples
from tests.server_process import ok, two_servers_and_local_services
from tests.support import Api

ROOT = Path(__file__).resolve().parent.parent
DEADLINE = 15.0


@pytest.fixture
def mongo_db(wire_mongo_uri):
    client = pymongo.MongoClient(wire_mongo_uri, serverSelectionTimeoutMS=5000)
    yield client[f"t{uuid.uuid4().hex[:10]}"]
    client.close()


@pytest.fixture
def media(mongo_db, tmp_path):
    return GridFSMedia(mongo_db, ROOT / "static", tmp_path / "work")


def counts(db):
    return db["media.files"].count_documents({}), db["media.chunks"].count_documents({})


class FailingStream(io.RawIOBase):
    """Gives ``good`` bytes, then fails like a dropped connection."""

    def __init__(self, good):
        self.left = good

    def readable(self):
        return True

    def readinto(self, buffer):
        if self.left <= 0:
            raise ConnectionResetError("client went away")
        n = min(len(buffer), self.left)
        buffer[:n] = b"x" * n
        self.left -= n
        return n


def test_stored_files_are_read_whole_and_by_range(media, mongo_db):
    data = os.urandom(3 * CHUNK_BYTES + 1234)
    media.put("music", "song.mp3", data)
    found = media.open("music", "song.mp3")
    assert found.path is None and found.size == len(data) and found.etag
    assert abs(found.mtime - datetime.now(UTC).timestamp()) < 600
    found.stream.seek(CHUNK_BYTES - 10)  # across a chunk boundary
    assert found.stream.read(20) == data[CHUNK_BYTES - 10:CHUNK_BYTES + 10]
    found.stream.seek(len(data) - 5)
    assert found.stream.read() == data[-5:]
    found.stream.close()
    assert media.exists("music", "song.mp3") and not media.exists("image", "song.mp3")
    assert counts(mongo_db) == (1, 4)

    media.put("music", "song.mp3", b"second")  # stored again: the newest, one revision kept
    again = media.open("music", "song.mp3")
    assert again.stream.read() == b"second" and again.etag != found.etag
    assert counts(mongo_db) == (1, 1)

    media.remove("music", "song.mp3")
    media.remove("music", "song.mp3")  # a missing file is no error
    with pytest.raises(NotFound):
        media.open("music", "song.mp3")
    assert counts(mongo_db) == (0, 0)


def test_a_failed_upload_leaves_no_chunk_and_no_work_file(media, mongo_db, tmp_path):
    media.put("chat", "kept.mp3", b"kept")
    with pytest.raises(ConnectionResetError):
        media.put("chat", "broken.mp3", FailingStream(2 * CHUNK_BYTES + 7))
    assert not media.exists("chat", "broken.mp3")
    assert counts(mongo_db) == (1, 1)

    work = media.work_folder() / "work-1-ab.mp3"
    work.write_bytes(b"converted")
    media.put("chat", "moved.mp3", work, move=True)
    assert not work.exists() and media.open("chat", "moved.mp3").stream.read() == b"converted"
    work.write_bytes(b"converted")
    with pytest.raises(ValueError):
        media.put("chat", "../escape.mp3", work, move=True)
    assert list(media.work_folder().iterdir()) == []
    with pytest.raises(NotFound):
        media.open("chat", "../kept.mp3")


def test_add_mp3_stores_the_conversion_and_cleans_the_work_folder(media, mongo_db):
    converter = FakeConverter()
    audio = media.add_mp3("chat", converter, b"recording")
    assert audio.path is None and media.open("chat", audio.name).stream.read() == b"ID3 fake mp3"
    converter.fail = RuntimeError("ffmpeg died")
    with pytest.raises(RuntimeError):
        media.add_mp3("chat", converter, b"recording")
    assert counts(mongo_db) == (1, 1) and list(media.work_folder().iterdir()) == []


def test_shipped_files_are_found_after_stored_ones(media):
    shipped = (ROOT / "static" / "chat" / "Success.mp3").read_bytes()
    assert media.open("music", "Success.mp3").path.read_bytes() == shipped
    media.put("chat", "Success.mp3", b"regenerated")
    assert media.open("music", "Success.mp3").stream.read() == b"regenerated"


def test_chunks_of_a_killed_upload_are_removed(media, mongo_db):
    two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
    whole = ObjectId.from_datetime(two_hours_ago)  # a finished upload of that time
    gridfs.GridFSBucket(mongo_db, "media").upload_from_stream_with_id(
        whole, "chat/whole.mp3", io.BytesIO(os.urandom(CHUNK_BYTES + 1)))
    killed = ObjectId.from_datetime(two_hours_ago + timedelta(seconds=1))
    fresh = ObjectId()  # an upload in progress on another process
    for n, file_id in enumerate((killed, killed, fresh)):
        mongo_db["media.chunks"].insert_one({"files_id": file_id, "n": n, "data": b"partial"})
    assert media.remove_unfinished() == 1
    assert sorted(mongo_db["media.chunks"].distinct("files_id")) == sorted([whole, fresh])
    assert len(media.open("chat", "whole.mp3").stream.read()) == CHUNK_BYTES + 1


@pytest.fixture
def servers(wire_mongo_uri, tmp_path, redis_prefix, redis_client):
    """Two processes on one database with GridFS media and separate media folders."""
    env = {"MONGO_URI": wire_mongo_uri, "MONGO_DB": f"t{uuid.uuid4().hex[:10]}",
           "MEDIA_BACKEND": "gridfs", "REDIS_URL": "", "REDIS_PREFIX": redis_prefix,
           "DATA_DIR": tmp_path / "data", "SPEECH_TTS": "fake", "RATE_LIMIT": "0",
           "SECRET_KEY": "two-process-test-secret", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}
    each = {name: {"MEDIA_DIR": tmp_path / f"media-{name}"} for name in "ab"}
    for a, b, local in two_servers_and_local_services(env, tmp_path, wire_mongo_uri,
                                                      redis_prefix, redis_client, each):
        client = pymongo.MongoClient(wire_mongo_uri)
        yield a, b, local, client[env["MONGO_DB"]]
        client.close()


def upload(server, token, to_user, data):
    return requests.post(f"{server.url}/app_uploader", headers={"Authorization": f"Bearer {token}"},
                         data={"to_user": to_user}, files={"reco_file": ("voice.amr", data)},
                         timeout=DEADLINE)


def work_files(tmp_path):
    return [p for name in "ab" for p in (tmp_path / f"media-{name}").rglob("*") if p.is_file()]


def test_a_file_uploaded_on_one_process_is_served_by_another(servers, tmp_path):
    a, b, local, db = servers
    samples = tmp_path / "samples"
    samples.mkdir()
    amr = make_samples(samples)["amr-nb.amr"]
    ok(a, "/reg", username="mum", password="secret123", nickname="Mum", gender="1")
    token = ok(a, "/login", username="mum", password="secret123")["token"]
    key = local.devices.create(1)[0]
    ok(a, "/bind_toy", token, toy_name="Teddy", baby_name="Lily", device_key=key)
    toy = requests.post(f"{b.url}/open_toy", data={"device_key": key}, timeout=DEADLINE).json()

    response = upload(a, token, toy["toy_id"], amr)
    assert response.status_code == 200, response.text
    name = response.json()["data"]["filename"]
    whole = requests.get(f"{b.url}/get_chat/{name}", timeout=DEADLINE)
    assert whole.status_code == 200 and whole.headers["Content-Type"] == "audio/mpeg"
    assert whole.content[:1] in (b"I", b"\xff") and len(whole.content) > 500
    assert whole.headers["Accept-Ranges"] == "bytes" and whole.headers["Last-Modified"]
    part = requests.get(f"{b.url}/get_chat/{name}", headers={"Range": "bytes=100-299"},
                        timeout=DEADLINE)
    assert part.status_code == 206 and part.content == whole.content[100:300]
    assert part.headers["Content-Range"] == f"bytes 100-299/{len(whole.content)}"
    cached = requests.get(f"{a.url}/get_chat/{name}", timeout=DEADLINE,
                          headers={"If-None-Match": whole.headers["ETag"]})
    assert cached.status_code == 304
    assert requests.get(f"{a.url}/get_chat/{name}", timeout=DEADLINE).content == whole.content
    assert work_files(tmp_path) == []  # nothing on either disk: the file is in GridFS

    before = counts(db)
    bad = upload(b, token, toy["toy_id"], b"this is not audio" * 100)
    assert bad.status_code == 415
    empty = upload(a, token, toy["toy_id"], b"")
    assert empty.status_code in (400, 415)
    assert counts(db) == before and work_files(tmp_path) == []
    assert db["messages"].count_documents({}) == 1


def test_no_gridfs_file_when_recording_the_message_fails(make_app, wire_mongo_uri):
    app = make_app({"MONGO_URI": wire_mongo_uri, "MONGO_DB": f"t{uuid.uuid4().hex[:10]}",
                    "MEDIA_BACKEND": "gridfs"}, mongo_db=None, converter=FakeConverter())
    api = Api(app)
    try:
        family = Family(api)  # its device's QR code is in GridFS too
        before = counts(api.services.store.db)

        def broken_insert(doc):
            raise RuntimeError("database went away")

        api.services.store.messages.insert = broken_insert
        app.config["PROPAGATE_EXCEPTIONS"] = False
        status, body = family.upload(b"recording")
        assert (status, body["msg"]) == (500, "internal error")
        assert counts(api.services.store.db) == before
        assert [p for p in Path(app.config["MEDIA_DIR"]).rglob("*") if p.is_file()] == []
    finally:
        api.services.store.mongo_client.close()
