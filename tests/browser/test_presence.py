"""Toy presence in the parent app: a toy connected before the page opens shows Online at once."""

from playwright.sync_api import expect

from tests.browser.parent_steps import ToySocket, family, log_in


def test_a_toy_connected_before_the_page_opens_shows_online(web_server, new_page):
    _, _, teddy_token = family(web_server, "olga", "Teddy")
    toy = ToySocket(web_server, teddy_token)
    try:
        page = new_page(width=360)
        log_in(page, web_server, "olga")
        teddy = page.get_by_role("listitem").filter(has=page.get_by_role("link", name="Teddy"))
        expect(teddy.get_by_text("Online", exact=True)).to_be_visible()
    finally:
        toy.close()
    # A toy disconnecting is covered over HTTP/Socket.IO in tests/test_presence.py: when the
    # gevent server notices a client's close depends on the machine's load.
