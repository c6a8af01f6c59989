"""Layout a parent meets on a 360 px phone: every toy and chat in a list is a finger-sized link."""

from playwright.sync_api import expect

from tests.browser.parent_steps import family, log_in

FINGER = 44  # px, the usual minimum touch target


def test_toy_and_chat_links_are_finger_sized_at_360px(web_server, new_page):
    family(web_server, "ines", "Teddy")
    page = new_page(width=360)
    log_in(page, web_server, "ines")
    for tab in ("My toys", "Chats"):
        page.get_by_role("button", name=tab).click()
        link = page.get_by_role("list").get_by_role("link", name="Teddy")
        expect(link).to_be_visible()
        box = link.bounding_box()
        assert box["height"] >= FINGER and box["width"] >= FINGER, (tab, box)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing sideways
