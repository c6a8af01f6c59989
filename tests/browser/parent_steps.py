"""Steps of the parent app as a person does them (by label and role), and toy-side helpers that
act over the real HTTP API and Socket.IO (what a toy does is web-toy's page; here it is only the
other side of the conversation)."""

import re
import subprocess
import threading

import requests
import socketio
from playwright.sync_api import expect

from tests.browser.conftest import ffmpeg


def sign_up(page, server, username, password="secret123", nickname=None):
    page.goto(server.url + "/")
    page.get_by_role("button", name="Register").click()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Nickname").fill(nickname or username.title())
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", name="Bind a toy")).to_be_visible()


def log_in(page, server, username, password="secret123"):
    page.goto(server.url + "/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def bind(page, key, toy_name="Teddy", baby_name="Lily", typed=True):
    """Fill the bind form (the key typed unless already filled) and open the new toy's page."""
    if typed:
        page.get_by_label("Device key").fill(key)
    page.get_by_label("Toy name").fill(toy_name)
    page.get_by_label("Child's name").fill(baby_name)
    page.get_by_role("button", name="Bind toy").click()
    expect(page.get_by_role("heading", name=toy_name, exact=True)).to_be_visible()


def family(server, username, toy_name, baby_name="Kid"):
    """A whole family over HTTP: parent login data, its toy's id, the toy's token."""
    login = server.parent(username)
    key = server.devices(1)[0]
    server.call("/bind_toy", login["token"], device_key=key, toy_name=toy_name, baby_name=baby_name)
    toy = server.call("/toy_list", login["token"])[0]
    booted = requests.post(server.url + "/open_toy", data={"device_key": key}, timeout=10).json()
    assert booted["code"] == 0, booted
    return login, toy["_id"], booted["token"]


def boot_toy(server, key):
    """``/open_toy`` like the toy firmware: the flat answer with its token."""
    booted = requests.post(server.url + "/open_toy", data={"device_key": key}, timeout=10).json()
    assert booted["code"] == 0, booted
    return booted


class ToySocket:
    """A toy's Socket.IO connection recording the events it gets."""

    def __init__(self, server, token):
        self.events = []
        self._arrived = threading.Condition()
        self.client = socketio.Client(reconnection=False)
        for name in ("chat", "music"):
            self.client.on(name, self._recorder(name))
        self.client.connect(server.url, auth={"token": token}, transports=["websocket"],
                            wait_timeout=10)

    def _recorder(self, name):
        def record(data):
            with self._arrived:
                self.events.append((name, data))
                self._arrived.notify_all()
        return record

    def wait_for(self, name, timeout=10):
        with self._arrived:
            self._arrived.wait_for(lambda: any(n == name for n, _ in self.events), timeout)
        return [data for n, data in self.events if n == name]

    def close(self):
        self.client.disconnect()


def audio_file(path, seconds=1.5, frequency=440):
    """A small wav file (a tone) to upload as a recording."""
    subprocess.run([ffmpeg(), "-v", "error", "-f", "lavfi", "-i",
                    f"sine=frequency={frequency}:duration={seconds}", "-ac", "1", "-y", str(path)],
                   check=True, timeout=60)
    return path


def toy_sends(server, toy_token, to_user, wav):
    """The toy sends a voice message (``/toy_uploader``) to ``to_user`` (a parent)."""
    with open(wav, "rb") as handle:
        response = requests.post(server.url + "/toy_uploader",
                                 headers={"Authorization": f"Bearer {toy_token}"},
                                 data={"to_user": to_user, "friend_type": "app"},
                                 files={"reco": ("reply.wav", handle, "audio/wav")}, timeout=30)
    assert response.json()["code"] == 0, response.text


def add_song(server, tmp_path, title):
    """A song with a cover in the catalogue, added by the operator CLI."""
    slug = re.sub(r"\W+", "_", title)
    music = tmp_path / f"{slug}.mp3"
    cover = tmp_path / f"{slug}.png"
    subprocess.run([ffmpeg(), "-v", "error", "-f", "lavfi", "-i", "sine=frequency=523:duration=2",
                    "-ac", "1", "-y", str(music)], check=True, timeout=60)
    subprocess.run([ffmpeg(), "-v", "error", "-f", "lavfi", "-i", "color=c=orange:s=96x96",
                    "-frames:v", "1", "-y", str(cover)], check=True, timeout=60)
    server.cli("content", "add", "--title", title, "--music", str(music), "--cover", str(cover))


def allow_console(page, *patterns):
    """Drop the console errors the test expects (Chromium logs every 4xx answer and every
    refused connection as an error) and keep the others."""
    page.console_errors[:] = [e for e in page.console_errors
                              if not any(re.search(p, e) for p in patterns)]
