"""POST /ai_uploader with a fake recogniser and fake TTS: shapes, auth, errors, files served."""

import pytest

from services.speech.asr import FakeRecognizer
from services.speech.responder import OfflineResponder
from services.speech.smalltalk import SAY_AGAIN
from services.speech.tts import FakeTTS
from tests.messaging import Family, post_file
from tests.support import Api

SONGS = ["Twinkle Twinkle Little Star", "Baby Shark", "The Wheels on the Bus"]


@pytest.fixture
def fakes():
    return FakeRecognizer(), FakeTTS()


@pytest.fixture
def api(make_app, fakes):
    asr, tts = fakes
    return Api(make_app(asr=asr, tts=tts, chat=OfflineResponder()))


@pytest.fixture
def family(api):
    return Family(api, remark="Mum", nickname="Alice")


@pytest.fixture
def songs(api, tmp_path):
    """Songs added the operator's way; title → music file name."""
    added = {}
    for index, title in enumerate(SONGS):
        path = tmp_path / f"song{index}.mp3"
        path.write_bytes(b"ID3 song")
        added[title] = api.services.content.add(title, path)["music"]
    return added


@pytest.fixture
def voice(fakes):
    """A short WAV recording (a tone: the fake recogniser ignores what it says)."""
    return FakeTTS().synthesize_wav("a request to the toy")


def ask(api, token, data, filename="reco.wav", **fields):
    return post_file(api, "/ai_uploader", token, "reco", data, filename, **fields)


def test_play_answers_the_music_file(api, family, songs, fakes, voice):
    fakes[0].say("play little star")
    status, body = ask(api, family.toy, voice)
    assert status == 200
    assert body == {"from_user": "ai", "music": songs["Twinkle Twinkle Little Star"]}
    assert api.get(f"/get_music/{body['music']}").status_code == 200


def test_message_opens_a_conversation_with_the_friend(api, family, fakes, voice):
    fakes[0].say("call mommy")
    status, body = ask(api, family.toy, voice, toy_id=family.toy_id)
    assert status == 200
    assert body["from_user"] == family.parent_id and body["friend_type"] == "app"
    assert fakes[1].calls[-1][0] == "You can talk to Mum now."
    assert api.get(f"/get_chat/{body['chat']}").status_code == 200
    assert set(body) == {"from_user", "chat", "friend_type"}


def test_nickname_works_too(api, family, fakes, voice):
    fakes[0].say("send a message to alice")
    assert ask(api, family.toy, voice)[1]["from_user"] == family.parent_id


def test_chat_gets_a_spoken_reply(api, family, fakes, voice):
    fakes[0].say("what does a cow say")
    status, body = ask(api, family.toy, voice)
    assert status == 200 and set(body) == {"from_user", "chat"} and body["from_user"] == "ai"
    assert fakes[1].calls[-1][0] == "The cow says moo!"
    response = api.get(f"/get_chat/{body['chat']}")
    assert response.status_code == 200 and response.mimetype == "audio/mpeg"


def test_play_a_game_is_chat_not_a_song(api, family, songs, fakes, voice):
    fakes[0].say("play a game")
    body = ask(api, family.toy, voice)[1]
    assert "music" not in body and body["from_user"] == "ai"


@pytest.mark.parametrize("heard", ["", "   ", "fun"])
def test_nothing_heard_asks_again(api, family, fakes, voice, heard):
    fakes[0].say(heard)
    status, body = ask(api, family.toy, voice)
    assert status == 200 and body["from_user"] == "ai"
    assert fakes[1].calls[-1][0] == SAY_AGAIN


def test_unknown_sentences_get_the_graceful_answer(api, family, fakes, voice):
    fakes[0].say("purple monkey dishwasher")
    assert ask(api, family.toy, voice)[0] == 200
    assert fakes[1].calls[-1][0].startswith("I don't know that yet")


def test_same_answer_reuses_the_prompt_file(api, family, fakes, voice):
    fakes[0].say("thank you", "thank you")
    first, second = ask(api, family.toy, voice)[1], ask(api, family.toy, voice)[1]
    assert first == second and len(fakes[1].calls) == 1


def test_recogniser_gets_speech_audio_and_the_vocabulary(api, family, songs, fakes, voice):
    fakes[0].say("hello")
    ask(api, family.toy, voice)
    nbytes, vocabulary = fakes[0].calls[-1]
    assert 0.2 * 32000 < nbytes < 3 * 32000  # 16 kHz, 16-bit mono
    assert set(vocabulary.titles) == {t.lower() for t in SONGS}
    assert set(vocabulary.names) == {"mum", "alice"}


def test_any_format_the_uploaders_accept(api, family, fakes, tmp_path):
    from tests.messaging import make_samples

    folder = tmp_path / "samples"
    folder.mkdir()
    samples = make_samples(folder, seconds=0.6)
    for name, data in samples.items():
        if name.startswith("amr-wb"):
            continue  # silent frames: covered by the converter's own tests
        fakes[0].say("hello")
        status, body = ask(api, family.toy, data, filename=name)
        assert status == 200 and body["from_user"] == "ai", name


def test_toy_id_must_match_the_token(api, family, voice):
    other = Family(api, remark="Dad")
    status, body = ask(api, family.toy, voice, toy_id=other.toy_id)
    assert status == 403 and body["code"] == 403


def test_parent_token_is_refused(api, family, voice):
    assert ask(api, family.parent, voice)[0] == 403


def test_no_token_is_401(api, voice):
    assert ask(api, None, voice)[0] == 401


def test_missing_file_is_400(api, family):
    status, body = api.post("/ai_uploader", family.toy, form=True, toy_id=family.toy_id)
    assert status == 400 and "reco" in body["msg"]


def test_not_audio_is_415(api, family, fakes):
    status, body = ask(api, family.toy, b"this is not audio at all", filename="x.wav")
    assert status == 415 and body["code"] == 415
    assert fakes[0].calls == []


def test_unbound_toy_token_is_refused(api, family, voice):
    api.ok("/unbind_toy", family.parent, toy_id=family.toy_id)
    assert ask(api, family.toy, voice)[0] == 401
