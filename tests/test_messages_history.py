"""SPEC §6 /chat_list paging and read marking, /recv_msg with spoken announcements."""

import pytest

from services.speech.tts import FakeTTS
from tests.messaging import FakeConverter, Family, unread_in_mongo
from tests.support import Api


@pytest.fixture
def tts():
    return FakeTTS()


@pytest.fixture
def api(make_app, tts):
    return Api(make_app(tts=tts, converter=FakeConverter()))


@pytest.fixture
def family(api):
    return Family(api, remark="Mum")


def send(api, caller, to_user, count, **body):
    """``count`` messages through the service; returns their file names in order."""
    return [api.services.messages.send_voice_message(caller, dict(body, to_user=to_user),
                                                     b"x", "reco_file")["filename"]
            for _ in range(count)]


def test_chat_list_pages_back_oldest_first(api, family):
    names = send(api, family.parent_caller(), family.toy_id, 120)
    page = api.ok("/chat_list", family.toy, chat_id=family.chat_id, from_user=family.parent_id)
    assert [m["message"] for m in page] == names[-50:]
    assert set(page[0]) == {"_id", "chat_id", "from_user", "to_user", "message", "create_time"}
    older = api.ok("/chat_list", family.toy, chat_id=family.chat_id,
                   before=page[0]["create_time"], limit=60)
    assert [m["message"] for m in older] == names[10:70]
    oldest = api.ok("/chat_list", family.toy, chat_id=family.chat_id,
                    before=older[0]["create_time"])
    assert [m["message"] for m in oldest] == names[:10]
    assert api.ok("/chat_list", family.toy, chat_id=family.chat_id,
                  before=oldest[0]["create_time"]) == []


def test_chat_list_marks_read_and_clears_the_counter(api, family):
    send(api, family.parent_caller(), family.toy_id, 3)
    send(api, family.toy_caller(), family.parent_id, 2)
    assert api.ok("/auto_login", family.parent)["chat"] == {family.toy_id: 2, "count": 2}
    api.ok("/chat_list", family.parent, chat_id=family.chat_id, from_user=family.toy_id,
           to_user=family.parent_id)
    assert api.ok("/auto_login", family.parent)["chat"] == {"count": 0}
    assert unread_in_mongo(api, family.parent_id) == {}
    assert api.services.unread.counts(family.toy_id) == {family.parent_id: 3}


def test_chat_list_is_for_members_only(api, family):
    _, stranger = api.user()
    assert api.post("/chat_list", stranger, chat_id=family.chat_id)[0] == 403
    assert api.post("/chat_list", None, chat_id=family.chat_id)[0] == 401
    assert api.post("/chat_list", family.parent, chat_id=family.chat_id,
                    to_user=family.toy_id)[0] == 403
    assert api.post("/chat_list", family.parent, chat_id="0" * 24)[0] == 403
    status, body = api.post("/chat_list", family.parent, chat_id=family.chat_id,
                            from_user="1" * 24)
    assert status == 400 and "from_user" in body["msg"]
    assert api.post("/chat_list", family.parent, chat_id="bad")[0] == 400
    assert api.post("/chat_list", family.parent, chat_id=family.chat_id, limit=0)[0] == 400


def test_recv_msg_announces_then_plays_in_order(api, family, tts):
    names = send(api, family.parent_caller(), family.toy_id, 3)
    status, body = api.post("/recv_msg", family.toy, from_user=family.parent_id)
    assert status == 200 and isinstance(body, list)
    announcement, *messages = body
    assert set(announcement) == {"from_user", "message", "create_time"}
    assert announcement["from_user"] == family.parent_id
    assert ("You have a message from Mum", "en-us") in tts.calls
    assert api.get(f"/get_chat/{announcement['message']}").status_code == 200
    assert [m["message"] for m in messages] == names
    assert announcement["create_time"] == messages[0]["create_time"]
    assert api.post("/recv_msg", family.toy, from_user=family.parent_id) == (200, [])
    assert api.services.unread.counts(family.toy_id) == {}


def test_announcements_are_cached_by_text(api, family, tts):
    for _ in range(3):
        send(api, family.parent_caller(), family.toy_id, 1)
        api.post("/recv_msg", family.toy, from_user=family.parent_id)
    assert len(tts.calls) == 1


def test_recv_msg_without_from_user_groups_by_sender(api, family):
    _, other_parent = api.user()
    other_toy, _ = api.toy(other_parent, remark="Grandma")
    req_id = api.ok("/add_req", other_parent, req_user=other_toy, add_user=family.toy_id,
                    type="toy", remark="Pal")["req_id"]
    api.ok("/acc_req", family.parent, req_id=req_id, remark="Buddy")
    from services.auth import Caller

    first = send(api, family.parent_caller(), family.toy_id, 2)
    second = send(api, Caller(other_toy, "toy", ""), family.toy_id, 2, friend_type="toy")
    first += send(api, family.parent_caller(), family.toy_id, 1)
    status, body = api.post("/recv_msg", family.toy, to_user=family.toy_id)
    assert status == 200
    prompts = api.services.prompts
    assert [(item["from_user"], item["message"]) for item in body] == [
        (family.parent_id, prompts.name_for("You have a message from Mum")),
        *[(family.parent_id, name) for name in first],
        (other_toy, prompts.name_for("You have a message from Buddy")),
        *[(other_toy, name) for name in second]]
    assert api.post("/recv_msg", family.toy) == (200, [])


def test_recv_msg_refuses_other_callers(api, family):
    assert api.post("/recv_msg", None)[0] == 401
    assert api.post("/recv_msg", family.toy, to_user=family.parent_id)[0] == 403
    assert api.post("/recv_msg", family.toy, from_user="nope")[0] == 400


def test_recv_msg_failure_of_speech_loses_nothing(api, family):
    from services.errors import Upstream

    send(api, family.parent_caller(), family.toy_id, 2)

    def broken(text, voice=None):
        raise Upstream("text-to-speech failed")

    api.services.prompts.speak = broken
    status, body = api.post("/recv_msg", family.toy)
    assert (status, body["code"]) == (502, 502)
    assert unread_in_mongo(api, family.toy_id) == {family.parent_id: 2}
    assert api.services.unread.counts(family.toy_id) == {family.parent_id: 2}


def test_paging_skips_gaps_and_accepts_any_time(api, family):
    parent = family.parent_caller()
    names = []
    for _ in range(30):
        names += send(api, parent, family.toy_id, 2)
        api.services.store.messages._next_seq(family.chat_id)  # a number whose insert failed
    page = api.ok("/chat_list", family.parent, chat_id=family.chat_id, limit=25)
    assert [m["message"] for m in page] == names[-25:]
    middle = (page[0]["create_time"] + page[1]["create_time"]) / 2
    older = api.ok("/chat_list", family.parent, chat_id=family.chat_id, before=middle, limit=40)
    assert [m["message"] for m in older] == names[-25 - 40 + 1:-25 + 1]


def test_history_queries_never_touch_read_messages(api, family):
    """The hot queries are lookups on keys that read history does not carry."""
    send(api, family.parent_caller(), family.toy_id, 5)
    api.ok("/chat_list", family.toy, chat_id=family.chat_id)
    messages = api.services.store.db["messages"]
    assert messages.count_documents({"unread_key": {"$exists": True}}) == 0
    assert messages.count_documents({"unread_to": {"$exists": True}}) == 0
    assert sorted(m["seq"] for m in messages.find()) == [1, 2, 3, 4, 5]
