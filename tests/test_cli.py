"""SPEC §9 operator CLI, through Flask's CLI runner (the same code as ``flask --app app``)."""

import io
import re
import struct


def run(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_devices_create_prints_keys_and_writes_qr(api):
    keys = run(api.app, "devices", "create", "--count", "3").split()
    assert len(keys) == 3 and all(re.fullmatch(r"[0-9a-f]{32}", k) for k in keys)
    for key in keys:
        assert api.get(f"/get_qr/{key}.png").status_code == 200
        assert api.post("/open_toy", device_key=key)[1]["code"] == 1
    listed = run(api.app, "devices", "list")
    assert all(key in listed for key in keys)


def test_devices_create_rejects_a_bad_count(api):
    result = api.app.test_cli_runner().invoke(args=["devices", "create", "--count", "0"])
    assert result.exit_code != 0 and "count" in result.output.lower()


def test_content_add_and_import(api, tmp_path):
    song = tmp_path / "song.mp3"
    song.write_bytes(b"ID3song")
    out = run(api.app, "content", "add", "--title", "Baa Baa", "--music", str(song))
    assert "Baa Baa" in out
    folder = tmp_path / "library"
    folder.mkdir()
    for name in ("Old_MacDonald.mp3", "Bingo.ogg", "Bingo.png", "notes.txt"):
        (folder / name).write_bytes(b"data")
    out = run(api.app, "content", "import", str(folder))
    assert "imported 2 of 2" in out
    items = {c["title"]: c for c in api.ok("/content_list")}
    assert set(items) == {"Baa Baa", "Old MacDonald", "Bingo"}
    assert items["Bingo"]["cover"].endswith(".png") and items["Old MacDonald"]["cover"] == ""
    assert api.get(f"/get_music/{items['Baa Baa']['music']}").data == b"ID3song"


def test_content_add_rejects_unknown_extension(api, tmp_path):
    bad = tmp_path / "song.exe"
    bad.write_bytes(b"MZ")
    result = api.app.test_cli_runner().invoke(
        args=["content", "add", "--title", "X", "--music", str(bad)])
    assert result.exit_code != 0 and "expected one of" in result.output
    assert api.ok("/content_list") == []


def test_users_and_toys_list(api):
    user_id, token = api.user(nickname="Nora")
    toy_id, _ = api.toy(token, toy_name="Robo", baby_name="Max")
    users = run(api.app, "users", "list")
    assert user_id in users and "Nora" in users and "1 toys" in users
    toys = run(api.app, "toys", "list")
    assert toy_id in toys and "Robo" in toys and "Max" in toys and user_id in toys


def test_content_demo_adds_playable_tunes_with_covers_once(api):
    from PIL import Image

    from services.demo_tunes import TUNES

    out = run(api.app, "content", "demo")
    assert f"added {len(TUNES)} demo songs (0 already" in out
    items = {c["title"]: c for c in api.ok("/content_list")}
    assert set(items) == {tune.title for tune in TUNES}
    converter = api.services.audio
    for item in items.values():
        music = api.services.media.open("music", item["music"]).path
        assert api.get(f"/get_music/{item['music']}").status_code == 200
        assert 8 < converter.probe_duration(music) < 40
        cover = api.get(f"/get_image/{item['cover']}")
        assert cover.status_code == 200
        with Image.open(io.BytesIO(cover.data)) as image:
            assert image.format == "PNG" and image.size == (320, 320)
    # the first note of Twinkle Twinkle is middle C (261.6 Hz): count zero crossings
    twinkle = api.services.media.open("music",
                                      items["Twinkle Twinkle Little Star"]["music"]).path
    pcm = converter.to_pcm_16k_mono(twinkle)
    samples = struct.unpack("<4000h", pcm[4000:12000])  # 0.125-0.375 s
    crossings = sum(1 for a, b in zip(samples[:-1], samples[1:], strict=True) if (a < 0) != (b < 0))
    assert abs(crossings / 2 / 0.25 - 261.6) < 15

    again = run(api.app, "content", "demo")
    assert f"added 0 demo songs ({len(TUNES)} already in the catalogue)" in again
    assert len(api.ok("/content_list")) == len(TUNES)
