"""Shared fixtures.

Redis: tests use the real server at TEST_REDIS_URL (default redis://127.0.0.1:6379/15) when it is
reachable, each test under its own key prefix; with REQUIRE_REDIS=1 (CI) an unreachable server
fails the run instead of falling back to fakeredis. MongoDB: mongomock per test (the embedded
store and the real pymongo path have their own suites).
"""

import os
import subprocess
import uuid
from pathlib import Path

import fakeredis
import mongomock
import pytest
import redis

from app import create_app
from tests.fakes.netguard import loopback_only  # noqa: F401  (autouse: nothing leaves loopback)
from tests.support import Api

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# A developer's .env (e.g. APP_ENV=production) must not change what the tests see; the tests of
# .env loading name their own file. Servers the tests start inherit this too.
os.environ["ENV_FILE"] = os.devnull


@pytest.fixture(scope="session")
def real_redis():
    """The real Redis server, or None when unreachable (fails the run under REQUIRE_REDIS=1)."""
    client = redis.Redis.from_url(TEST_REDIS_URL, decode_responses=True, socket_timeout=5,
                                  socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        if os.environ.get("REQUIRE_REDIS") == "1":
            pytest.fail(f"REQUIRE_REDIS=1 but Redis at {TEST_REDIS_URL} is unreachable: {exc}")
        return None
    return client


@pytest.fixture
def redis_prefix():
    return f"test:{uuid.uuid4().hex[:12]}:"


@pytest.fixture
def redis_client(real_redis, redis_prefix):
    """The Redis client tests share (real when reachable); keys under the test's prefix are
    deleted afterwards."""
    client = real_redis if real_redis is not None else fakeredis.FakeRedis(decode_responses=True)
    yield client
    keys = list(client.scan_iter(f"{redis_prefix}*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture
def settings(tmp_path, redis_prefix):
    """Settings for a test app: temp folders, fast password hashing, no rate limit."""
    return {
        "DATA_DIR": str(tmp_path / "data"),
        "MEDIA_DIR": str(tmp_path / "media"),
        "REDIS_PREFIX": redis_prefix,
        "REDIS_URL": None,
        "MONGO_URI": None,
        "RATE_LIMIT": "0",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "LOG_LEVEL": "WARNING",
        "ASYNC_MODE": "threading",
    }


@pytest.fixture
def make_app(settings, redis_client):
    """``make_app(config_overrides..., **injected)`` → a new app on mongomock + test Redis."""

    def make(config=None, **overrides):
        overrides.setdefault("mongo_db", _test_database(settings))
        overrides.setdefault("redis", redis_client)
        return create_app({**settings, **(config or {})}, **overrides)

    return make


def _test_database(settings):
    """mongomock, or the embedded SQLite document store with TEST_STORE=embedded (the whole
    suite then runs on the store ``python app.py`` uses)."""
    if os.environ.get("TEST_STORE") == "embedded":
        from services.store.docstore import DocClient

        return DocClient(Path(settings["DATA_DIR"]) / "store")["smarttoy"]
    return mongomock.MongoClient()["smarttoy"]


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def api(app):
    return Api(app)


ROOT = Path(__file__).resolve().parent.parent


def _mongoeco_python():
    python = os.environ.get("MONGOECO_PYTHON") or str(ROOT / ".venv313" / "bin" / "python")
    return python if Path(python).exists() else None


@pytest.fixture(scope="session")
def wire_mongo_uri():
    """URI of a MongoDB wire-protocol server (mongoeco) on 127.0.0.1 for real-pymongo tests.

    Needs Python >= 3.13 with mongoeco (``.ci/run`` builds ``.venv313``); skipped when absent
    unless REQUIRE_MONGOECO=1, which fails instead.
    """
    python = _mongoeco_python()
    if python is None:
        if os.environ.get("REQUIRE_MONGOECO") == "1":
            pytest.fail("REQUIRE_MONGOECO=1 but no Python with mongoeco (set MONGOECO_PYTHON)")
        pytest.skip("mongoeco not installed (run .ci/run or set MONGOECO_PYTHON)")
    proc = subprocess.Popen([python, str(ROOT / "tests" / "mongo_wire_server.py")],
                            stdout=subprocess.PIPE, text=True)
    try:
        with proc.stdout:
            line = proc.stdout.readline()
        if not line.startswith("PORT "):
            pytest.fail(f"mongoeco server did not start: {line!r}")
        yield f"mongodb://127.0.0.1:{int(line.split()[1])}/?directConnection=true"
    finally:
        proc.kill()
        proc.wait(timeout=10)
