"""SPEC §3: content list and file downloads (Range, ETag, path tricks)."""

import pytest

from config import ConfigError
from tests.support import Api


@pytest.fixture
def song(api, tmp_path):
    music = tmp_path / "Twinkle_Star.mp3"
    music.write_bytes(b"ID3" + bytes(range(256)) * 40)
    cover = tmp_path / "Twinkle_Star.jpg"
    cover.write_bytes(b"\xff\xd8\xff\xe0" + b"x" * 100)
    return api.services.content.add("Twinkle Star", music, cover), music.read_bytes()


def test_content_list_newest_first_with_paging(api, tmp_path):
    for i in range(5):
        path = tmp_path / f"s{i}.mp3"
        path.write_bytes(b"ID3data")
        api.services.content.add(f"Song {i}", path)
    titles = [c["title"] for c in api.ok("/content_list")]
    assert titles == ["Song 4", "Song 3", "Song 2", "Song 1", "Song 0"]
    assert [c["title"] for c in api.ok("/content_list", skip=1, limit=2)] == ["Song 3", "Song 2"]
    response = api.get("/content_list?limit=1")
    assert [c["title"] for c in response.get_json()["data"]] == ["Song 4"]
    item = api.ok("/content_list")[0]
    assert {"_id", "title", "music", "cover"} <= set(item)


def test_content_list_shows_a_new_song_at_once(api, tmp_path):
    path = tmp_path / "a.mp3"
    path.write_bytes(b"ID3data")
    api.services.content.add("First", path)
    assert [c["title"] for c in api.ok("/content_list")] == ["First"]
    api.services.content.add("Second", path)
    assert [c["title"] for c in api.ok("/content_list")] == ["Second", "First"]
    assert [c["title"] for c in api.ok("/content_list", limit=1)] == ["Second"]


def test_content_list_shows_another_process_song_at_once(api, make_app, tmp_path):
    """A song added by another process on the same database (the ``flask`` CLI, another
    server) is listed at once, though the page was rendered before."""
    path = tmp_path / "a.mp3"
    path.write_bytes(b"ID3data")
    api.services.content.add("First", path)
    assert [c["title"] for c in api.ok("/content_list")] == ["First"]
    other = make_app(mongo_db=api.services.store.db)
    other.extensions["smarttoy"].content.add("From the CLI", path)
    assert [c["title"] for c in api.ok("/content_list")] == ["From the CLI", "First"]


def test_content_list_page_is_read_once_while_the_catalogue_is_unchanged(api, tmp_path):
    path = tmp_path / "a.mp3"
    path.write_bytes(b"ID3data")
    api.services.content.add("First", path)
    store, reads = api.services.store.content, []
    page = store.page
    store.page = lambda *args: reads.append(args) or page(*args)
    first = api.get("/content_list")
    again = api.get("/content_list")
    assert first.data == again.data and reads == [(0, 50)]
    assert first.get_json()["data"][0]["title"] == "First"
    api.services.content.add("Second", path)
    assert [c["title"] for c in api.ok("/content_list")] == ["Second", "First"]
    assert reads == [(0, 50), (0, 50)]


@pytest.mark.parametrize("fields,word", [({"limit": 201}, "limit"), ({"skip": -1}, "skip"),
                                         ({"limit": "x"}, "limit")])
def test_content_list_bad_paging_is_400(api, fields, word):
    status, body = api.post("/content_list", **fields)
    assert status == 400 and word in body["msg"]


def test_music_download_full_range_and_etag(api, song):
    doc, data = song
    full = api.get(f"/get_music/{doc['music']}")
    assert full.status_code == 200 and full.data == data
    assert full.mimetype == "audio/mpeg" and full.headers["Accept-Ranges"] == "bytes"
    assert full.headers["ETag"] and full.headers["Last-Modified"]
    part = api.get(f"/get_music/{doc['music']}", headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.data == data[10:20]
    assert part.headers["Content-Range"] == f"bytes 10-19/{len(data)}"
    tail = api.get(f"/get_music/{doc['music']}", headers={"Range": "bytes=-5"})
    assert tail.status_code == 206 and tail.data == data[-5:]
    bad = api.get(f"/get_music/{doc['music']}",
                         headers={"Range": f"bytes={len(data) + 10}-"})
    assert bad.status_code == 416
    cached = api.get(f"/get_music/{doc['music']}",
                            headers={"If-None-Match": full.headers["ETag"]})
    assert cached.status_code == 304


def test_downloads_of_stored_files_skip_flask_and_the_rest_reach_it(api, song):
    """The WSGI fast path answers existing files (GET and HEAD) with the views' response;
    a missing file, a POST or another path still goes through Flask."""
    doc, data = song
    reached = []
    api.app.before_request(lambda: reached.append(1) and None)
    got = api.get(f"/get_music/{doc['music']}", headers={"Range": "bytes=0-9"})
    head = api.client.head(f"/get_music/{doc['music']}")
    head.close()
    key = api.device()
    qr = api.get(f"/get_qr/{key}")
    assert got.status_code == 206 and got.data == data[:10]
    assert head.status_code == 200 and head.data == b""
    assert int(head.headers["Content-Length"]) == len(data)
    assert qr.status_code == 200 and qr.data.startswith(b"\x89PNG")
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert reached == []
    missing = api.get("/get_music/nope.mp3")
    assert missing.status_code == 404 and missing.get_json()["code"] == 404
    assert api.client.post(f"/get_music/{doc['music']}").status_code == 405
    assert len(reached) == 2


def test_cover_served_by_both_image_routes(api, song):
    doc, _ = song
    for route in ("get_image", "get_cover"):
        response = api.get(f"/{route}/{doc['cover']}")
        assert response.status_code == 200 and response.mimetype == "image/jpeg"


@pytest.mark.parametrize("name", ["../app.py", "..%2Fapp.py", "%2e%2e/config.py",
                                  "/etc/passwd", "..", "a/../../app.py", "nope.mp3",
                                  "..\\app.py", ".hidden"])
def test_path_tricks_and_unknown_names_are_404(api, name):
    for route in ("get_music", "get_image", "get_chat", "get_qr"):
        response = api.get(f"/{route}/{name}")
        assert response.status_code == 404, (route, name)
        assert response.get_json()["code"] == 404


def test_shipped_prompts_and_avatars_exist(api):
    for name in ("Success.mp3", "Nobind.mp3", "Nolic.mp3"):
        response = api.get(f"/get_chat/{name}")
        assert response.status_code == 200 and response.mimetype == "audio/mpeg"
        assert len(response.data) > 1000
    for name in ("mama.jpg", "baba.jpg", "toy.jpg"):
        response = api.get(f"/get_image/{name}")
        assert response.status_code == 200 and response.mimetype == "image/jpeg"


def test_device_qr_png_is_served(api):
    key = api.device()
    for name in (f"{key}.png", key):
        response = api.get(f"/get_qr/{name}")
        assert response.status_code == 200 and response.mimetype == "image/png"
        assert response.data.startswith(b"\x89PNG")


def test_with_an_accel_prefix_nginx_is_asked_to_send_stored_files(make_app, tmp_path):
    api = Api(make_app({"MEDIA_ACCEL_PREFIX": "/_media"}))
    music = tmp_path / "Song.mp3"
    music.write_bytes(b"ID3" + b"x" * 5000)
    doc = api.services.content.add("Song", music)
    response = api.get(f"/get_music/{doc['music']}", headers={"Range": "bytes=0-9"})
    assert response.status_code == 200 and response.data == b""
    assert response.headers["X-Accel-Redirect"] == f"/_media/music/{doc['music']}"
    assert response.mimetype == "audio/mpeg"
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    shipped = api.get("/get_music/Success.mp3")  # not under MEDIA_DIR: the app sends it
    assert "X-Accel-Redirect" not in shipped.headers and len(shipped.data) > 1000
    assert api.get("/get_music/missing.mp3").status_code == 404


@pytest.mark.parametrize("config, word", [
    ({"MEDIA_BACKEND": "s3"}, "MEDIA_BACKEND"),
    ({"MEDIA_BACKEND": "gridfs"}, "MONGO_URI"),
    ({"MEDIA_ACCEL_PREFIX": "_media"}, "MEDIA_ACCEL_PREFIX"),
    ({"MEDIA_BACKEND": "gridfs", "MONGO_URI": "mongodb://127.0.0.1:1",
      "MEDIA_ACCEL_PREFIX": "/_media"}, "MEDIA_ACCEL_PREFIX"),
])
def test_media_settings_that_cannot_work_are_refused(make_app, config, word):
    with pytest.raises(ConfigError, match=word):
        make_app(config)


def test_a_plain_download_has_the_headers_of_send_file_and_revalidates(api, song):
    """Whole-file GETs are written directly (services.media.response._whole_file); their
    headers are send_file's, so the ETag and Last-Modified they give revalidate to 304 and a
    Range still gets 206."""
    from werkzeug.utils import send_file

    doc, data = song
    url = f"/get_music/{doc['music']}"
    got = api.get(url)
    assert got.status_code == 200 and got.data == data
    media = api.services.media.open("music", doc["music"])
    with api.app.test_request_context(url):
        from flask import request

        reference = send_file(media.path, request.environ, conditional=True, etag=True,
                              max_age=3600)
        reference.close()
    ignore = {"Date", "Expires", "X-Content-Type-Options"}
    assert ({k: v for k, v in got.headers.items() if k not in ignore}
            == {k: v for k, v in reference.headers.items() if k not in ignore})
    again = api.get(url, headers={"If-None-Match": got.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    since = api.get(url, headers={"If-Modified-Since": got.headers["Last-Modified"]})
    assert since.status_code == 304
    part = api.get(url, headers={"Range": "bytes=5-9"})
    assert part.status_code == 206 and part.data == data[5:10]
