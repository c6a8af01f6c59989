"""A test guard: any connection attempt or name lookup outside loopback fails the test.

It uses a Python audit hook (``socket.connect``, ``socket.getaddrinfo``, ``socket.sendto``,
``socket.gethostbyname``), so it sees every client library without patching any of them. The
attempt itself is refused with ``PermissionError`` and recorded; the fixture then fails the test
even when the code under test caught the error (e.g. a LAN → server fallback).

Use: ``from tests.fakes.netguard import loopback_only  # noqa: F401`` in a test module (the
fixture is autouse), or import it in a conftest to cover a whole folder.
"""

import ipaddress
import socket
import sys
import threading

import pytest

ALLOWED_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}
_state = {"active": False, "violations": [], "installed": False}
_lock = threading.Lock()


class NonLoopbackConnection(PermissionError):
    """Raised inside the code under test when it tries to leave the machine."""


def is_loopback(host):
    """True for 127.0.0.0/8, ::1 and the localhost names."""
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    host = host.strip("[]").lower()
    if host in ALLOWED_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_loopback


def _target(event, args):
    if event in ("socket.connect", "socket.sendto"):
        sock, address = args[0], args[-1]
        if getattr(sock, "family", None) == socket.AF_UNIX or isinstance(address, (str, bytes)):
            return None
        return address[0] if isinstance(address, tuple) and address else address
    if event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex"):
        host = args[0]
        return None if host in (None, "", b"") else host
    return None


def _hook(event, args):
    if not _state["active"] or not event.startswith("socket."):
        return
    host = _target(event, args)
    if host is None or is_loopback(host):
        return
    with _lock:
        _state["violations"].append(f"{event} {host!r}")
    raise NonLoopbackConnection(f"test guard: {event} to non-loopback {host!r} refused")


def install():
    """Install the audit hook once per process (audit hooks cannot be removed)."""
    with _lock:
        if not _state["installed"]:
            sys.addaudithook(_hook)
            _state["installed"] = True


@pytest.fixture(autouse=True)
def loopback_only():
    """Refuse and record non-loopback network access during the test; fail it if any."""
    install()
    with _lock:
        _state["violations"] = []
        _state["active"] = True
    try:
        yield
    finally:
        with _lock:
            _state["active"] = False
            violations = list(_state["violations"])
    assert not violations, f"non-loopback network access attempted: {violations}"
