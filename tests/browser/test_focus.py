"""Keyboard focus in the parent app: it follows the person to each new view, comes back to the
button after a failed request and after the error is dismissed (never lost to the page body)."""

from playwright.sync_api import expect

from tests.browser.parent_steps import allow_console, bind, sign_up


def test_focus_follows_the_person_through_views_and_errors(web_server, new_page):
    page = new_page(width=360)
    sign_up(page, web_server, "fern")
    expect(page.get_by_role("heading", name="Bind a toy")).to_be_focused()

    page.get_by_label("Device key").fill("0" * 32)
    page.get_by_label("Toy name").fill("Teddy")
    page.get_by_label("Child's name").fill("Lily")
    bind_button = page.get_by_role("button", name="Bind toy")
    bind_button.click()
    expect(page.get_by_role("alert")).to_contain_text("Unknown key")
    expect(bind_button).to_be_focused()  # back on the button once the request failed
    page.get_by_role("button", name="Dismiss").click()
    expect(page.get_by_role("alert")).to_be_hidden()
    expect(bind_button).to_be_focused()

    bind(page, web_server.devices(1)[0])
    expect(page.get_by_role("heading", name="Teddy", exact=True)).to_be_focused()
    page.get_by_role("button", name="Chats").click()
    page.get_by_role("link", name="Teddy").click()
    expect(page.get_by_role("heading", name="Chat with Teddy")).to_be_focused()


def test_a_taken_username_is_explained_and_focused(web_server, new_page):
    web_server.parent("gale")
    page = new_page(width=360)
    page.goto(web_server.url + "/")
    page.get_by_role("button", name="Register").click()
    page.get_by_label("Username").fill("gale")
    page.get_by_label("Password").fill("secret123")
    page.get_by_label("Nickname").fill("Gale")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("alert")).to_contain_text(
        'The username "gale" is taken. Choose another one, or log in if it is yours.')
    expect(page.get_by_label("Username")).to_be_focused()
    allow_console(page, "409")
