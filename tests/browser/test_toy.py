"""The toy page at /toy in a real browser: boot by key (typed or ?key=), the boot prompts, pushes
played in order, messages to friends, songs, and the failure paths (unknown key, licensed but
unbound key, server restarted mid-session)."""

import re

import pytest
import requests

from tests.browser.conftest import CHROMIUM
from tests.browser.toy_helpers import (
    bound_toy,
    drop_expected_errors,
    played,
    send_parent_message,
    upload_song,
)

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

POLL = 20_000  # ms: generous upper bound for a push to be played (assertions never time things)


def test_unknown_key_says_why_and_plays_nolic(web_server, new_page):
    page = new_page()
    page.goto(f"{web_server.url}/toy")
    page.get_by_label("Device key").fill("0" * 32)
    page.get_by_role("button", name="Start").click()
    expect(page.get_by_role("alert").filter(has_text="not a licensed device key")).to_be_visible()
    expect(page.locator("#played")).to_contain_text("unknown device key", timeout=POLL)
    assert page.evaluate("localStorage.getItem('smarttoy.toy.key')") is None


def test_licensed_but_unbound_key_waits_for_a_parent(web_server, new_page):
    key = web_server.devices(1)[0]
    page = new_page()
    page.goto(f"{web_server.url}/toy?key={key}")
    expect(page.get_by_text("not bound to a parent yet")).to_be_visible()
    expect(page.locator("#played")).to_contain_text("not bound yet", timeout=POLL)
    assert "key=" not in page.url  # remembered, not left in the address bar
    # The key is remembered: once a parent binds it, pressing Start boots the toy.
    parent = web_server.parent("olga")
    web_server.call("/bind_toy", parent["token"], toy_name="Bruno", baby_name="Max",
                    remark="Mum", device_key=key)
    expect(page.get_by_label("Device key")).to_have_value(key)
    page.get_by_role("button", name="Start").click()
    expect(page.get_by_role("heading", name="Bruno")).to_be_visible()
    expect(page.locator("#played")).to_contain_text("Start-up greeting", timeout=POLL)


def test_toy_boots_plays_pushes_and_sends_to_a_friend(web_server, new_page):
    family = bound_toy(web_server, "petra", toy_name="Teddy", remark="Mum")
    upload_song(web_server, "Twinkle Twinkle Little Star")
    page = new_page()
    page.goto(f"{web_server.url}/toy")
    page.get_by_label("Device key").fill(family["key"])
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Teddy")).to_be_visible()
    expect(page.locator("#connection")).to_have_text("Online")
    expect(page.get_by_role("button", name="Message Mum")).to_be_visible()
    expect(page.get_by_role("button", name="Play Twinkle Twinkle Little Star")).to_be_visible()

    send_parent_message(web_server, family, msg_id="m1")
    send_parent_message(web_server, family, msg_id="m2")
    messages = page.locator("#played li", has_text=re.compile("Message from Mum$"))
    expect(messages).to_have_count(2, timeout=POLL)
    items = played(page)
    assert items[0].endswith("Start-up greeting")
    assert items[1].endswith("Announcement: you have a message from Mum")  # then the messages
    assert items[2].endswith("Message from Mum")

    # A push from the parent plays the song.
    song = web_server.call("/content_list")[0]
    web_server.call("/push_music", family["token"], toy_id=family["toy_id"], music=song["music"])
    expect(page.locator("#played")).to_contain_text("Song: Twinkle Twinkle Little Star",
                                                    timeout=POLL)

    # Keyboard: hold Space on the friend's button to record, release to send.
    button = page.get_by_role("button", name="Message Mum")
    button.focus()
    page.keyboard.down(" ")
    expect(button).to_have_attribute("aria-pressed", "true")
    page.wait_for_timeout(1200)  # speak for a while (the fake microphone plays a tone)
    page.keyboard.up(" ")
    expect(page.get_by_role("status").filter(has_text="Message sent to Mum")).to_be_visible()
    chat = web_server.call("/chat_list", family["token"], chat_id=family["chat_id"])
    assert [m["from_user"] for m in chat].count(family["toy_id"]) == 1


def test_unheard_messages_are_counted_per_friend_and_kept_by_stop(web_server, new_page):
    family = bound_toy(web_server, "gina", toy_name="Momo", remark="Mum")
    upload_song(web_server, "Long Song", seconds=60)
    page = new_page()
    page.goto(f"{web_server.url}/toy?key={family['key']}")
    page.get_by_role("button", name="Play Long Song").click()
    expect(page.locator("#now-playing")).to_have_text("Song: Long Song")
    send_parent_message(web_server, family, msg_id="q1")
    send_parent_message(web_server, family, msg_id="q2")
    badge = page.get_by_role("listitem").filter(has_text="Message Mum").locator(".badge")
    expect(badge).to_have_text("2 new", timeout=POLL)
    # both fetched and queued behind the song (announcements + messages)
    expect(page.locator("#now-playing")).to_contain_text(re.compile(r"then [34] more"),
                                                         timeout=POLL)
    page.get_by_role("button", name="Stop").click()
    expect(page.locator("#now-playing")).to_have_text("Nothing")
    expect(badge).to_have_text("2 new")  # stopped, not lost
    page.get_by_role("button", name="Play 2 new messages from Mum").click()
    messages = page.locator("#played li", has_text=re.compile("Message from Mum$"))
    expect(messages).to_have_count(2, timeout=POLL)
    expect(badge).to_be_hidden(timeout=POLL)
    expect(page.get_by_role("button", name=re.compile("new messages? from Mum"))).to_be_hidden()


def test_server_restart_mid_session_reconnects_and_fetches_missed(web_server, new_page):
    family = bound_toy(web_server, "rita", toy_name="Pip", remark="Dad")
    page = new_page()
    page.goto(f"{web_server.url}/toy?key={family['key']}")
    expect(page.locator("#connection")).to_have_text("Online")
    web_server.stop()
    expect(page.locator("#connection")).to_have_text(re.compile("Offline"), timeout=POLL)
    web_server.start()
    send_parent_message(web_server, family, msg_id="after-restart")
    expect(page.locator("#connection")).to_have_text("Online", timeout=POLL)
    expect(page.locator("#played")).to_contain_text("Message from Dad", timeout=POLL)
    drop_expected_errors(page)
    assert requests.get(f"{web_server.url}/healthz", timeout=5).status_code == 200


def test_server_down_at_start_keeps_trying(web_server, new_page):
    family = bound_toy(web_server, "hana", toy_name="Lulu", remark="Mum")
    page = new_page()
    page.goto(f"{web_server.url}/toy")
    web_server.stop()
    page.get_by_label("Device key").fill(family["key"])
    page.get_by_role("button", name="Start").click()
    expect(page.get_by_text("Cannot reach the server")).to_be_visible()
    expect(page.get_by_text("Trying again in a few seconds")).to_be_visible()
    web_server.start()
    expect(page.get_by_role("heading", name="Lulu")).to_be_visible(timeout=POLL)
    expect(page.locator("#connection")).to_have_text("Online", timeout=POLL)
    drop_expected_errors(page)


def test_sound_blocked_by_the_browser_waits_for_a_tap(web_server, browser):
    family = bound_toy(web_server, "iris", toy_name="Nono", remark="Mum")
    strict = browser.browser_type.launch(executable_path=CHROMIUM, headless=True)  # autoplay rules
    try:
        page = strict.new_page()
        errors = []
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.goto(f"{web_server.url}/toy?key={family['key']}")  # no tap yet: sound is refused
        expect(page.get_by_role("heading", name="Nono")).to_be_visible(timeout=POLL)
        play = page.get_by_role("button", name="Play", exact=True)
        expect(play).to_be_visible(timeout=POLL)
        expect(page.get_by_role("alert")).to_contain_text("blocked playback")
        play.click()
        expect(page.locator("#played")).to_contain_text("Start-up greeting", timeout=POLL)
        expect(page.get_by_role("button", name="Play", exact=True)).to_be_hidden()
        assert not errors
    finally:
        strict.close()
