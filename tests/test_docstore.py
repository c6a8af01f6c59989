"""The embedded document store (services/store/docstore) against real pymongo (mongoeco): the
same repository calls give the same answers, hot queries are served by an index, and the
store is safe to use from many threads and processes at once."""

import subprocess
import sys
import threading
import uuid

import fakeredis
import pytest
from bson import ObjectId
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from services.errors import Conflict
from services.store import Store
from services.store.docstore import DocClient
from services.store.docstore.migrate import import_litemongo
from tests.server_process import ROOT


@pytest.fixture(params=["embedded", "pymongo"])
def db(request, tmp_path):
    if request.param == "embedded":
        client = DocClient(tmp_path / "store")
        database = client["smarttoy"]
    else:
        from pymongo import MongoClient

        client = MongoClient(request.getfixturevalue("wire_mongo_uri"), tz_aware=False)
        database = client[f"t{uuid.uuid4().hex[:10]}"]
    Store(database, fakeredis.FakeRedis(decode_responses=True)).ensure_indexes()
    yield database
    client.close()


@pytest.fixture
def store(db):
    return Store(db, fakeredis.FakeRedis(decode_responses=True))


def test_query_and_update_operators_agree_with_mongodb(db):
    things = db["things"]
    a = things.insert_one({"name": "a", "n": 1, "tags": ["x", "y"],
                           "subs": [{"k": 1}, {"k": 2}]}).inserted_id
    b = things.insert_one({"name": "b", "n": 2.5, "gone": None}).inserted_id
    c = things.insert_one({"name": "c", "n": "3"}).inserted_id
    names = lambda query, **kw: [d["name"] for d in things.find(query, sort=[("name", 1)], **kw)]  # noqa: E731
    assert names({"gone": None}) == ["a", "b", "c"]
    assert names({"gone": {"$ne": None}}) == []
    assert names({"tags": "y"}) == ["a"]
    assert names({"subs.k": 2}) == ["a"]
    assert names({"n": {"$lt": 3}}) == ["a", "b"]  # "3" is a string: another type bracket
    assert names({"n": {"$gte": "0"}}) == ["c"]
    assert names({"_id": {"$in": [a, c]}}) == ["a", "c"]
    assert names({"$or": [{"name": "a"}, {"n": 2.5}]}) == ["a", "b"]
    assert names({}, skip=1, limit=1) == ["b"]
    assert [d["name"] for d in things.find({}, sort=[("n", -1)])] == ["c", "b", "a"]
    assert things.find_one({"_id": b}, {"n": 1}) == {"_id": b, "n": 2.5}
    assert things.update_one({"_id": a}, {"$addToSet": {"tags": "x"}}).modified_count == 0
    assert things.update_one({"_id": a}, {"$pull": {"subs": {"k": 1}}}).modified_count == 1
    assert things.find_one({"_id": a})["subs"] == [{"k": 2}]
    result = things.update_many({"n": {"$in": [1, 2.5]}},
                                {"$set": {"x.y": 1}, "$unset": {"gone": ""}})
    assert (result.matched_count, result.modified_count) == (2, 2)
    assert things.find_one({"_id": b}) == {"_id": b, "name": "b", "n": 2.5, "x": {"y": 1}}
    up = things.find_one_and_update({"_id": "seq"}, {"$inc": {"v": 1}}, upsert=True,
                                    return_document=ReturnDocument.AFTER)
    assert up == {"_id": "seq", "v": 1}
    assert things.find_one_and_update({"_id": "seq"}, {"$inc": {"v": 1}})["v"] == 1
    assert things.delete_many({"name": {"$in": ["a", "b"]}}).deleted_count == 2
    assert things.delete_one({"name": "zzz"}).deleted_count == 0
    assert things.count_documents({}) == 2


def test_unique_and_sparse_indexes(db):
    things = db["things"]
    things.create_index([("key", 1)], unique=True, sparse=True)
    things.insert_one({"key": "k"})
    things.insert_one({})
    things.insert_one({})  # sparse: documents without the key do not collide
    with pytest.raises(DuplicateKeyError):
        things.insert_one({"key": "k"})
    other = things.insert_one({"key": "j"}).inserted_id
    with pytest.raises(DuplicateKeyError):
        things.update_one({"_id": other}, {"$set": {"key": "k"}})
    assert things.find_one({"_id": other})["key"] == "j"  # the failed write left nothing
    assert things.count_documents({}) == 4


def test_an_empty_in_list_matches_nothing_on_an_indexed_field(db):
    things = db["things"]
    things.create_index([("owner", 1)])
    things.insert_one({"owner": "a"})
    assert list(things.find({"owner": {"$in": []}})) == []
    assert things.count_documents({"owner": {"$in": []}}) == 0


def test_repositories_answer_the_same(store):
    user = store.users.insert({"username": "ann", "friend_list": []})
    with pytest.raises(Conflict):
        store.users.insert({"username": "ann"})
    toys = [ObjectId() for _ in range(3)]
    for i, toy in enumerate(toys):
        store.toys.insert({"_id": toy, "device_key": f"d{i}", "bind_user": user,
                           "friend_list": []})
    assert [t["_id"] for t in store.toys.by_owner(user)] == sorted(toys)
    assert store.friends.add("app", user, {"friend_id": toys[0], "friend_nick": "T"})
    assert not store.friends.add("app", user, {"friend_id": toys[0], "friend_nick": "T"})
    store.friends.add("toy", toys[1], {"friend_id": toys[0]})
    store.friends.remove_everywhere(toys[0])
    assert store.users.by_id(user)["friend_list"] == []
    assert store.toys.by_id(toys[1])["friend_list"] == []
    store.devices.insert("d" * 32, 1.0)
    assert store.devices.claim("d" * 32, toys[0])["toy_id"] == toys[0]
    assert store.devices.claim("d" * 32, toys[1]) is None
    store.devices.release("d" * 32, toys[0])
    assert store.devices.claim("d" * 32, toys[1])["toy_id"] == toys[1]
    req = store.requests.insert({"req_user": toys[1], "add_user": toys[2], "status": 0})
    with pytest.raises(Conflict):
        store.requests.insert({"req_user": toys[1], "add_user": toys[2], "status": 0})
    assert store.requests.answer(req, 1)["status"] == 1
    assert store.requests.answer(req, 2) is None
    store.requests.insert({"req_user": toys[1], "add_user": toys[2], "status": 0})
    assert len(store.requests.for_toys([toys[2]])) == 2
    store.requests.delete_involving(toys[1])
    assert store.requests.for_toys([toys[2]]) == []
    for i in range(5):
        store.content.insert({"title": f"s{i}", "music": f"{i}.mp3", "create_time": i // 2})
    assert [c["title"] for c in store.content.page(1, 3)] == ["s3", "s2", "s1"]


def test_message_history_and_unread(store):
    chat, parent, toy = ObjectId(), "p" * 24, "t" * 24
    sent = [store.messages.insert({"chat_id": chat, "from_user": parent, "to_user": toy,
                                   "message": f"{i}.mp3", "create_time": 100.0 + i,
                                   "msg_key": f"{parent}:m{i}"})[0] for i in range(12)]
    again, created = store.messages.insert({"chat_id": chat, "from_user": parent, "to_user": toy,
                                            "message": "x.mp3", "msg_key": f"{parent}:m3"})
    assert not created and again["_id"] == sent[3]["_id"]
    assert [m["message"] for m in store.messages.page(chat, limit=5)] == \
        [f"{i}.mp3" for i in range(7, 12)]
    assert [m["message"] for m in store.messages.page(chat, before=107.0, limit=3)] == \
        ["4.mp3", "5.mp3", "6.mp3"]
    assert [m["message"] for m in store.messages.page(chat, before=104.5, limit=2)] == \
        ["3.mp3", "4.mp3"]
    assert store.messages.unread_by_sender(toy) == {parent: 12}
    first = store.messages.unread(toy, limit=4)
    assert [m["message"] for m in first] == ["0.mp3", "1.mp3", "2.mp3", "3.mp3"]
    assert store.messages.mark_read(toy, [m["_id"] for m in first]) == 4
    assert store.messages.mark_read(toy, [m["_id"] for m in first]) == 0
    assert store.messages.mark_sender_read(toy, parent) == 8
    assert store.messages.unread(toy) == [] and store.messages.unread_by_sender(toy) == {}


@pytest.mark.parametrize("collection, query, sort", [
    ("content", {}, [("create_time", -1), ("_id", -1)]),
    ("messages", {"chat_seq": {"$in": ["c:1", "c:2"]}}, None),
    ("messages", {"chat_id": "c", "create_time": {"$lt": 5.0}}, [("create_time", -1), ("_id", -1)]),
    ("messages", {"unread_to": "t"}, [("create_time", 1), ("seq", 1)]),
    ("messages", {"unread_key": "t:p"}, None),
    ("messages", {"_id": {"$in": ["a"]}, "unread_to": "t"}, None),
    ("messages", {"msg_key": "p:m"}, None),
    ("tokens", {"_id": "h"}, None),
    ("toys", {"friend_list.friend_id": "x"}, None),
    ("toys", {"bind_user": "u"}, [("_id", 1)]),
    ("devices", {"device_key": "k", "toy_id": None}, None),
    ("friend_requests", {"$or": [{"req_user": "a"}, {"add_user": "a"}]}, None),
])
def test_hot_queries_are_served_by_an_index(tmp_path, collection, query, sort):
    database = DocClient(tmp_path / "store")["smarttoy"]
    Store(database, fakeredis.FakeRedis()).ensure_indexes()
    plan = database[collection].explain(query, sort)
    assert plan["index"] is not None, plan
    if collection == "content" or "create_time" in query:
        assert plan["ordered"], plan  # a page stops after `limit` documents


def test_many_threads_share_the_store(tmp_path):
    database = DocClient(tmp_path / "store")["smarttoy"]
    counters = database["counters"]
    users = database["users"]
    users.create_index([("username", 1)], unique=True)
    outcomes = []

    def work():
        for _ in range(50):
            counters.find_one_and_update({"_id": "c"}, {"$inc": {"n": 1}}, upsert=True)
        try:
            users.insert_one({"username": "same"})
            outcomes.append("ok")
        except DuplicateKeyError:
            outcomes.append("dup")

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counters.find_one({"_id": "c"})["n"] == 400
    assert sorted(outcomes) == ["dup"] * 7 + ["ok"]


CHILD = """
import sys
from services.store.docstore import DocClient
counters = DocClient(sys.argv[1])["smarttoy"]["counters"]
for _ in range(200):
    counters.find_one_and_update({"_id": "c"}, {"$inc": {"n": 1}}, upsert=True)
"""


def test_processes_share_the_file(tmp_path):
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path / "store")], cwd=ROOT)
    counters = DocClient(tmp_path / "store")["smarttoy"]["counters"]
    for _ in range(200):
        counters.find_one_and_update({"_id": "c"}, {"$inc": {"n": 1}}, upsert=True)
    assert child.wait(timeout=120) == 0
    assert counters.find_one({"_id": "c"})["n"] == 400


def test_litemongo_data_is_imported_once(tmp_path):
    import litemongo

    old = litemongo.connect(str(tmp_path / "mongo"))
    user_id = old["smarttoy"]["users"].insert_one({"username": "old"}).inserted_id
    old["smarttoy"]["tokens"].insert_one({"_id": "h", "sub": str(user_id)})
    old.close()
    database = DocClient(tmp_path / "store")["smarttoy"]
    assert import_litemongo(tmp_path / "mongo", "smarttoy", database) == 2
    assert import_litemongo(tmp_path / "mongo", "smarttoy", database) == 0
    Store(database, fakeredis.FakeRedis()).ensure_indexes()
    assert database["users"].find_one({"username": "old"})["_id"] == user_id
    assert database["tokens"].find_one({"_id": "h"})["sub"] == str(user_id)
    with pytest.raises(DuplicateKeyError):
        database["users"].insert_one({"username": "old"})


def test_an_empty_in_on_an_indexed_field_matches_nothing(store):
    """A parent without toys asks for the requests of ``$in: []`` toys (/req_list)."""
    store.requests.insert({"req_user": "t1", "add_user": "t2", "status": 0})
    assert store.requests.for_toys([]) == []
    assert [r["add_user"] for r in store.requests.for_toys(["t2"])] == ["t2"]


def _sql_reads(database):
    """A list that receives every SELECT the database's pooled connections run."""
    statements = []
    with database.connection() as conn:
        conn.set_trace_callback(lambda sql: statements.append(sql)
                                if sql.lstrip().upper().startswith("SELECT") else None)
    return statements


def test_a_repeated_read_is_served_from_the_read_cache_until_a_write(tmp_path):
    database = DocClient(tmp_path / "store")["smarttoy"]
    toys = database["toys"]
    toys.create_index([("bind_user", 1)])
    toys.insert_one({"_id": "t1", "bind_user": "u1", "name": "Teddy"})
    reads = _sql_reads(database)
    assert toys.find({"bind_user": "u1"})[0]["name"] == "Teddy"
    first = len(reads)
    assert first >= 1
    found = toys.find({"bind_user": "u1"})
    assert len(reads) == first  # answered from the cache
    found[0]["name"] = "changed by the caller"  # callers get documents of their own
    assert toys.find({"bind_user": "u1"}, {"name": 1})[0] == {"_id": "t1", "name": "Teddy"}
    toys.update_one({"_id": "t1"}, {"$set": {"name": "Bear"}})
    assert toys.find({"bind_user": "u1"})[0]["name"] == "Bear"
    assert len(reads) > first


def test_a_write_by_another_process_empties_the_read_cache(tmp_path):
    counters = DocClient(tmp_path / "store")["smarttoy"]["counters"]
    counters.insert_one({"_id": "c", "n": 0})
    assert counters.find_one({"_id": "c"})["n"] == 0
    child = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path / "store")], cwd=ROOT,
                           timeout=120)
    assert child.returncode == 0
    assert counters.find_one({"_id": "c"})["n"] == 200


def test_large_results_are_not_kept_in_the_read_cache(tmp_path):
    database = DocClient(tmp_path / "store")["smarttoy"]
    messages = database["messages"]
    messages.insert_many([{"chat": "c", "i": i} for i in range(100)])
    reads = _sql_reads(database)
    assert len(messages.find({"chat": "c"})) == 100
    assert len(messages.find({"chat": "c"})) == 100
    assert len(reads) == 2  # read from the file both times
    assert len(messages.find({"chat": "c"}, limit=10)) == 10
    assert len(messages.find({"chat": "c"}, limit=10)) == 10
    assert len(reads) == 3
