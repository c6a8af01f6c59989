"""The whole family flow in chromium, parent app and toy page side by side (separate browser
contexts) against one real ``python app.py``: register, bind by key, the toy boots, the parent
records a message and the toy plays it, the toy records a reply and the parent sees the badge and
plays it, a song pushed to the toy, a friend request between two families' toys accepted (and a
toy-to-toy message), then unbind."""

import re

import pytest

from tests.browser.parent_steps import add_song, bind, sign_up
from tests.browser.toy_helpers import played

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

POLL = 20_000  # ms: generous upper bound for a push to arrive and play (nothing is timed)


def hold(page, button, seconds=1.5):
    """Hold ``button`` down with the mouse while the fake microphone "speaks", then let go."""
    button.hover()
    page.mouse.down()
    expect(button).to_have_attribute("aria-pressed", "true")
    page.wait_for_timeout(seconds * 1000)
    page.mouse.up()


def boot_toy_page(page, server, key, toy_name):
    page.goto(f"{server.url}/toy")
    page.get_by_label("Device key").fill(key)
    page.get_by_role("button", name="Start").click()
    expect(page.get_by_role("heading", name=toy_name)).to_be_visible()
    expect(page.locator("#connection")).to_have_text("Online")


def open_toy(parent, toy_name):
    parent.get_by_role("button", name="My toys").click()
    parent.get_by_role("link", name=toy_name).click()
    expect(parent.get_by_role("heading", name=toy_name, exact=True)).to_be_visible()


def test_family_flow(web_server, new_page, shot, tmp_path):
    add_song(web_server, tmp_path, "Twinkle Twinkle Little Star")
    key, other_key = web_server.devices(2)

    # Register and bind by key; the toy boots with the same key.
    parent = new_page()
    sign_up(parent, web_server, "anna", nickname="Anna")
    bind(parent, key, "Teddy", "Lily")
    toy = new_page()
    toy.goto(f"{web_server.url}/toy")
    shot(toy, "toy-start", width=360)
    boot_toy_page(toy, web_server, key, "Teddy")
    expect(toy.locator("#played")).to_contain_text("Start-up greeting", timeout=POLL)
    expect(parent.get_by_text("Online", exact=True)).to_be_visible()  # live toy_status

    # The parent records a message; the toy announces and plays it.
    parent.get_by_role("button", name="Talk to Teddy").click()
    hold(parent, parent.get_by_role("button", name="Hold to record"))
    expect(parent.get_by_text("Message sent to Teddy")).to_be_visible()
    expect(toy.locator("#played")).to_contain_text("Message from Anna", timeout=POLL)
    items = played(toy)
    assert items[-2].endswith("Announcement: you have a message from Anna")
    assert items[-1].endswith("Message from Anna")

    # The toy records a reply; the parent sees the badge live and plays it.
    parent.get_by_role("button", name="Chats").click()
    hold(toy, toy.get_by_role("button", name="Message Anna"))
    expect(toy.get_by_role("status").filter(has_text="Message sent to Anna")).to_be_visible()
    expect(parent.get_by_label("1 unread from Teddy")).to_be_visible(timeout=POLL)
    parent.get_by_role("link", name="Teddy").click()
    play = parent.get_by_role("button", name=re.compile("Play message from Teddy"))
    expect(play).to_have_count(1)
    play.click()
    expect(parent.get_by_text("Playing the message from Teddy")).to_be_visible()

    # A song pushed from the catalogue plays on the toy.
    parent.get_by_role("button", name="Songs").click()
    parent.get_by_role("button", name="Send Twinkle Twinkle Little Star to the toy").click()
    expect(toy.locator("#played")).to_contain_text("Song: Twinkle Twinkle Little Star",
                                                   timeout=POLL)
    expect(toy.locator("#status")).to_be_empty(timeout=POLL)  # the toast is gone
    shot(toy, "toy", width=1100)
    shot(toy, "toy-360", width=360)

    # A second family's toy asks Teddy to be friends with Teddy's friend code; Anna accepts.
    open_toy(parent, "Teddy")
    code = parent.locator("#friend-code-text").inner_text()
    other = new_page()
    sign_up(other, web_server, "ben", nickname="Ben")
    bind(other, other_key, "Bunny", "Max")
    other_toy = new_page()
    boot_toy_page(other_toy, web_server, other_key, "Bunny")
    other.get_by_label("Friend code").fill(code)
    other.get_by_label("Name for this friend (optional)").fill("Teddy")
    other.get_by_role("button", name="Send friend request").click()
    expect(other.get_by_text("Friend request sent")).to_be_visible()
    accept = parent.get_by_role("button", name=re.compile("Accept the request from"))
    expect(accept).to_be_visible(timeout=POLL)  # live friend_request
    parent.get_by_label(re.compile("Name Teddy will use for")).fill("Bunny")
    accept.click()
    expect(parent.get_by_text(re.compile("is now Teddy's friend"))).to_be_visible()

    # The toys are friends: Teddy (restarted) messages Bunny, and Bunny plays it.
    toy.reload()
    expect(toy.get_by_role("button", name="Message Bunny")).to_be_visible()
    hold(toy, toy.get_by_role("button", name="Message Bunny"))
    expect(toy.get_by_role("status").filter(has_text="Message sent to Bunny")).to_be_visible()
    expect(other_toy.locator("#played")).to_contain_text("Message from Teddy", timeout=POLL)

    # Unbind: the toy can no longer start and says why.
    parent.get_by_role("button", name="Unbind Teddy").click()
    parent.get_by_role("dialog").get_by_role("button", name="Unbind").click()
    expect(parent.get_by_text("Teddy is unbound")).to_be_visible()
    expect(parent.get_by_role("link", name="Teddy")).to_have_count(0)
    toy.reload()
    expect(toy.get_by_text("not bound to a parent yet")).to_be_visible()
    expect(toy.get_by_label("Device key")).to_have_value(key)
