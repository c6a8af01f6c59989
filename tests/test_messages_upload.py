"""SPEC §6 uploads: every format end to end, bad audio, hostile names, limits, idempotent
retries, ownership; a failure leaves no file, no message and no counter change."""

import re

import pytest

from services.speech.tts import FakeTTS
from tests.messaging import Family, chat_files, make_samples, post_file, unread_in_mongo

MP3_NAME = re.compile(r"^[0-9a-f]{32}\.mp3$")


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    return make_samples(tmp_path_factory.mktemp("samples"))


@pytest.fixture
def api(make_app):
    from tests.support import Api

    return Api(make_app(tts=FakeTTS()))


@pytest.fixture
def family(api):
    return Family(api)


def toy_socket(api, token):
    return api.app.extensions["socketio"].test_client(api.app, auth={"token": token})


def chat_events(client):
    return [e["args"][0] for e in client.get_received() if e["name"] == "chat"]


def assert_nothing_stored(api, family, files_before):
    assert chat_files(api) == files_before
    assert api.services.store.db["messages"].count_documents({}) == 0
    assert api.services.unread.counts(family.toy_id) == {}


@pytest.mark.parametrize("name", ["amr-nb.amr", "amr-wb.awb", "aac.m4a", "opus.webm",
                                  "vorbis.ogg", "lame.mp3", "pcm.wav"])
def test_every_format_reaches_the_toy_as_mp3(api, family, samples, name):
    socket = toy_socket(api, family.toy)
    status, body = family.upload(samples[name], filename=name)
    assert status == 200, body
    data = body["data"]
    assert MP3_NAME.match(data["filename"]) and data["friend_type"] == "app"
    stored = api.get(f"/get_chat/{data['filename']}")
    assert stored.status_code == 200 and stored.mimetype == "audio/mpeg"
    [event] = chat_events(socket)
    assert event == {"from_user": family.parent_id, "to_user": family.toy_id,
                     "friend_type": "app", "chat_id": family.chat_id,
                     "chat": data["filename"], "create_time": event["create_time"], "unread": 1}
    assert api.services.unread.counts(family.toy_id) == {family.parent_id: 1}


def test_toy_answers_the_parent(api, family, samples):
    socket = toy_socket(api, family.parent)
    status, body = family.reply(samples["amr-nb.amr"])
    assert status == 200 and body["data"]["friend_type"] == "app"
    [event] = chat_events(socket)
    assert event["from_user"] == family.toy_id and event["friend_type"] == "toy"
    assert api.ok("/auto_login", family.parent)["chat"] == {family.toy_id: 1, "count": 1}


@pytest.mark.parametrize("data, filename", [
    (b"this is not audio at all", "voice.amr"),
    (b"", "empty.wav"),
    (b"#!AMR\n" + b"\x00" * 3, "truncated.amr"),
    (b"\x00\x00\x00\x18ftypM4A \x00\x00\x02\x00", "header-only.m4a"),
])
def test_bad_audio_is_415_and_leaves_nothing(api, family, data, filename):
    socket = toy_socket(api, family.toy)
    before = chat_files(api)
    status, body = family.upload(data, filename=filename)
    assert (status, body["code"]) == (415, 415)
    assert_nothing_stored(api, family, before)
    assert chat_events(socket) == []


def test_truncated_real_file_is_refused(api, family, samples):
    before = chat_files(api)
    status, _ = family.upload(samples["aac.m4a"][:200], filename="cut.m4a")
    assert status == 415
    assert_nothing_stored(api, family, before)


@pytest.mark.parametrize("filename", ["../../../etc/passwd.mp3", "..\\..\\boot.ini.wav",
                                      "a;rm -rf ~;.wav", "$(reboot).amr", "x" * 300 + ".wav",
                                      "%2e%2e%2fescape.wav"])
def test_hostile_file_names_are_ignored(api, family, samples, filename, tmp_path):
    status, body = family.upload(samples["pcm.wav"], filename=filename)
    assert status == 200, body
    assert MP3_NAME.match(body["data"]["filename"])
    assert chat_files(api) == [body["data"]["filename"]]


def test_upload_over_the_size_limit_is_413(make_app, samples):
    from tests.support import Api

    api = Api(make_app({"MAX_UPLOAD_MB": 0.01}, tts=FakeTTS()))
    family = Family(api)
    before = chat_files(api)
    status, body = family.upload(samples["pcm.wav"] * 2, filename="big.wav")
    assert (status, body["code"]) == (413, 413)
    assert_nothing_stored(api, family, before)


def test_audio_over_the_duration_limit_is_400(make_app, samples):
    from tests.support import Api

    api = Api(make_app({"MAX_AUDIO_SECONDS": 0.5}, tts=FakeTTS()))
    family = Family(api)
    status, body = family.upload(samples["pcm.wav"], filename="long.wav")
    assert status == 400 and "limit" in body["msg"]
    assert_nothing_stored(api, family, [])


def test_retried_upload_with_msg_id_stores_one_message(api, family, samples):
    socket = toy_socket(api, family.toy)
    first = family.upload(samples["amr-nb.amr"], msg_id="rec-1")
    again = family.upload(samples["amr-nb.amr"], msg_id="rec-1")
    assert first == again and first[0] == 200
    other = family.upload(samples["amr-nb.amr"], msg_id="rec-2")
    assert other[1]["data"]["filename"] != first[1]["data"]["filename"]
    assert api.services.store.db["messages"].count_documents({}) == 2
    assert len(chat_files(api)) == 2
    assert api.services.unread.counts(family.toy_id) == {family.parent_id: 2}
    assert len(chat_events(socket)) == 2


def test_same_msg_id_from_another_sender_is_another_message(api, family, samples):
    family.upload(samples["amr-nb.amr"], msg_id="same")
    status, _ = family.reply(samples["amr-nb.amr"], msg_id="same")
    assert status == 200
    assert api.services.store.db["messages"].count_documents({}) == 2


def test_strangers_and_wrong_callers_are_refused(api, family, samples):
    _, stranger = api.user()
    before = chat_files(api)
    assert family.upload(samples["pcm.wav"], token=stranger)[0] == 403
    assert post_file(api, "/app_uploader", None, "reco_file", samples["pcm.wav"], "a.wav",
                     to_user=family.toy_id)[0] == 401
    assert family.upload(samples["pcm.wav"], user_id=api.user()[0])[0] == 403
    assert post_file(api, "/app_uploader", family.toy, "reco_file", samples["pcm.wav"],
                     "a.wav", to_user=family.parent_id)[0] == 403
    assert post_file(api, "/toy_uploader", family.parent, "reco", samples["pcm.wav"],
                     "a.wav", to_user=family.toy_id)[0] == 403
    assert_nothing_stored(api, family, before)


def test_missing_fields_are_400(api, family, samples):
    status, body = post_file(api, "/app_uploader", family.parent, "other", b"x", "a.wav",
                             to_user=family.toy_id)
    assert status == 400 and "reco_file" in body["msg"]
    status, body = family.upload(samples["pcm.wav"], to_user="nope")
    assert status == 400 and "to_user" in body["msg"]
    status, body = family.reply(samples["pcm.wav"], friend_type="toy")
    assert status == 400 and "friend_type" in body["msg"]
    assert api.services.store.db["messages"].count_documents({}) == 0


def test_failed_recording_leaves_no_file_when_the_database_fails(api, family, samples):
    class Broken(Exception):
        pass

    def broken_insert(doc):
        raise Broken()

    api.services.store.messages.insert = broken_insert
    api.app.config["PROPAGATE_EXCEPTIONS"] = False
    status, body = family.upload(samples["pcm.wav"])
    assert (status, body["msg"]) == (500, "internal error")
    assert chat_files(api) == []
    assert unread_in_mongo(api, family.toy_id) == {}


def test_black_box_conversation_with_real_speech(make_app, samples):
    """Every format to the toy, each push there by the upload's answer, a spoken announcement
    (espeak-ng) then the messages in order, the toy answers, the parent's count and history are
    right."""
    from tests.support import Api

    api = Api(make_app())
    family = Family(api, remark="Dad")
    socket = toy_socket(api, family.toy)
    sent = []
    for name in ["amr-nb.amr", "amr-wb.awb", "aac.m4a", "opus.webm", "vorbis.ogg", "lame.mp3",
                 "pcm.wav"]:
        status, body = family.upload(samples[name], filename=name)
        assert status == 200
        assert [e["chat"] for e in chat_events(socket)] == [body["data"]["filename"]]
        sent.append(body["data"]["filename"])
    status, items = api.post("/recv_msg", family.toy, from_user=family.parent_id)
    assert status == 200 and [i["message"] for i in items[1:]] == sent
    spoken = api.get(f"/get_chat/{items[0]['message']}")
    assert spoken.status_code == 200 and len(spoken.data) > 1000
    assert api.post("/recv_msg", family.toy) == (200, [])
    status, body = family.reply(samples["amr-nb.amr"])
    assert status == 200
    assert api.ok("/auto_login", family.parent)["chat"] == {family.toy_id: 1, "count": 1}
    history = api.ok("/chat_list", family.parent, chat_id=family.chat_id)
    assert [m["message"] for m in history] == [*sent, body["data"]["filename"]]
    assert api.ok("/auto_login", family.parent)["chat"] == {"count": 0}
    _, stranger = api.user()
    assert api.post("/chat_list", stranger, chat_id=family.chat_id)[0] == 403
    assert family.upload(samples["pcm.wav"], token=stranger)[0] == 403
