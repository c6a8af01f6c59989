"""Pytest fixtures for the Lovense fakes; test modules import the ``*_fixture`` functions they
use (each registers the fixture under the short name: ``cloud``, ``lan_app`` ...)."""

import pytest

from tests.fakes.lovense_cloud import FakeLovenseCloud
from tests.fakes.lovense_lan import FakeLovenseApp
from tests.fakes.socketio2 import FakeSocketIo2Server
from tests.fakes.tls import TestAuthority

DEV_TOKEN = "DEVTOKEN-FE1TxWpTciAl4E2QfYEfPLvo2jf8V6WJ"


@pytest.fixture(scope="session", name="authority")
def authority_fixture(tmp_path_factory):
    """The session's test CA; ``authority.ca_path`` is the LOVENSE_CA_BUNDLE file."""
    return TestAuthority(tmp_path_factory.mktemp("lovense-ca"))


@pytest.fixture(name="lan_app")
def lan_app_fixture(authority):
    fake = FakeLovenseApp(authority)
    yield fake
    fake.close()


@pytest.fixture(name="cloud")
def cloud_fixture(authority):
    fake = FakeLovenseCloud(authority, DEV_TOKEN)
    yield fake
    fake.close()


@pytest.fixture(name="socket_server")
def socket_server_fixture():
    fake = FakeSocketIo2Server(ping_interval_ms=300, ping_timeout_ms=400)
    yield fake
    fake.close()
