"""Device control in the parent app: a toy linked to Lovense (the real LAN client against the
fake Lovense Remote app over TLS on loopback; the callback posted as Lovense Remote does)."""

import re

import requests
from playwright.sync_api import expect

from services.lovense.linking import utoken_for
from tests.browser.parent_steps import family, log_in
from tests.fakes.lovense_fixtures import (  # noqa: F401  (fixtures)
    DEV_TOKEN,
    authority_fixture,
    cloud_fixture,
    lan_app_fixture,
)
from tests.fakes.lovense_lan import TOYS
from tests.fakes.tls import LAN_NAME

SECRET = "browser-test-secret-0123456789"
QR_IMAGE = "https://test2.lovense.com/UploadFiles/qr/20220106/xxx.jpg"  # what the fake cloud names


def test_link_status_sliders_presets_and_stop(make_server, authority, cloud, lan_app, new_page,
                                              shot, voice_wav):
    server = make_server(LOVENSE_CA_BUNDLE=authority.ca_path, LOVENSE_API_BASE=cloud.base_url,
                         LOVENSE_DEVELOPER_TOKEN=DEV_TOKEN, LOVENSE_PLATFORM="SmartToy",
                         LOVENSE_MIN_INTERVAL="0", SECRET_KEY=SECRET)
    login, toy_id, _ = family(server, "lena", "Teddy")
    page = new_page()
    page.route(QR_IMAGE, lambda route: route.fulfill(path=_png(voice_wav)))
    log_in(page, server, "lena")
    page.get_by_role("link", name="Teddy").click()
    page.get_by_role("button", name="Device control").click()
    stop = page.get_by_role("button", name="Stop")
    expect(stop).to_be_visible()
    expect(page.get_by_text("No Lovense device is linked")).to_be_visible()

    page.get_by_role("button", name="Link a Lovense device").click()
    expect(page.get_by_role("img", name="Lovense link QR code")).to_be_visible()
    expect(page.get_by_text("Ab12Cd")).to_be_visible()
    assert cloud.received("/api/lan/getQrCode")[0]["uid"] == toy_id

    callback = {"uid": toy_id, "utoken": utoken_for(SECRET, toy_id), "domain": LAN_NAME,
                "httpsPort": str(lan_app.port), "httpPort": "0", "wsPort": "0", "wssPort": "0",
                "toys": TOYS, "appType": "remote", "platform": "ios", "appVersion": "6.0",
                "version": 2}
    assert requests.post(server.url + "/lovense/callback", json=callback,
                         timeout=10).json()["code"] == 0
    expect(page.get_by_text("Linked through Lovense Remote (ios)")).to_be_visible()  # live
    expect(page.get_by_role("list", name="Lovense toys").get_by_text("Connected", exact=True)
           ).to_be_visible()
    shot(page, "parent-control", width=360, clear="#status")

    vibrate = page.get_by_label("Vibrate level for nora")
    expect(page.get_by_label("Rotate level for nora")).to_be_visible()
    expect(page.get_by_label("Vibrate level for Pinky")).to_be_visible()
    vibrate.fill("12")
    _wait_for(lambda: any(b.get("action") == "Vibrate:12" and b.get("toy") == "f082c00246fa"
                          for b in lan_app.bodies), page)
    page.get_by_role("group", name="Presets").get_by_role("button", name="Wave").click()
    _wait_for(lambda: any(b.get("command") == "Preset" and b.get("name") == "wave"
                          for b in lan_app.bodies), page)
    stop.click()
    expect(page.get_by_text("Stopped.")).to_be_visible()
    assert lan_app.bodies[-1]["action"] == "Stop" and lan_app.bodies[-1]["command"] == "Function"
    expect(vibrate).to_have_value("0")

    lan_app.fail_with(402)
    page.get_by_role("button", name="Pulse").click()
    expect(page.get_by_role("alert")).to_contain_text(re.compile("not connected", re.I))
    page.console_errors[:] = [e for e in page.console_errors if "status of 502" not in e]


def _png(tmp):
    """A tiny PNG for the routed QR image (made once next to the session's wav)."""
    import subprocess

    from tests.browser.conftest import ffmpeg

    path = tmp.parent / "qr.png"
    if not path.exists():
        subprocess.run([ffmpeg(), "-v", "error", "-f", "lavfi", "-i", "color=c=white:s=64x64",
                        "-frames:v", "1", "-y", str(path)], check=True, timeout=60)
    return str(path)


def _wait_for(condition, page, timeout_ms=10_000):
    waited = 0
    while not condition():
        assert waited < timeout_ms, "the fake Lovense app did not get the command"
        page.wait_for_timeout(100)
        waited += 100
