"""Browser tests: a real ``python app.py`` and Debian's chromium driven by Playwright.

Fixtures (see README, "Web app"):
- ``web_server``: ``python app.py`` on a free loopback port with temp ``DATA_DIR``/``MEDIA_DIR``;
  ``.cli(...)`` runs ``flask --app app ...`` on the same data, ``.restart()`` restarts it on the
  same port and data, ``.call(path, token, **fields)`` is an HTTP POST that must succeed.
- ``make_server(**env)``: the same with extra settings (e.g. ``SPEECH_ASR="fake"``).
- ``launch(*args)``: another chromium with extra switches (e.g. a fake camera file).
- ``browser``: chromium (``CHROMIUM`` or /usr/bin/chromium), headless, fake camera and a fake
  microphone that plays ``voice_wav`` (a short spoken-like tone made with the bundled ffmpeg),
  autoplay allowed.
- ``new_page(width=390, height=844)``: a page in a new browser context (own localStorage);
  every console error, uncaught page error or request leaving loopback fails the test
  (``page.console_errors`` lists them; a test expecting one removes it from that list).
- ``shot(page, name, width=None, clear=None)``: writes ``docs/screenshots/<name>.png`` (at
  ``width`` px wide when given, e.g. 360).
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.fakes.netguard import loopback_only  # noqa: F401  (autouse: nothing leaves loopback)
from tests.server_process import ROOT, ServerProcess

sync_api = pytest.importorskip("playwright.sync_api")
# Assertions poll; a loaded CI machine (2 cores) needs more than the default 5 s.
sync_api.expect.set_options(timeout=15_000)

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = ROOT / "docs" / "screenshots"
# Every request of the pages to anything but loopback is refused and fails the test (a test that
# expects one, e.g. the Lovense QR image, routes it to a local answer first).
OFF_MACHINE = re.compile(r"^(?!(https?|wss?)://(127\.0\.0\.1|localhost)(:\d+)?/)[a-z]+://")


class WebServer(ServerProcess):
    """``python app.py`` plus the operator CLI on the same data folders."""

    def __init__(self, env, log_path):
        super().__init__(env, log_path=log_path)

    def cli(self, *args):
        """Run ``flask --app app <args>`` on the same DATA_DIR/MEDIA_DIR; its stdout."""
        result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT,
                                env=self._env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr or result.stdout
        return result.stdout

    def devices(self, count=1):
        """``count`` new device keys (made by the CLI)."""
        return self.cli("devices", "create", "--count", str(count)).split()

    def restart(self):
        """Stop and start again on the same port and data (clients must reconnect)."""
        self.stop()
        return self.start()

    def call(self, path, token=None, **fields):
        """POST ``path`` and return ``data`` of a successful envelope (asserts code 0)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = requests.post(self.url + path, data=fields, headers=headers, timeout=20)
        answer = response.json()
        assert response.status_code == 200 and answer.get("code") == 0, answer
        return answer.get("data", answer)

    def parent(self, username, password="secret123", nickname=None, gender="1"):
        """Register ``username`` over HTTP and log in; the ``/login`` data (with ``token``)."""
        self.call("/reg", username=username, password=password,
                  nickname=nickname or username.title(), gender=gender)
        return self.call("/login", username=username, password=password)


@pytest.fixture
def make_server(tmp_path):
    """``make_server(**env)`` → a started ``WebServer``; all are stopped after the test."""
    servers = []

    def make(**env):
        settings = {"DATA_DIR": tmp_path / "data", "MEDIA_DIR": tmp_path / "media",
                    "RATE_LIMIT": "0", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                    "REDIS_URL": "", "MONGO_URI": "", **env}
        server = WebServer(settings, log_path=tmp_path / f"server{len(servers)}.log")
        servers.append(server)
        return server.start()

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def web_server(make_server):
    return make_server()


def ffmpeg():
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


@pytest.fixture(scope="session")
def voice_wav(tmp_path_factory):
    """A 2 s mono 48 kHz wav (a warbling tone, so recordings are not silence)."""
    path = tmp_path_factory.mktemp("audio") / "voice.wav"
    subprocess.run([ffmpeg(), "-v", "error", "-f", "lavfi", "-i",
                    "sine=frequency=330:duration=2:sample_rate=48000", "-af",
                    "vibrato=f=6:d=0.5,volume=0.8", "-ac", "1", "-y", str(path)], check=True,
                   timeout=60)
    return path


@pytest.fixture(scope="session")
def playwright():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"chromium not found at {CHROMIUM} (apt-get install chromium; see README)")
    with sync_api.sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def launch(playwright, voice_wav):
    """``launch(*extra_args)`` → a new chromium (fake media devices, autoplay allowed)."""

    def start(*extra):
        return playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                  f"--use-file-for-fake-audio-capture={voice_wav}",
                  "--autoplay-policy=no-user-gesture-required", *extra])

    return start


@pytest.fixture(scope="session")
def browser(launch):
    browser = launch()
    yield browser
    browser.close()


@pytest.fixture
def new_page(browser):
    """``new_page(width=390, height=844, browser=None)`` → a page in its own context; console
    errors fail the test."""
    contexts, pages = [], []

    def make(width=390, height=844, browser=browser):
        context = browser.new_context(viewport={"width": width, "height": height},
                                      permissions=["camera", "microphone"])
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.console_errors = []
        context.route(OFF_MACHINE, lambda route: (
            page.console_errors.append(f"left the machine: {route.request.url}"), route.abort()))
        page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(
            f"console: {msg.text} ({msg.location.get('url')})"))
        page.on("pageerror", lambda exc: page.console_errors.append(f"page error: {exc}"))
        pages.append(page)
        return page

    yield make
    errors = [error for page in pages for error in page.console_errors]
    for context in contexts:
        context.close()
    assert not errors, "browser console errors:\n" + "\n".join(errors)


@pytest.fixture
def shot():
    """``shot(page, name, width=None, clear=None)``: save docs/screenshots/<name>.png (``clear``:
    a selector whose content is emptied first, e.g. a toast)."""

    def take(page, name, width=None, clear=None):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        if clear:  # a CSS selector of passing news (a toast) to leave out of the picture
            page.locator(clear).evaluate("el => el.replaceChildren()")
        size = page.viewport_size
        if width:
            page.set_viewport_size({"width": width, "height": size["height"]})
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True,
                        animations="disabled", caret="hide")
        if width:
            page.set_viewport_size(size)

    return take
