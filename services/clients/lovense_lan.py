"""Client of the Lovense Remote app's local HTTPS server (Standard API by LAN, seeds/002).

The app names itself ``A-B-C-D.lovense.club`` (a public name for the private IP A.B.C.D; one doc
example uses dots, both are parsed). Routers with DNS-rebinding protection refuse to resolve
these names, so the client takes the IP from the name, connects to it directly, and verifies TLS
against the name (SNI and certificate). Only loopback and private IPv4 addresses are accepted:
the callback is attacker-controlled input and must not turn the server into an SSRF proxy.
"""

import ipaddress
import json
import logging
import re
import threading

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    MaxRetryError,
    NewConnectionError,
    ReadTimeoutError,
)

from services.clients.tls import client_context
from services.errors import InvalidInput, Upstream, UpstreamTimeout
from services.lovense.codes import lovense_error, result_code

log = logging.getLogger(__name__)
LAN_DOMAIN = re.compile(r"([0-9]{1,3})[-.]([0-9]{1,3})[-.]([0-9]{1,3})[-.]([0-9]{1,3})"
                        r"\.lovense\.club\.?", re.IGNORECASE)
ALLOWED_NETWORKS = tuple(ipaddress.ip_network(n) for n in (
    "127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
MAX_POOLS = 64


class LanUnreachable(Upstream):
    """502: the Lovense app's LAN server could not be reached (refused, reset, TLS failure)."""

    default_msg = "Lovense app is not reachable on the LAN"


def parse_lan_domain(domain):
    """``192-168-1-44.lovense.club`` (or dotted) → ``(ip, canonical dashed name)``.

    Raises InvalidInput for any other name or for an address outside loopback/private ranges
    (link-local such as 169.254.169.254 included).
    """
    match = LAN_DOMAIN.fullmatch(domain.strip()) if isinstance(domain, str) else None
    if not match or any(int(octet) > 255 for octet in match.groups()):
        raise InvalidInput("domain must look like 192-168-1-44.lovense.club")
    ip = ipaddress.IPv4Address(".".join(str(int(octet)) for octet in match.groups()))
    if not any(ip in network for network in ALLOWED_NETWORKS):
        raise InvalidInput("domain must name a loopback or private LAN address")
    return str(ip), f"{str(ip).replace('.', '-')}.lovense.club"


def parse_port(value, field="httpsPort"):
    """A TCP port given as an int or a string (the callback sends strings)."""
    try:
        port = int(str(value).strip())
    except (TypeError, ValueError):
        raise InvalidInput(f"{field} must be a port number") from None
    if not 0 < port < 65536:
        raise InvalidInput(f"{field} must be between 1 and 65535")
    return port


class LovenseLanClient:
    """POSTs commands to ``https://{domain}:{httpsPort}/command`` with the ``X-platform`` header.

    ``platform`` is the application name shown in Lovense Remote; ``timeout`` bounds the connect
    and the read separately; ``ca_bundle`` is an extra trusted CA file.
    """

    def __init__(self, platform, timeout=5.0, ca_bundle=None):
        self.platform = platform or "smarttoy"
        self.timeout = urllib3.Timeout(connect=timeout, read=timeout)
        self._context = client_context(ca_bundle)
        self._pools = {}
        self._lock = threading.Lock()

    def _pool(self, ip, port, hostname):
        key = (ip, port, hostname)
        with self._lock:
            pool = self._pools.get(key)
            if pool is None:
                if len(self._pools) >= MAX_POOLS:
                    self._pools.pop(next(iter(self._pools))).close()
                pool = urllib3.HTTPSConnectionPool(
                    ip, port, ssl_context=self._context, server_hostname=hostname,
                    assert_hostname=hostname, timeout=self.timeout, retries=False, maxsize=2)
                self._pools[key] = pool
            return pool

    def command(self, domain, https_port, body):
        """Send ``body`` and return the app's JSON answer (code 200).

        Raises InvalidInput for a bad domain/port, LanUnreachable when the app cannot be reached,
        UpstreamTimeout when it does not answer in time, Upstream with ``lovense_code`` for a
        Lovense error code or an unreadable answer.
        """
        ip, hostname = parse_lan_domain(domain)
        port = parse_port(https_port)
        headers = {"Host": f"{hostname}:{port}", "Content-Type": "application/json",
                   "X-platform": self.platform}
        try:
            response = self._pool(ip, port, hostname).urlopen(
                "POST", "/command", body=json.dumps(body).encode(), headers=headers,
                assert_same_host=False, preload_content=True, release_conn=True)
        except (MaxRetryError, HTTPError, OSError) as exc:
            reason = getattr(exc, "reason", None) or exc
            # NewConnectionError subclasses ConnectTimeoutError in urllib3 2: refused, not slow.
            if isinstance(reason, (ConnectTimeoutError, ReadTimeoutError)) and \
                    not isinstance(reason, NewConnectionError):
                log.warning("Lovense LAN %s:%s timed out", ip, port)
                raise UpstreamTimeout("Lovense app did not answer in time") from None
            log.warning("Lovense LAN %s:%s unreachable: %s", ip, port, type(reason).__name__)
            raise LanUnreachable() from None
        return check_lan_answer(response.status, response.data)

    def close(self):
        with self._lock:
            for pool in self._pools.values():
                pool.close()
            self._pools.clear()


def check_lan_answer(status, raw):
    """Decode the app's answer; raise Upstream unless it is JSON with code 200."""
    try:
        payload = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        payload = None
    code = result_code(payload)
    if code is None and isinstance(payload, dict) and str(payload.get("type", "")).lower() == "ok":
        return payload  # success is also told by type "OK"/"ok" (LOVENSE.md: compare caseless)
    if code is None:
        log.warning("Lovense LAN answered HTTP %s without a result code", status)
        raise Upstream("Lovense app sent an unreadable answer", data={"http_status": status})
    if code != 200:
        log.info("Lovense LAN answered code %s", code)
        raise lovense_error(code, "lan")
    return payload
