"""Redis key tracking (``services.store.tracking``): which kept values changed, told by Redis.

The protocol is checked against the real Redis (skipped only without one, and CI requires it);
lost, silent and refusing servers with a scripted connection."""

import time

import fakeredis
import mongomock
import pytest
import redis

from services.speech.tts import FakeTTS
from services.store.tracking import KeyTracker, tracking_connection
from tests.messaging import FakeConverter, Family
from tests.support import Api


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def live_redis(real_redis):
    if real_redis is None:
        pytest.skip("needs the real Redis (REQUIRE_REDIS=1 makes this a failure)")
    return real_redis


def told_until(tracker, told, wanted, timeout=2.0):
    """Refresh until ``wanted`` is among the keys told (a write's invalidation reaches this
    socket in the same pass of Redis's loop as the write's reply, a few microseconds apart)."""
    deadline = time.monotonic() + timeout
    while wanted not in told and time.monotonic() < deadline:
        assert tracker.refresh()
        time.sleep(0.001)
    return wanted in told


def test_writes_by_any_client_under_the_prefixes_are_told(live_redis, redis_prefix):
    tracker = KeyTracker(tracking_connection(live_redis), [f"{redis_prefix}gen",
                                                          f"{redis_prefix}unread:"])
    told = []
    tracker.listen(told.append)
    try:
        assert tracker.refresh() and told == [None]  # connected: whatever was kept is stale
        live_redis.set(f"{redis_prefix}other", "1")
        live_redis.set(f"{redis_prefix}gen", "a")
        live_redis.hincrby(f"{redis_prefix}unread:u1", "friend", 1)
        assert told_until(tracker, told, f"{redis_prefix}unread:u1")
        assert told[1:] == [f"{redis_prefix}gen", f"{redis_prefix}unread:u1"]
    finally:
        tracker.close()
        live_redis.delete(f"{redis_prefix}other", f"{redis_prefix}gen",
                          f"{redis_prefix}unread:u1")


def test_a_killed_connection_is_noticed_and_opened_again(live_redis, redis_prefix, clock):
    name = f"{redis_prefix}tracking"
    tracker = KeyTracker(tracking_connection(live_redis, name), [f"{redis_prefix}gen"],
                         retry_seconds=1.0, clock=clock)
    told = []
    tracker.listen(told.append)
    try:
        assert tracker.refresh()
        ours = [c["id"] for c in live_redis.client_list(_type="pubsub") if c["name"] == name]
        assert len(ours) == 1
        live_redis.client_kill_filter(_id=ours[0])
        deadline = time.monotonic() + 2
        while tracker.refresh() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not tracker.refresh() and told[-1] is None
        clock.now += 1.5  # after retry_seconds it subscribes again
        assert tracker.refresh()
        live_redis.set(f"{redis_prefix}gen", "b")
        assert told_until(tracker, told, f"{redis_prefix}gen")
    finally:
        tracker.close()
        live_redis.delete(f"{redis_prefix}gen")


def test_an_unreachable_redis_is_tried_once_per_retry_period(clock):
    attempts = []

    def connect():
        attempts.append(clock.now)
        raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:1")

    tracker = KeyTracker(connect, ["k"], retry_seconds=1.0, clock=clock)
    assert not tracker.refresh() and not tracker.refresh()
    clock.now += 1.1
    assert not tracker.refresh()
    assert attempts == [1000.0, 1001.1]


def test_a_redis_without_tracking_is_never_asked_again():
    server = fakeredis.FakeRedis(server=fakeredis.FakeServer(), decode_responses=True)
    connect, opened = tracking_connection(server), []
    tracker = KeyTracker(lambda: opened.append(1) or connect(), ["k"], retry_seconds=0)
    assert not tracker.refresh() and not tracker.refresh() and not tracker.refresh()
    assert opened == [1]  # an error answer (unknown command) is final


class ScriptedConnection:
    """A subscribed connection whose incoming replies the test queues."""

    def __init__(self):
        self.incoming, self.sent, self.closed = [], [], False

    def send_command(self, *args):
        self.sent.append(args)
        if args[0] == "CLIENT" and args[1] == "ID":
            self.incoming.append(7)
        elif args[0] == "CLIENT":
            self.incoming.append("OK")
        elif args[0] == "SUBSCRIBE":
            self.incoming.append(["subscribe", args[1], 1])

    def read_response(self):
        return self.incoming.pop(0)

    def can_read(self, timeout=0):
        return bool(self.incoming)

    def disconnect(self):
        self.closed = True


def scripted(clock, prefixes=("a:",)):
    """A tracker on a ScriptedConnection (pinged after 2 quiet seconds, distrusted after 6),
    opened by its first refresh; returns ``(connection, tracker, keys told)``."""
    conn, told = ScriptedConnection(), []
    tracker = KeyTracker(lambda: conn, prefixes, ping_seconds=2.0, stale_seconds=6.0,
                         clock=clock)
    tracker.listen(told.append)
    assert tracker.refresh()
    return conn, tracker, told


def test_the_tracking_request_names_every_prefix_and_redirects_to_itself(clock):
    conn, _, _ = scripted(clock, ["a:", "b:"])
    assert conn.sent == [("CLIENT", "ID"),
                         ("CLIENT", "TRACKING", "ON", "REDIRECT", 7, "BCAST", "PREFIX", "a:",
                          "PREFIX", "b:"),
                         ("SUBSCRIBE", "__redis__:invalidate")]


def test_a_flush_tells_everything_changed(clock):
    conn, tracker, told = scripted(clock)
    conn.incoming += [["message", "__redis__:invalidate", ["a:1", "a:2"]],
                      ["message", "__redis__:invalidate", None]]
    assert tracker.refresh()
    assert told == [None, "a:1", "a:2", None]


def test_a_silent_connection_is_pinged_then_dropped(clock):
    conn, tracker, told = scripted(clock)
    clock.now += 2.5
    assert tracker.refresh() and conn.sent[-1] == ("PING",)
    conn.incoming.append(["pong", ""])  # answered: heard from again
    clock.now += 1.0
    assert tracker.refresh()
    clock.now += 2.5
    assert tracker.refresh() and conn.sent[-1] == ("PING",)
    clock.now += 5.0  # no answer, not heard from for 7.5 s: not trusted, not dropped yet
    assert not tracker.refresh() and not conn.closed and told == [None]
    clock.now += 1.5  # the PING unanswered for more than stale_seconds: dead
    assert not tracker.refresh()
    assert conn.closed and told[-1] is None


def test_after_an_idle_spell_the_connection_is_checked_before_it_is_trusted(clock):
    conn, tracker, told = scripted(clock)
    clock.now += 600  # nobody asked for ten minutes
    assert not tracker.refresh() and conn.sent[-1] == ("PING",) and not conn.closed
    conn.incoming += [["message", "__redis__:invalidate", ["a:1"]], ["pong", ""]]
    clock.now += 0.001
    assert tracker.refresh()  # the news sent before the answer has been told
    assert told == [None, "a:1"] and len([c for c in conn.sent if c == ("PING",)]) == 1


def test_a_connection_error_while_reading_is_a_loss(clock):
    conn, tracker, _ = scripted(clock)

    def broken(timeout=0):
        raise redis.exceptions.ConnectionError("Connection closed by server.")

    conn.can_read = broken
    assert not tracker.refresh() and conn.closed


class CountingRedis:
    """The test Redis client, counting the reads of kept values."""

    def __init__(self, client):
        self._client = client
        self.reads = []

    def get(self, key):
        self.reads.append("GET")
        return self._client.get(key)

    def hgetall(self, key):
        self.reads.append("HGETALL")
        return self._client.hgetall(key)

    def __getattr__(self, name):
        return getattr(self._client, name)


def test_with_tracking_an_unchanged_auto_login_reads_nothing_from_redis(make_app, live_redis,
                                                                       tmp_path):
    """Two processes on one MongoDB and one Redis: the first keeps the generation and the unread
    counts, and sees at its next request what the second changed (a message, a logout)."""
    db = mongomock.MongoClient()["smarttoy"]
    counted = CountingRedis(live_redis)
    media = {"MEDIA_DIR": str(tmp_path / "media")}
    first = Api(make_app(media, mongo_db=db, redis=counted, converter=FakeConverter(),
                         tts=FakeTTS()))
    second = Api(make_app(media, mongo_db=db, converter=FakeConverter(), tts=FakeTTS()))
    family = Family(second)
    for _ in range(2):  # builds the counters, then reads them under tracking
        first.ok("/auto_login", family.parent)
    time.sleep(0.05)  # the invalidations of the first process's own writes have arrived
    first.ok("/auto_login", family.parent)
    counted.reads.clear()
    assert first.ok("/auto_login", family.parent)["chat"] == {"count": 0}
    assert counted.reads == []
    status, _ = family.reply()  # the toy's message, stored and counted by the second
    assert status == 200
    assert first.ok("/auto_login", family.parent)["chat"] == {family.toy_id: 1, "count": 1}
    assert counted.reads == ["HGETALL"]  # read again once told, the generation still kept
    second.ok("/logout", family.parent)
    assert first.post("/auto_login", family.parent)[0] == 401


def test_without_tracking_every_auto_login_reads_redis(make_app, live_redis):
    counted = CountingRedis(live_redis)
    api = Api(make_app({"REDIS_TRACKING": False}, redis=counted))
    _, token = api.user()
    api.ok("/auto_login", token)
    counted.reads.clear()
    api.ok("/auto_login", token)
    assert counted.reads == ["GET", "HGETALL"]
