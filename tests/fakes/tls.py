"""A test certificate authority (trustme) and server certificates for the loopback fakes.

The fake Remote app gets a certificate for ``127-0-0-1.lovense.club`` (what the real app
presents, by name), the fake cloud one for ``127.0.0.1`` and ``localhost``. The CA file is what
tests pass as ``LOVENSE_CA_BUNDLE``, so the clients' real TLS verification runs.
"""

import ssl

import trustme

LAN_NAME = "127-0-0-1.lovense.club"


class TestAuthority:
    """One CA per test session, written to ``ca_path`` for the clients."""

    __test__ = False

    def __init__(self, folder):
        self.ca = trustme.CA()
        self.ca_path = folder / "lovense-test-ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_path))

    def server_context(self, *names):
        """A server ``SSLContext`` with a leaf certificate for ``names``."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ca.issue_cert(*names).configure_cert(context)
        return context
