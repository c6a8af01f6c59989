"""services/store/holder_cache: kept token holders are used only under the generation they were
found under, expire, come back as copies, and Redis trouble sends lookups to the database."""

import time

import fakeredis
import mongomock
import pytest
import redis as redis_lib

from services.store.counters import Breaker
from services.store.holder_cache import GenerationStore, HolderCache, WatchedDb


class Generation:
    def __init__(self):
        self.value, self.fail = "g1", False

    def current(self):
        if self.fail:
            raise redis_lib.exceptions.ConnectionError("down")
        return self.value


class Loads:
    def __init__(self, found=({"_id": "u1", "nickname": "Ann"}, 99.0)):
        self.found, self.count = found, 0

    def __call__(self):
        self.count += 1
        return None if self.found is None else (dict(self.found[0]), self.found[1])


@pytest.fixture
def clock():
    now = [100.0]
    return now


def make(generation, clock, max_age=30.0):
    return HolderCache(generation, max_age=max_age, clock=lambda: clock[0])


def test_a_holder_is_kept_until_the_generation_changes(clock):
    generation, load = Generation(), Loads()
    cache = make(generation, clock)
    assert cache.lookup("app", "h", load) == ({"_id": "u1", "nickname": "Ann"}, 99.0)
    doc, expiry = cache.lookup("app", "h", load)
    assert load.count == 1 and expiry == 99.0
    doc["nickname"] = "changed by a caller"
    assert cache.lookup("app", "h", load)[0]["nickname"] == "Ann"
    generation.value = "g2"
    cache.lookup("app", "h", load)
    assert load.count == 2


def test_unknown_tokens_are_never_kept(clock):
    cache, load = make(Generation(), clock), Loads(found=None)
    assert cache.lookup("app", "h", load) is None
    assert cache.lookup("app", "h", load) is None
    assert load.count == 2


def test_entries_expire_after_max_age(clock):
    cache, load = make(Generation(), clock, max_age=10), Loads()
    cache.lookup("toy", "h", load)
    clock[0] += 9
    cache.lookup("toy", "h", load)
    assert load.count == 1
    clock[0] += 2
    cache.lookup("toy", "h", load)
    assert load.count == 2


def test_redis_down_sends_every_lookup_to_the_database_and_drops_the_kept(clock):
    generation, load = Generation(), Loads()
    cache = make(generation, clock)
    cache.lookup("app", "h", load)
    generation.fail = True
    cache.lookup("app", "h", load)
    cache.lookup("app", "h", load)
    assert load.count == 3
    generation.fail = False  # back, same value: nothing kept from before is used
    cache.lookup("app", "h", load)
    assert load.count == 4


def test_no_generation_yet_means_nothing_is_kept(clock):
    generation, load = Generation(), Loads()
    generation.value = None
    cache = make(generation, clock)
    cache.lookup("app", "h", load)
    cache.lookup("app", "h", load)
    assert load.count == 2


def test_writes_through_the_watched_db_bump_the_generation_and_reads_do_not():
    redis = fakeredis.FakeRedis(decode_responses=True)
    generation = GenerationStore(redis, "t:", Breaker())
    db = WatchedDb(mongomock.MongoClient()["t"], ("users",), generation.bump)
    assert generation.current() is None
    db["users"].insert_one({"_id": 1})
    first = generation.current()
    assert first is not None
    db["users"].find_one({"_id": 1})
    db["content"].insert_one({"_id": 1})  # not watched
    assert generation.current() == first
    db["users"].update_one({"_id": 1}, {"$set": {"a": 1}})
    assert generation.current() not in (None, first)


def test_a_failed_bump_is_retried_until_redis_answers():
    class Flaky:
        def __init__(self):
            self.down, self.values = True, []

        def set(self, key, value):
            if self.down:
                raise redis_lib.exceptions.ConnectionError("down")
            self.values.append(value)

    flaky = Flaky()
    generation = GenerationStore(flaky, "t:", Breaker(cooldown=0.01), retry_seconds=0.01)
    generation.bump()
    assert flaky.values == []
    flaky.down = False
    for _ in range(500):
        if flaky.values:
            break
        time.sleep(0.01)
    assert len(flaky.values) == 1
