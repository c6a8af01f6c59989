"""TLS settings shared by the outbound clients: the system trust store plus an optional extra CA.

``LOVENSE_CA_BUNDLE`` adds to the default roots (it does not replace them), so tests can trust a
``trustme`` CA while production keeps verifying Lovense's public certificates.
"""

import ssl

import certifi


def client_context(extra_ca=None):
    """A verifying client ``SSLContext``: system roots, certifi's roots and ``extra_ca``."""
    context = ssl.create_default_context()
    context.load_verify_locations(cafile=certifi.where())
    if extra_ca:
        context.load_verify_locations(cafile=str(extra_ca))
    return context
