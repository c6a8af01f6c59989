"""LovenseLanClient against a fake Remote app over real TLS on loopback (test CA)."""

import socket

import pytest

from services.clients.lovense_lan import (
    LanUnreachable,
    LovenseLanClient,
    parse_lan_domain,
    parse_port,
)
from services.errors import InvalidInput, Upstream, UpstreamTimeout
from tests.fakes import netguard
from tests.fakes.lovense_fixtures import authority_fixture, lan_app_fixture  # noqa: F401
from tests.fakes.netguard import loopback_only  # noqa: F401  (autouse guard)
from tests.fakes.tls import LAN_NAME


@pytest.fixture
def client(authority):
    lan = LovenseLanClient("SmartToy", timeout=0.5, ca_bundle=authority.ca_path)
    yield lan
    lan.close()


@pytest.mark.parametrize("domain,expected", [
    ("127-0-0-1.lovense.club", ("127.0.0.1", "127-0-0-1.lovense.club")),
    ("192-168-1-44.lovense.club", ("192.168.1.44", "192-168-1-44.lovense.club")),
    ("192.168.1.44.lovense.club", ("192.168.1.44", "192-168-1-44.lovense.club")),
    ("10-0-0-7.LOVENSE.club.", ("10.0.0.7", "10-0-0-7.lovense.club")),
    ("172-31-255-1.lovense.club", ("172.31.255.1", "172-31-255-1.lovense.club")),
])
def test_domain_names_a_private_ip(domain, expected):
    assert parse_lan_domain(domain) == expected


@pytest.mark.parametrize("domain", [
    "8-8-8-8.lovense.club", "169-254-169-254.lovense.club", "172-32-0-1.lovense.club",
    "0-0-0-0.lovense.club", "100-64-0-1.lovense.club", "127-0-0-256.lovense.club",
    "127-0-0-1.lovense.club.evil.com", "evil.com", "127.0.0.1", "", None, 42,
    "a127-0-0-1.lovense.club", "127-0-0-1.lovense.club/x",
])
def test_other_domains_are_refused(domain):
    with pytest.raises(InvalidInput):
        parse_lan_domain(domain)


def test_ports_from_strings_or_ints():
    assert parse_port("34568") == 34568 and parse_port(30010) == 30010
    for bad in ("0", "65536", "x", None, ""):
        with pytest.raises(InvalidInput):
            parse_port(bad)


def test_command_reaches_the_app_with_platform_header_sni_and_host(client, lan_app):
    body = {"command": "Function", "action": "Vibrate:16", "timeSec": 20, "apiVer": 1}
    answer = client.command(LAN_NAME, str(lan_app.port), body)
    assert answer == {"code": 200, "type": "ok"}
    record = lan_app.requests[-1]
    assert record["path"] == "/command" and record["json"] == body
    assert record["headers"]["X-platform"] == "SmartToy"
    assert record["headers"]["Content-Type"] == "application/json"
    assert record["headers"]["Host"] == f"{LAN_NAME}:{lan_app.port}"
    assert lan_app.server_names[-1] == LAN_NAME


def test_dotted_domain_is_verified_against_the_dashed_name(client, lan_app):
    client.command("127.0.0.1.lovense.club", lan_app.port, {"command": "GetToyName"})
    assert lan_app.server_names[-1] == LAN_NAME


def test_certificate_for_another_name_is_refused(authority):
    from tests.fakes.https import RecordingHttpsServer

    class WrongName(RecordingHttpsServer):
        def respond(self, record):
            return 200, {"code": 200}

    fake = WrongName(authority.server_context("other.example"))
    lan = LovenseLanClient("SmartToy", timeout=0.5, ca_bundle=authority.ca_path)
    try:
        with pytest.raises(LanUnreachable):
            lan.command(LAN_NAME, fake.port, {"command": "GetToys"})
        assert fake.requests == []
    finally:
        lan.close()
        fake.close()


def test_untrusted_ca_is_refused(lan_app):
    lan = LovenseLanClient("SmartToy", timeout=0.5)
    try:
        with pytest.raises(LanUnreachable):
            lan.command(LAN_NAME, lan_app.port, {"command": "GetToys"})
        assert lan_app.requests == []
    finally:
        lan.close()


@pytest.mark.parametrize("code,msg", [
    (500, "Lovense app HTTP server is not started or disabled"),
    (400, "Lovense app rejected the command (invalid command)"),
    (401, "toy not found"), (402, "toy not connected"),
    (403, "toy doesn't support this command"),
    (404, "Lovense app rejected a parameter (invalid parameter)"),
    (506, "Lovense app server error, restart Lovense Remote/Connect"),
])
def test_documented_error_codes(client, lan_app, code, msg):
    lan_app.fail_with(code)
    with pytest.raises(Upstream) as caught:
        client.command(LAN_NAME, lan_app.port, {"command": "GetToys"})
    assert type(caught.value) is Upstream
    assert caught.value.status == 502 and caught.value.msg == msg
    assert caught.value.data == {"lovense_code": code}


def test_get_toys_answer_is_returned_raw(client, lan_app):
    answer = client.command(LAN_NAME, lan_app.port, {"command": "GetToys"})
    assert isinstance(answer["data"]["toys"], str)


def test_hang_is_a_timeout(client, lan_app):
    lan_app.hang(3)
    with pytest.raises(UpstreamTimeout) as caught:
        client.command(LAN_NAME, lan_app.port, {"command": "GetToys"})
    assert caught.value.status == 504


def test_dropped_connection_and_vanished_app_are_unreachable(client, lan_app):
    lan_app.drop()
    with pytest.raises(LanUnreachable):
        client.command(LAN_NAME, lan_app.port, {"command": "GetToys"})
    lan_app.vanish()
    with pytest.raises(LanUnreachable):
        client.command(LAN_NAME, lan_app.port, {"command": "GetToys"})


def test_success_told_by_type_alone(client, lan_app):
    lan_app.respond = lambda record: (200, {"type": "OK"})
    assert client.command(LAN_NAME, lan_app.port, {"command": "GetToys"}) == {"type": "OK"}
    lan_app.respond = lambda record: (200, {"code": "402", "type": "error"})
    with pytest.raises(Upstream) as caught:
        client.command(LAN_NAME, lan_app.port, {"command": "GetToys"})
    assert caught.value.data == {"lovense_code": 402}


def test_unreadable_answer(client, lan_app):
    lan_app.respond = lambda record: (200, b"<html>no</html>")
    with pytest.raises(Upstream) as caught:
        client.command(LAN_NAME, lan_app.port, {"command": "GetToys"})
    assert caught.value.data == {"http_status": 200}


def test_private_address_is_never_contacted_from_tests(client):
    """The guard's own check, without sending anything: a private target is refused."""
    netguard.install()
    with socket.socket() as sock, pytest.raises(netguard.NonLoopbackConnection):
        netguard._hook("socket.connect", (sock, ("192.168.1.44", 30010)))
    netguard._state["violations"].clear()
    assert netguard.is_loopback("127.0.0.1") and netguard.is_loopback("::1")
    assert not netguard.is_loopback("127-0-0-1.lovense.club")
