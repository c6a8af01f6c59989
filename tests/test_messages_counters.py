"""Unread counters: exact under concurrent senders and readers on the real Redis, rebuilt from
MongoDB when Redis is flushed mid-run, answered from MongoDB when Redis is down."""

import random
import threading
import time

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from services.auth import Caller
from services.speech.tts import FakeTTS
from services.store.unread_cache import CachedUnreadStore
from services.unread import UnreadCounters
from tests.messaging import FakeConverter, Family, unread_in_mongo
from tests.support import Api

SENDERS, MESSAGES = 8, 200


@pytest.fixture
def api(make_app):
    return Api(make_app(tts=FakeTTS(), converter=FakeConverter(), serialize_mongo=True))


@pytest.fixture(params=["shared redis", "embedded"])
def any_api(request, make_app):
    """The app on the test Redis (shared, read every time), or as the embedded default runs:
    its own fakeredis, whose unread counts the store keeps in memory until it writes them."""
    overrides = {"redis": None} if request.param == "embedded" else {}
    return Api(make_app(tts=FakeTTS(), converter=FakeConverter(), serialize_mongo=True,
                        **overrides))


def parent_with_toys(api, count):
    """A parent owning ``count`` toys; returns ``(parent_id, token, [(toy_id, chat_id)])``."""
    parent_id, token = api.user()
    toys = [api.toy(token)[0] for _ in range(count)]
    friends = {f["friend_id"]: f["friend_chat"] for f in api.ok("/friend_list", token)}
    return parent_id, token, [(toy, friends[toy]) for toy in toys]


def run_threads(targets):
    threads = [threading.Thread(target=t) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)


def concurrent_traffic(api, parent_id, toys, during=None):
    """8 toys × 200 messages to the parent while a reader keeps opening chats (marking them
    read) and ``during()`` runs between batches; returns the errors seen."""
    messages, errors = api.services.messages, []
    done = threading.Event()

    def sender(toy_id):
        caller = Caller(toy_id, "toy", "")
        try:
            for _ in range(MESSAGES):
                messages.send_voice_message(caller, {"to_user": parent_id}, b"x", "reco")
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)

    def reader():
        rng = random.Random(7)
        parent = Caller(parent_id, "app", "")
        while not done.is_set():
            toy_id, _ = rng.choice(toys)
            messages.mark_read_from(parent.id, toy_id)
            api.services.unread.counts(parent_id)
            if during is not None:
                during()

    reader_thread = threading.Thread(target=reader)
    reader_thread.start()
    try:
        run_threads([lambda t=toy_id: sender(t) for toy_id, _ in toys])
    finally:
        done.set()
        reader_thread.join(timeout=60)
    return errors


def test_counts_are_exact_with_8_concurrent_senders(any_api):
    api = any_api
    parent_id, token, toys = parent_with_toys(api, SENDERS)
    assert concurrent_traffic(api, parent_id, toys) == []
    truth = unread_in_mongo(api, parent_id)
    assert api.services.unread.counts(parent_id) == truth
    assert api.ok("/auto_login", token)["chat"] == dict(truth, count=sum(truth.values()))
    assert api.services.store.db["messages"].count_documents({}) == SENDERS * MESSAGES


def test_unread_counts_are_kept_until_they_change(any_api, request):
    """Counts read once are answered from memory until they change: embedded, until this
    process writes them; with a shared Redis, until Redis tells that the hash changed (key
    tracking; the news of this process's own write may come after the next read, hence at most
    one more read). Either way every change shows at once."""
    api, embedded = any_api, request.node.callspec.params["any_api"] == "embedded"
    assert isinstance(api.services.store.unread, CachedUnreadStore)
    tracker = api.services.store.tracker  # refused by fakeredis (no real Redis): read each time
    most = 0 if embedded else 1 if tracker.refresh() else 3
    family = Family(api)
    client, reads = api.services.store.redis, []
    hgetall = client.hgetall
    client.hgetall = lambda key: reads.append(key) or hgetall(key)
    parent, unread = family.parent_caller(), api.services.unread
    try:
        for expected in (1, 2):
            api.services.messages.send_voice_message(parent, {"to_user": family.toy_id}, b"x",
                                                     "reco_file")
            assert unread.counts(family.toy_id) == {family.parent_id: expected}
            reads.clear()
            for _ in range(3):
                assert unread.counts(family.toy_id) == {family.parent_id: expected}
            assert len(reads) <= most
        status, _ = api.post("/recv_msg", family.toy, from_user=family.parent_id)
        assert status == 200 and unread.counts(family.toy_id) == {}
    finally:
        del client.hgetall


def test_counts_survive_redis_being_flushed_mid_run(api, redis_client, redis_prefix):
    parent_id, token, toys = parent_with_toys(api, SENDERS)
    flushes = []

    def flush():
        if len(flushes) < 20 and random.random() < 0.2:
            keys = list(redis_client.scan_iter(f"{redis_prefix}unread:*"))
            if keys:
                redis_client.delete(*keys)
                flushes.append(len(keys))

    assert concurrent_traffic(api, parent_id, toys, during=flush) == []
    assert flushes, "the run should have flushed Redis at least once"
    truth = unread_in_mongo(api, parent_id)
    assert api.services.unread.counts(parent_id) == truth
    assert api.services.store.db["messages"].count_documents({}) == SENDERS * MESSAGES
    for key in redis_client.scan_iter(f"{redis_prefix}unread:*"):
        redis_client.delete(key)
    assert api.ok("/auto_login", token)["chat"] == dict(truth, count=sum(truth.values()))


def test_counter_writes_racing_a_rebuild_are_never_counted_twice(api, redis_client,
                                                                 redis_prefix):
    family = Family(api)
    unread = api.services.unread
    messages = api.services.messages
    parent = family.parent_caller()
    messages.send_voice_message(parent, {"to_user": family.toy_id}, b"x", "reco_file")
    assert unread.counts(family.toy_id) == {family.parent_id: 1}
    # A message whose MongoDB write happens before a rebuild but whose HINCRBY comes after.
    generation = unread.generation(family.toy_id)
    api.services.store.messages.insert({"chat_id": family.chat_id, "from_user": family.parent_id,
                                        "to_user": family.toy_id, "message": "m.mp3"})
    redis_client.delete(f"{redis_prefix}unread:{family.toy_id}")
    assert unread.counts(family.toy_id) == {family.parent_id: 2}  # rebuilt, includes it
    assert unread.increment(family.toy_id, family.parent_id, generation) is None
    assert unread.counts(family.toy_id) == {family.parent_id: 2}


@pytest.fixture
def down_api(make_app):
    """An app whose Redis is a closed port on 127.0.0.1."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dead = redis.Redis(host="127.0.0.1", port=port, socket_timeout=1, socket_connect_timeout=1,
                       decode_responses=True, retry=Retry(NoBackoff(), 0))
    return Api(make_app(tts=FakeTTS(), converter=FakeConverter(), redis=dead))


def test_every_endpoint_answers_from_mongodb_when_redis_is_down(down_api):
    api = down_api
    family = Family(api)
    for _ in range(3):
        assert family.upload()[0] == 200
    assert family.reply()[0] == 200
    toy_summary = api.services.unread.summary
    assert toy_summary(family.toy_id) == {family.parent_id: 3, "count": 3}
    assert api.ok("/auto_login", family.parent)["chat"] == {family.toy_id: 1, "count": 1}
    status, body = api.post("/recv_msg", family.toy, from_user=family.parent_id)
    assert status == 200 and len(body) == 4
    assert toy_summary(family.toy_id) == {"count": 0}
    assert len(api.ok("/chat_list", family.parent, chat_id=family.chat_id)) == 4
    assert api.ok("/auto_login", family.parent)["chat"] == {"count": 0}
    assert api.client.get("/healthz").get_json()["data"]["redis"] == "down"


def test_a_missed_count_is_repaired_for_other_processes_without_more_requests(api):
    """A process that missed an increment (Redis unreachable) invalidates the stale hash in
    the background once Redis answers, so another process reading the same hash gets the exact
    count although the first one serves no further request."""
    family = Family(api)
    parent = family.parent_caller()
    messages, unread = api.services.messages, api.services.unread
    unread.repair_seconds = 0.05
    messages.send_voice_message(parent, {"to_user": family.toy_id}, b"x", "reco_file")
    store = api.services.store.unread
    other_process = UnreadCounters(store, api.services.store.messages)
    assert other_process.counts(family.toy_id) == {family.parent_id: 1}
    real_add, real_drop = store.add, store.drop

    def unreachable(*args):
        raise redis.exceptions.ConnectionError("down")

    store.add = store.drop = unreachable  # the whole request long: nothing reaches Redis
    messages.send_voice_message(parent, {"to_user": family.toy_id}, b"x", "reco_file")
    store.add, store.drop = real_add, real_drop
    deadline = time.monotonic() + 10
    while other_process.counts(family.toy_id) != {family.parent_id: 2} \
            and time.monotonic() < deadline:
        time.sleep(0.05)
    assert other_process.counts(family.toy_id) == {family.parent_id: 2}


def test_changes_missed_while_redis_was_down_are_recounted(api, redis_client, redis_prefix):
    family = Family(api)
    parent = family.parent_caller()
    messages, unread = api.services.messages, api.services.unread
    messages.send_voice_message(parent, {"to_user": family.toy_id}, b"x", "reco_file")
    assert unread.counts(family.toy_id) == {family.parent_id: 1}
    store = api.services.store.unread
    real_add = store.add

    def unreachable(*args):
        raise redis.exceptions.ConnectionError("down")

    store.add = unreachable  # Redis keeps its (now stale) hash but misses this increment
    messages.send_voice_message(parent, {"to_user": family.toy_id}, b"x", "reco_file")
    store.add = real_add
    assert unread.counts(family.toy_id) == {family.parent_id: 2}
