"""Voice messages on the production driver path: real pymongo against a MongoDB wire-protocol
server (mongoeco) and the real Redis: sequence numbers, paging, unread keys, idempotency."""

import uuid

import pytest

from app import create_app
from services.speech.tts import FakeTTS
from tests.messaging import FakeConverter, Family
from tests.support import Api


@pytest.fixture
def api(settings, redis_client, wire_mongo_uri):
    app = create_app(dict(settings, MONGO_URI=wire_mongo_uri,
                          MONGO_DB=f"t{uuid.uuid4().hex[:10]}"),
                     redis=redis_client, tts=FakeTTS(), converter=FakeConverter())
    yield Api(app)
    app.extensions["smarttoy"].store.mongo_client.close()


def test_messaging_on_pymongo(api):
    assert type(api.services.store.db).__module__.startswith("pymongo")
    family = Family(api)
    names = [family.upload(msg_id=f"m{i}")[1]["data"]["filename"] for i in range(30)]
    assert family.upload(msg_id="m0")[1]["data"]["filename"] == names[0]
    status, body = family.reply()
    assert status == 200
    assert api.services.unread.counts(family.toy_id) == {family.parent_id: 30}
    page = api.ok("/chat_list", family.toy, chat_id=family.chat_id, limit=20)
    assert [m["message"] for m in page] == [*names[-19:], body["data"]["filename"]]
    older = api.ok("/chat_list", family.toy, chat_id=family.chat_id,
                   before=page[0]["create_time"], limit=20)
    assert len(older) == 11 and older[-1]["create_time"] < page[0]["create_time"]
    assert api.services.unread.counts(family.toy_id) == {}
    assert api.ok("/auto_login", family.parent)["chat"] == {family.toy_id: 1, "count": 1}
    status, items = api.post("/recv_msg", family.parent)
    assert status == 200 and len(items) == 2 and items[0]["from_user"] == family.toy_id
    assert api.ok("/auto_login", family.parent)["chat"] == {"count": 0}
    messages = api.services.store.db["messages"]
    assert messages.count_documents({"unread_to": {"$exists": True}}) == 0
    assert messages.count_documents({}) == 31
