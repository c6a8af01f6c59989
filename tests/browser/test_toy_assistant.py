"""The toy page's Talk button with the real offline assistant (pocketsphinx) in ``python app.py``:
Chromium's fake microphone speaks an espeak-made command, the toy plays the answer, and for
"send a message to <friend>" the next hold records the message and sends it to that friend."""

import subprocess

import pytest

from services.speech.tts import EspeakTTS
from tests.browser.conftest import CHROMIUM
from tests.browser.toy_helpers import bound_toy, ffmpeg, upload_song

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

POLL = 30_000  # ms: upper bound for recognition + playback (assertions never time things)


def spoken_wav(folder, text):
    """``text`` spoken by espeak-ng, 48 kHz mono, with silence around it (the fake microphone
    loops the file; a hold shorter than the file hears the command once)."""
    raw, path = folder / "raw.wav", folder / "command.wav"
    raw.write_bytes(EspeakTTS().synthesize_wav(text, voice="en-us+f3"))
    subprocess.run([ffmpeg(), "-v", "error", "-i", str(raw), "-af",
                    "adelay=300,apad=pad_dur=4", "-ar", "48000", "-ac", "1", "-y", str(path)],
                   check=True, timeout=60)
    return path


@pytest.fixture
def speaking_page(browser, tmp_path):
    """``speaking_page(text)``: a page in a chromium whose microphone says ``text``."""
    browsers, pages = [], []

    def make(text):
        wav = spoken_wav(tmp_path, text)
        other = browser.browser_type.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                  f"--use-file-for-fake-audio-capture={wav}",
                  "--autoplay-policy=no-user-gesture-required"])
        browsers.append(other)
        page = other.new_context(viewport={"width": 390, "height": 844},
                                 permissions=["microphone"]).new_page()
        page.set_default_timeout(10_000)
        page.console_errors = []
        page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
        page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
        pages.append(page)
        return page

    yield make
    errors = [e for page in pages for e in page.console_errors]
    for other in browsers:
        other.close()
    assert not errors, errors


def hold(page, button, seconds):
    """Press and hold ``button`` with the mouse for ``seconds``, then let go."""
    button.hover()
    page.mouse.down()
    expect(button).to_have_attribute("aria-pressed", "true")
    page.wait_for_timeout(seconds * 1000)
    page.mouse.up()


def test_talk_send_a_message_to_mum(make_server, speaking_page):
    server = make_server(SPEECH_TTS="espeak")
    family = bound_toy(server, "nora", toy_name="Bobo", remark="Mum")
    page = speaking_page("send a message to mum")
    page.goto(f"{server.url}/toy?key={family['key']}")
    expect(page.locator("#connection")).to_have_text("Online")

    hold(page, page.get_by_role("button", name="Talk"), 2.5)
    record = page.get_by_role("button", name="Record for Mum")
    expect(record).to_be_visible(timeout=POLL)
    expect(page.locator("#played")).to_contain_text("Assistant: you can talk to Mum now",
                                                    timeout=POLL)
    hold(page, record, 2.0)
    expect(page.get_by_role("status").filter(has_text="Message sent to Mum")).to_be_visible(
        timeout=POLL)
    expect(page.get_by_role("button", name="Talk")).to_be_visible()
    chat = server.call("/chat_list", family["token"], chat_id=family["chat_id"])
    assert [m["from_user"] for m in chat] == [family["toy_id"]]


def test_talk_play_a_song(make_server, speaking_page):
    server = make_server(SPEECH_TTS="espeak")
    family = bound_toy(server, "ines", toy_name="Kiki", remark="Dad")
    upload_song(server, "Baby Shark")
    upload_song(server, "Twinkle Twinkle Little Star")
    page = speaking_page("play twinkle twinkle little star")
    page.goto(f"{server.url}/toy?key={family['key']}")
    expect(page.get_by_role("button", name="Play Baby Shark")).to_be_visible()
    hold(page, page.get_by_role("button", name="Talk"), 2.5)
    expect(page.locator("#played")).to_contain_text("Song: Twinkle Twinkle Little Star",
                                                    timeout=POLL)
    assert "Baby Shark" not in page.locator("#played").inner_text()
