"""The production driver path: real pymongo against a MongoDB wire-protocol server (mongoeco)."""

import uuid

import pytest

from app import create_app
from tests.support import Api


@pytest.fixture
def api(settings, redis_client, wire_mongo_uri):
    app = create_app(dict(settings, MONGO_URI=wire_mongo_uri,
                          MONGO_DB=f"t{uuid.uuid4().hex[:10]}"), redis=redis_client)
    yield Api(app)
    app.extensions["smarttoy"].store.mongo_client.close()


def test_core_flow_on_pymongo(api):
    assert type(api.services.store.db).__module__.startswith("pymongo")
    a_id, a = api.user(nickname="Ann")
    _, b = api.user(nickname="Bo")
    a_toy, a_toy_token = api.toy(a)
    b_toy, _ = api.toy(b)
    req_id = api.ok("/add_req", a, req_user=a_toy, add_user=b_toy, type="toy")["req_id"]
    assert api.post("/add_req", a, req_user=a_toy, add_user=b_toy, type="toy")[0] == 409
    api.ok("/acc_req", b, req_id=req_id, remark="Pal")
    assert api.post("/acc_req", b, req_id=req_id)[0] == 409
    assert {f["friend_id"] for f in api.ok("/friend_list", a_toy_token)} == {a_id, b_toy}
    assert api.post("/reg", username=api.services.store.users.all()[0]["username"],
                    password="secret123", nickname="x", gender="1")[0] == 409
    api.ok("/unbind_toy", b, toy_id=b_toy)
    assert {f["friend_id"] for f in api.ok("/friend_list", a_toy_token)} == {a_id}
    assert api.client.get("/healthz").get_json()["data"]["mongo"] == "ok"


def test_concurrent_binds_on_pymongo(api):
    key = api.device()
    tokens = [api.user()[1] for _ in range(4)]
    assert api.concurrent_binds(key, tokens) == [200, 409, 409, 409]
    assert len(api.services.store.toys.all()) == 1


def test_content_list_on_pymongo_sees_another_process_song_at_once(api, settings, redis_client,
                                                                   wire_mongo_uri, tmp_path):
    song = tmp_path / "a.mp3"
    song.write_bytes(b"ID3data")
    api.services.content.add("First", song)
    assert [c["title"] for c in api.ok("/content_list")] == ["First"]
    other = create_app(dict(settings, MONGO_URI=wire_mongo_uri,
                            MONGO_DB=api.services.settings["MONGO_DB"]), redis=redis_client)
    try:
        other.extensions["smarttoy"].content.add("Second", song)
    finally:
        other.extensions["smarttoy"].store.mongo_client.close()
    assert [c["title"] for c in api.ok("/content_list")] == ["Second", "First"]
