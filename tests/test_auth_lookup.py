"""The hot auth path: a token is checked with one lookup that also loads the caller, a revoked
token fails at once in every process sharing the store, and tokens of the former layout (the
``tokens`` collection) keep working until revoked."""

import hashlib
import time

import mongomock
import pytest

from tests.support import Api


class CountingDatabase:
    """A database whose collections count the reads made through them."""

    def __init__(self, db):
        self._db = db
        self.reads = []

    def __getitem__(self, name):
        return CountingCollection(self._db[name], name, self.reads)

    def __getattr__(self, name):
        return getattr(self._db, name)


class CountingCollection:
    def __init__(self, collection, name, reads):
        self._collection, self._name, self._reads = collection, name, reads

    def __getattr__(self, attr):
        value = getattr(self._collection, attr)
        if attr in ("find", "find_one", "find_one_and_update", "count_documents"):
            def counted(*args, **kwargs):
                self._reads.append((self._name, attr))
                return value(*args, **kwargs)
            return counted
        return value


@pytest.fixture
def counted(make_app):
    db = CountingDatabase(mongomock.MongoClient()["smarttoy"])
    return Api(make_app({"AUTH_CACHE_SECONDS": 0}, mongo_db=db)), db


def test_auto_login_reads_the_database_once(counted):
    api, db = counted
    user_id, token = api.user()
    api.ok("/auto_login", token)  # the first one also builds the unread counters from MongoDB
    db.reads.clear()
    assert api.ok("/auto_login", token)["_id"] == user_id
    assert db.reads == [("users", "find_one")]
    db.reads.clear()
    assert api.ok("/friend_list", token) == []
    assert db.reads == [("users", "find_one")]


def test_with_shared_redis_a_known_token_is_not_looked_up_again_until_a_write(make_app):
    """AUTH_CACHE_SECONDS (default): each process keeps the holders it found while the
    generation in Redis stays the same; any write to users or toys, by any process, ends that."""
    raw = mongomock.MongoClient()["smarttoy"]
    db = CountingDatabase(raw)
    first, second = Api(make_app(mongo_db=db)), Api(make_app(mongo_db=raw))
    first.ok("/reg", username="kept", password="secret123", nickname="Kept", gender="1")
    token = first.ok("/login", username="kept", password="secret123")["token"]
    first.ok("/auto_login", token)
    db.reads.clear()
    assert first.ok("/auto_login", token)["nickname"] == "Kept"
    assert first.ok("/friend_list", token) == []
    assert ("users", "find_one") not in db.reads
    other = second.ok("/login", username="kept", password="secret123")["token"]  # a write
    assert first.ok("/auto_login", token)["nickname"] == "Kept"
    assert db.reads.count(("users", "find_one")) == 1
    first.ok("/auto_login", other)  # found under the same generation: kept too
    assert first.ok("/auto_login", token) and first.ok("/auto_login", other)
    assert db.reads.count(("users", "find_one")) == 2
    second.ok("/logout", other)
    assert first.post("/auto_login", other)[0] == 401
    assert first.ok("/auto_login", token)["nickname"] == "Kept"


def test_a_toy_token_is_one_lookup_on_toys(counted):
    api, db = counted
    user_id, token = api.user()
    _, toy_token = api.toy(token)
    db.reads.clear()
    assert [f["friend_id"] for f in api.ok("/friend_list", toy_token)] == [user_id]
    assert db.reads == [("toys", "find_one")]


def test_a_toy_reading_its_messages_is_not_looked_up_again(counted):
    api, db = counted
    _, token = api.user()
    toy_id, toy_token = api.toy(token)
    api.post("/recv_msg", toy_token)  # builds the unread counters
    db.reads.clear()
    status, items = api.post("/recv_msg", toy_token)
    assert status == 200 and items == []
    assert db.reads.count(("toys", "find_one")) == 1 and ("users", "find_one") not in db.reads


def test_revocation_reaches_every_process_at_once(make_app):
    db = mongomock.MongoClient()["smarttoy"]
    first, second = Api(make_app(mongo_db=db)), Api(make_app(mongo_db=db))
    _, token = first.user()
    assert second.ok("/auto_login", token)
    first.ok("/logout", token)
    assert second.post("/auto_login", token)[0] == 401
    assert first.post("/auto_login", token)[0] == 401


def test_unbinding_a_toy_revokes_its_tokens(api):
    _, token = api.user()
    toy_id, toy_token = api.toy(token)
    assert api.post("/friend_list", toy_token)[0] == 200
    api.ok("/unbind_toy", token, toy_id=toy_id)
    assert api.post("/friend_list", toy_token)[0] == 401


def test_tokens_of_the_former_layout_still_work_until_revoked(api):
    user_id, _ = api.user()
    legacy = "x" * 43
    api.services.store.db["tokens"].insert_one({
        "_id": hashlib.sha256(legacy.encode()).hexdigest(), "sub": user_id, "kind": "app",
        "created_at": time.time(), "expires_at": time.time() + 60})
    assert api.ok("/auto_login", legacy)["_id"] == user_id
    api.ok("/logout", legacy)
    assert api.post("/auto_login", legacy)[0] == 401


def test_a_forged_prefix_is_refused(api):
    _, token = api.user()
    assert api.post("/auto_login", "t." + token[2:])[0] == 401
    assert api.post("/auto_login", token[2:])[0] == 401
