"""The parent app's failure paths: every API error shown in words, nothing silent, and a
server restart mid-session survived (reconnect, then what was missed is fetched)."""

import re

from playwright.sync_api import expect

from tests.browser.parent_steps import (
    allow_console,
    audio_file,
    bind,
    family,
    log_in,
    sign_up,
    toy_sends,
)


def test_wrong_password_and_taken_username(web_server, new_page):
    web_server.parent("mona")
    page = new_page()
    log_in(page, web_server, "mona", password="not-her-password")
    expect(page.get_by_role("alert")).to_contain_text("Wrong username or password")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.get_by_role("button", name="Dismiss").click()
    expect(page.get_by_role("alert")).to_be_hidden()

    page.get_by_role("button", name="Register").click()
    page.get_by_label("Username").fill("mona")
    page.get_by_label("Password").fill("123")
    page.get_by_label("Nickname").fill("Mona")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("alert")).to_contain_text("at least 6 characters")
    page.get_by_label("Password").fill("secret123")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("alert")).to_contain_text(re.compile("exists|taken", re.I))
    allow_console(page, r"status of 40[19]")


def test_a_revoked_session_goes_back_to_log_in(web_server, new_page):
    family(web_server, "tara", "Teddy")
    page = new_page()
    log_in(page, web_server, "tara")
    expect(page.get_by_role("link", name="Teddy")).to_be_visible()
    token = page.evaluate("localStorage.getItem('smarttoy.parent.token')")
    web_server.call("/logout", token)  # e.g. logged out on another device
    page.get_by_role("button", name="Chats").click()
    page.get_by_role("link", name="Teddy").click()
    expect(page.get_by_role("alert")).to_contain_text("Your session has ended")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    allow_console(page, r"status of 401")


def test_unknown_and_bound_keys_are_explained(web_server, new_page, shot):
    other, _, _ = family(web_server, "nina", "Bear")
    bound_key = web_server.call("/toy_list", other["token"])[0]["device_key"]
    page = new_page()
    sign_up(page, web_server, "olga")
    page.get_by_label("Device key").fill("0123456789abcdef0123456789abcdef")
    page.get_by_label("Toy name").fill("Teddy")
    page.get_by_label("Child's name").fill("Lily")
    page.get_by_role("button", name="Bind toy").click()
    expect(page.get_by_role("alert")).to_contain_text("Unknown key")
    expect(page.get_by_label("Device key")).to_have_attribute("aria-invalid", "true")
    shot(page, "parent-bind-error", width=360, clear="#status")

    page.get_by_label("Device key").fill(bound_key)
    page.get_by_role("button", name="Bind toy").click()
    expect(page.get_by_role("alert")).to_contain_text("already bound")
    expect(page.get_by_role("heading", name="Bind a toy")).to_be_visible()
    assert web_server.call("/toy_list", other["token"])[0]["toy_name"] == "Bear"

    page.get_by_label("Photo of the QR code").set_input_files(
        {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not an image"})
    expect(page.get_by_role("alert")).to_contain_text("Pick a photo")

    bind(page, web_server.devices(1)[0])  # a good key still works after the failures


def test_a_file_that_is_not_audio_is_refused_in_words(web_server, new_page, tmp_path):
    login, toy_id, _ = family(web_server, "pia", "Teddy")
    page = new_page()
    log_in(page, web_server, "pia")
    page.get_by_role("link", name="Teddy").click()
    page.get_by_role("button", name="Talk to Teddy").click()
    page.get_by_label("Upload a recording").set_input_files(
        {"name": "song.mp3", "mimeType": "audio/mpeg", "buffer": b"this is not audio at all" * 20})
    expect(page.get_by_role("alert")).to_contain_text("Not sent")
    expect(page.get_by_role("alert")).to_contain_text("not audio")
    expect(page.get_by_text("No messages yet")).to_be_visible()
    # Retrying cannot help a file that is not audio: only Discard is offered.
    expect(page.get_by_role("button", name="Retry sending")).to_have_count(0)
    page.get_by_role("button", name="Discard").click()
    page.get_by_label("Upload a recording").set_input_files(audio_file(tmp_path / "ok.wav"))
    expect(page.get_by_role("button", name=re.compile("Play message from You"))).to_have_count(1)
    allow_console(page, r"status of 415")


def test_lovense_linking_without_a_developer_token_says_so(web_server, new_page):
    family(web_server, "quin", "Teddy")
    page = new_page()
    log_in(page, web_server, "quin")
    page.get_by_role("link", name="Teddy").click()
    page.get_by_role("button", name="Device control").click()
    page.get_by_role("button", name="Link a Lovense device").click()
    expect(page.get_by_role("alert")).to_contain_text("Linking is not available")
    page.get_by_role("button", name="Stop").click()
    expect(page.get_by_role("alert")).to_contain_text(re.compile("link", re.I))
    allow_console(page, r"status of (502|409)")


def test_server_restart_mid_session_reconnects_and_fetches_what_was_missed(web_server, new_page,
                                                                           tmp_path):
    login, toy_id, toy_token = family(web_server, "rosa", "Teddy")
    reply = audio_file(tmp_path / "reply.wav")
    page = new_page()
    log_in(page, web_server, "rosa")
    page.get_by_role("button", name="Chats").click()
    expect(page.locator("#connection")).to_have_text("Live")

    web_server.stop()
    expect(page.locator("#connection")).to_have_text("Reconnecting…")
    web_server.start()
    toy_sends(web_server, toy_token, login["_id"], reply)  # likely before the page reconnects
    expect(page.locator("#connection")).to_have_text("Live", timeout=20_000)
    expect(page.get_by_label("1 unread from Teddy")).to_be_visible()
    page.get_by_role("link", name="Teddy").click()
    expect(page.get_by_role("button", name=re.compile("Play message from Teddy"))).to_have_count(1)

    web_server.restart()  # in an open chat: the same session keeps working after a restart
    expect(page.locator("#connection")).to_have_text("Live", timeout=20_000)
    page.get_by_label("Upload a recording").set_input_files(reply)
    expect(page.get_by_text("Message sent to Teddy")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Play message from"))).to_have_count(2)
    allow_console(page, r"ERR_CONNECTION_REFUSED|ERR_CONNECTION_RESET|ERR_EMPTY_RESPONSE",
                  r"WebSocket connection to .* failed")
