"""Helpers of the toy page and family-flow browser tests: families made over HTTP, songs added with
the operator CLI, voice messages sent by a parent, and reading what the toy page played."""

import re
import subprocess
import tempfile
from functools import cache
from pathlib import Path

import requests

# Chromium logs these while the server is down or refuses a request; they are expected there.
EXPECTED_WHILE_RESTARTING = re.compile(
    r"WebSocket connection to .* failed|Failed to load resource|ERR_CONNECTION_REFUSED"
    r"|net::ERR_|status of 401")


def ffmpeg():
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


@cache
def tone(seconds=1.0, frequency=440, suffix="wav"):
    """A path to a short tone (made once per test session with the bundled ffmpeg)."""
    folder = Path(tempfile.mkdtemp(prefix="toy-audio-"))
    path = folder / f"tone-{frequency}.{suffix}"
    subprocess.run([ffmpeg(), "-v", "error", "-f", "lavfi", "-i",
                    f"sine=frequency={frequency}:duration={seconds}:sample_rate=22050",
                    "-ac", "1", "-y", str(path)], check=True, timeout=60)
    return path


def bound_toy(server, username, toy_name="Teddy", baby_name="Lily", remark="Mum"):
    """Register a parent, make a device and bind it: ``{key, toy_id, token, user_id, chat_id}``."""
    parent = server.parent(username)
    key = server.devices(1)[0]
    server.call("/bind_toy", parent["token"], toy_name=toy_name, baby_name=baby_name,
                remark=remark, device_key=key)
    toy = server.call("/toy_list", parent["token"])[0]
    entry = next(f for f in server.call("/friend_list", parent["token"])
                 if f["friend_id"] == toy["_id"])
    return {"key": key, "toy_id": toy["_id"], "token": parent["token"], "user_id": parent["_id"],
            "chat_id": entry["friend_chat"]}


def upload_song(server, title, seconds=2.0):
    """Add a song to the catalogue with ``flask --app app content add``."""
    music = tone(seconds, 523, "mp3")
    server.cli("content", "add", "--title", title, "--music", str(music))


def send_parent_message(server, family, msg_id):
    """The parent sends a short voice message to the family's toy (over HTTP)."""
    with open(tone(), "rb") as audio:
        response = requests.post(f"{server.url}/app_uploader",
                                 headers={"Authorization": f"Bearer {family['token']}"},
                                 data={"to_user": family["toy_id"], "msg_id": msg_id},
                                 files={"reco_file": ("hello.wav", audio, "audio/wav")},
                                 timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def played(page):
    """The texts of the toy page's "Played" list, oldest first."""
    return page.locator("#played li").all_inner_texts()


def drop_expected_errors(page):
    """Remove the console errors Chromium logs while a server restarts (refused connections)."""
    page.console_errors[:] = [e for e in page.console_errors
                              if not EXPECTED_WHILE_RESTARTING.search(e)]
