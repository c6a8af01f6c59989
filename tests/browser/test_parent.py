"""The parent app at / in chromium against a real ``python app.py``: the success paths."""

import re
import subprocess

from playwright.sync_api import expect

from tests.browser.conftest import ffmpeg
from tests.browser.parent_steps import (
    ToySocket,
    add_song,
    allow_console,
    audio_file,
    bind,
    boot_toy,
    family,
    log_in,
    sign_up,
    toy_sends,
)

MINE = re.compile("Play message from You")


def test_sign_up_bind_by_key_stay_logged_in_log_out(web_server, new_page, shot):
    page = new_page()
    page.goto(web_server.url + "/")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    shot(page, "parent-login", width=360, clear="#status")
    sign_up(page, web_server, "anna", nickname="Anna")
    key = web_server.devices(1)[0]
    bind(page, key, "Teddy", "Lily")
    expect(page.get_by_text("Teddy is bound")).to_be_visible()
    expect(page.locator("#friend-code-text")).to_have_text(re.compile(r"\w{16,}"))
    expect(page.get_by_role("img", name="QR code of Teddy's friend code")).to_be_visible()
    shot(page, "parent-desktop", width=1280, clear="#status")

    page.reload()  # the token is kept: /auto_login on open
    expect(page.get_by_role("heading", name="Teddy", exact=True)).to_be_visible()
    page.get_by_role("button", name="My toys").click()
    expect(page.get_by_role("link", name="Teddy")).to_be_visible()
    expect(page.get_by_text("Lily's toy")).to_be_visible()
    shot(page, "parent-toys", width=360, clear="#status")

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()  # the token is gone
    log_in(page, web_server, "anna")
    expect(page.get_by_role("link", name="Teddy")).to_be_visible()


def test_bind_with_a_photo_of_the_qr_code(web_server, new_page, tmp_path):
    key = web_server.devices(1)[0]
    web_server.parent("bob")
    page = new_page()
    log_in(page, web_server, "bob")
    page.get_by_role("button", name="Bind a toy").click()
    # The PNG the operator CLI wrote for the device is the photo.
    photo = tmp_path / "media" / "qr" / f"{key}.png"
    page.get_by_label("Photo of the QR code").set_input_files(photo)
    expect(page.get_by_text("Key recognised")).to_be_visible()
    expect(page.get_by_label("Device key")).to_have_value(key)
    bind(page, key, "Bunny", "Max", typed=False)


def test_bind_by_scanning_the_qr_code_with_the_camera(web_server, new_page, launch, tmp_path, shot):
    key = web_server.devices(1)[0]
    web_server.parent("cam")
    video = tmp_path / "qr.y4m"  # the fake camera films the QR code
    subprocess.run([ffmpeg(), "-v", "error", "-loop", "1", "-i",
                    str(tmp_path / "media" / "qr" / f"{key}.png"), "-vf",
                    "scale=480:480:flags=neighbor,pad=640:480:80:0:white,format=yuv420p",
                    "-t", "2", "-r", "10", "-y", str(video)], check=True, timeout=60)
    browser = launch(f"--use-file-for-fake-video-capture={video}")
    try:
        page = new_page(browser=browser)
        log_in(page, web_server, "cam")
        page.get_by_role("button", name="Bind a toy").click()
        page.get_by_role("button", name="Scan with camera").click()
        expect(page.get_by_text("Key recognised")).to_be_visible()
        expect(page.get_by_label("Device key")).to_have_value(key)
        shot(page, "parent-bind", width=360, clear="#status")
        bind(page, key, "Kitty", "Ava", typed=False)
    finally:
        page.context.close()
        browser.close()


def test_live_status_record_upload_and_unread_badges(web_server, new_page, tmp_path, shot):
    login = web_server.parent("dana")
    key = web_server.devices(1)[0]
    web_server.call("/bind_toy", login["token"], device_key=key, toy_name="Teddy", baby_name="Lily")
    page = new_page()
    log_in(page, web_server, "dana")
    page.get_by_role("link", name="Teddy").click()
    expect(page.get_by_text("Offline", exact=True)).to_be_visible()
    toy = boot_toy(web_server, key)
    toy_socket = ToySocket(web_server, toy["token"])
    try:
        expect(page.get_by_text("Online", exact=True)).to_be_visible()  # live toy_status

        page.get_by_role("button", name="Talk to Teddy").click()
        record = page.get_by_role("button", name="Hold to record")
        record.hover()
        page.mouse.down()
        expect(record).to_have_attribute("aria-pressed", "true")
        page.wait_for_timeout(1500)  # speaking: the fake microphone plays voice.wav
        page.mouse.up()
        expect(page.get_by_text("Message sent to Teddy")).to_be_visible()
        expect(page.get_by_role("button", name=MINE)).to_have_count(1)
        assert toy_socket.wait_for("chat")[0]["from_user"] == login["_id"]

        record.focus()  # the keyboard way: hold Space on the button
        page.keyboard.down(" ")
        expect(record).to_have_attribute("aria-pressed", "true")
        page.wait_for_timeout(1500)
        page.keyboard.up(" ")
        expect(page.get_by_role("button", name=MINE)).to_have_count(2)
        page.get_by_label("Upload a recording").set_input_files(audio_file(tmp_path / "hi.wav"))
        expect(page.get_by_role("button", name=MINE)).to_have_count(3)
        assert len(toy_socket.wait_for("chat")) >= 1

        page.get_by_role("button", name="Chats").click()
        toy_sends(web_server, toy["token"], login["_id"], audio_file(tmp_path / "reply.wav"))
        expect(page.get_by_label("1 unread from Teddy")).to_be_visible()  # live `chat`
        expect(page.locator("#unread-total")).to_have_text("1")
        shot(page, "parent-chats", width=360, clear="#status")
        page.get_by_role("link", name="Teddy").click()
        play = page.get_by_role("button", name=re.compile("Play message from Teddy"))
        expect(play).to_have_count(1)
        expect(page.locator("#unread-total")).to_be_hidden()
        play.click()
        expect(page.get_by_text("Playing the message from Teddy")).to_be_visible()
        shot(page, "parent-chat", width=360, clear="#status")
        toy_sends(web_server, toy["token"], login["_id"], tmp_path / "reply.wav")
        expect(play.or_(page.get_by_role("button", name=re.compile("Play message from Teddy")))
               ).to_have_count(2)  # an open chat shows new messages as they arrive
        expect(page.locator("#unread-total")).to_be_hidden()

        toy_socket.close()
        page.get_by_role("button", name="My toys").click()
        expect(page.get_by_text("Offline", exact=True)).to_be_visible()
    finally:
        toy_socket.close()


def test_chat_pages_back_on_scroll_up(web_server, new_page, tmp_path):
    login, toy_id, toy_token = family(web_server, "erin", "Teddy")
    wav = audio_file(tmp_path / "one.wav", seconds=0.5)
    for _ in range(32):
        toy_sends(web_server, toy_token, login["_id"], wav)
    page = new_page()
    log_in(page, web_server, "erin")
    page.get_by_role("button", name="Chats").click()
    expect(page.get_by_label("32 unread from Teddy")).to_be_visible()
    page.get_by_role("link", name="Teddy").click()
    plays = page.get_by_role("button", name=re.compile("Play message from Teddy"))
    expect(plays).to_have_count(30)
    page.get_by_role("log", name="Messages with Teddy").evaluate("log => { log.scrollTop = 0; }")
    expect(plays).to_have_count(32)
    expect(page.get_by_role("button", name="Load older messages")).to_be_hidden()


def test_a_retried_send_is_stored_once(web_server, new_page, tmp_path):
    family_login, toy_id, toy_token = family(web_server, "fay", "Teddy")
    page = new_page()
    log_in(page, web_server, "fay")
    page.get_by_role("link", name="Teddy").click()
    page.get_by_role("button", name="Talk to Teddy").click()
    expect(page.get_by_text("No messages yet")).to_be_visible()
    lost = []

    def lose_the_answer(route):  # the server stores the message, the answer never arrives
        route.fetch()
        lost.append(route.request.url)
        route.abort()

    page.route("**/app_uploader", lose_the_answer, times=1)
    page.get_by_label("Upload a recording").set_input_files(audio_file(tmp_path / "a.wav"))
    expect(page.get_by_text("Not sent: Cannot reach the server")).to_be_visible()
    assert lost
    page.get_by_role("button", name="Retry sending").click()
    expect(page.get_by_text("Message sent to Teddy")).to_be_visible()
    expect(page.get_by_role("button", name=MINE)).to_have_count(1)
    history = web_server.call("/chat_list", toy_token, chat_id=_chat_of(web_server, family_login))
    assert len(history) == 1
    allow_console(page, r"Failed to load resource: net::ERR_FAILED")


def _chat_of(server, login):
    return server.call("/friend_list", login["token"])[0]["friend_chat"]


def test_friend_requests_by_code_accept_and_refuse(web_server, new_page, shot):
    login_b, toy_b, _ = family(web_server, "gina", "Bear")
    login_c, toy_c, _ = family(web_server, "hugo", "Duck", "Dora")
    asker = new_page()
    sign_up(asker, web_server, "ivan", nickname="Ivan")
    bind(asker, web_server.devices(1)[0], "Teddy", "Lily")
    owner = new_page()
    log_in(owner, web_server, "gina")
    owner.get_by_role("link", name="Bear").click()
    expect(owner.get_by_text("No request waiting")).to_be_visible()

    asker.get_by_label("Friend code").fill(toy_b)
    asker.get_by_label("Message (optional)").fill("Play date?")
    asker.get_by_role("button", name="Send friend request").click()
    expect(asker.get_by_text("Friend request sent")).to_be_visible()
    web_server.call("/add_req", login_c["token"], add_user=toy_b, req_user=toy_c, type="toy")

    # A toy asks in its child's name (Lily is Ivan's daughter, Dora Hugo's).
    expect(owner.get_by_role("button", name="Accept the request from Lily")).to_be_visible()  # live
    expect(owner.get_by_text("“Play date?”")).to_be_visible()
    expect(owner.get_by_role("button", name="Refuse the request from Dora")).to_be_visible()
    shot(owner, "parent-friends", width=360, clear="#status")
    owner.get_by_label("Name Bear will use for Lily").fill("Teddy next door")
    owner.get_by_role("button", name="Accept the request from Lily").click()
    expect(owner.get_by_text("Lily is now Bear's friend")).to_be_visible()
    owner.get_by_role("button", name="Refuse the request from Dora").click()
    expect(owner.get_by_text("Request from Dora refused")).to_be_visible()
    friends = owner.get_by_role("list", name="Friends")
    expect(friends.get_by_text("Teddy next door")).to_be_visible()
    expect(friends.get_by_text("Duck")).to_have_count(0)
    owner.get_by_text("Answered requests (2)").click()
    expect(owner.get_by_text("Dora: refused")).to_be_visible()

    asker.reload()
    # The asker's toy lists the new friend by its child's name.
    expect(asker.get_by_role("list", name="Friends").get_by_text("Kid")).to_be_visible()


def test_songs_play_here_and_push_to_a_toy(web_server, new_page, tmp_path, shot):
    login, toy_id, toy_token = family(web_server, "jane", "Teddy")
    add_song(web_server, tmp_path, "Twinkle Twinkle Little Star")
    add_song(web_server, tmp_path, "Baa Baa Black Sheep")
    toy_socket = ToySocket(web_server, toy_token)
    try:
        page = new_page()
        log_in(page, web_server, "jane")
        page.get_by_role("button", name="Songs").click()
        expect(page.get_by_role("img", name="Cover of Baa Baa Black Sheep")).to_be_visible()
        shot(page, "parent-songs", width=360, clear="#status")
        page.get_by_role("button", name="Play Twinkle Twinkle Little Star here").click()
        expect(page.get_by_text("Playing “Twinkle Twinkle Little Star”")).to_be_visible()
        page.get_by_role("button", name="Stop playing").click()
        expect(page.locator("#player-bar")).to_be_hidden()
        expect(page.get_by_label("Send songs to")).to_have_value(toy_id)
        page.get_by_role("button", name="Send Baa Baa Black Sheep to the toy").click()
        expect(page.get_by_text("“Baa Baa Black Sheep” sent to Teddy")).to_be_visible()
        pushed = toy_socket.wait_for("music")
        assert pushed and pushed[0]["music"].endswith(".mp3")
    finally:
        toy_socket.close()


def test_unbind_asks_first(web_server, new_page):
    family(web_server, "kate", "Teddy")
    page = new_page()
    log_in(page, web_server, "kate")
    page.get_by_role("link", name="Teddy").click()
    page.get_by_role("button", name="Unbind Teddy").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Unbind Teddy?")
    dialog.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("heading", name="Teddy", exact=True)).to_be_visible()
    page.get_by_role("button", name="Unbind Teddy").click()
    page.get_by_role("button", name="Unbind").click()  # the one in the dialog
    expect(page.get_by_text("Teddy is unbound")).to_be_visible()
    expect(page.get_by_text("No toy yet")).to_be_visible()
    assert web_server.call("/toy_list", web_server.call(
        "/login", username="kate", password="secret123")["token"]) == []
