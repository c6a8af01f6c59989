"""Recognition: the domain language model, pronunciations, pocketsphinx on espeak speech, and
the assistant end to end over HTTP with the project's own TTS and recogniser (small, fast)."""

import io
import wave

import pytest

from services.audio import AudioConverter
from services.speech.asr import (
    FakeRecognizer,
    PocketsphinxRecognizer,
    WarpedRecognizer,
    make_recognizer,
)
from services.speech.intents import Message, Play, match_intent_nbest
from services.speech.language import Vocabulary, arpa, corpus, name_forms, title_spans
from services.speech.levels import is_silent, trim_silence
from services.speech.pronounce import compound, letter_to_sound, pronounce
from services.speech.smalltalk import SAY_AGAIN
from services.speech.tts import EspeakTTS, FakeTTS
from tests.messaging import Family, post_file
from tests.support import Api

TITLES = ["Twinkle Twinkle Little Star", "Baby Shark", "Humpty Dumpty", "Jingle Bells",
          "The Wheels on the Bus"]
VOCABULARY = Vocabulary.of(TITLES, ["Dad", "Grandma", "Zorblax"])


def test_vocabulary_is_normalized_and_keyed():
    same = Vocabulary.of(["baby shark", "Baby Shark!", "Humpty-Dumpty"], ["Dad", "dad", ""])
    assert same.titles == ("baby shark", "humpty dumpty") and same.names == ("dad",)
    assert same.key() == Vocabulary.of(["Humpty Dumpty", "baby shark"], ["DAD"]).key()
    assert same.key() != Vocabulary.of(["baby shark"], ["dad"]).key()


def test_corpus_covers_frames_titles_spans_and_names():
    sentences = set(corpus(VOCABULARY))
    assert {"play twinkle twinkle little star", "play little star", "little star",
            "i want to hear baby shark", "talk to daddy", "send a message to my grandma",
            "call zorblax", "tell me a joke", "what does a cow say"} <= sentences
    assert "little" not in title_spans("twinkle twinkle little star")
    assert {"dad", "my dad", "daddy"} <= set(name_forms("dad"))


def test_arpa_model_is_well_formed():
    model = arpa(["play baby shark", "call dad"])
    assert "\\data\\" in model and "ngram 3=" in model and model.rstrip().endswith("\\end\\")
    assert " <s> " in model or "<s>" in model


def test_letter_to_sound_and_compounds():
    assert letter_to_sound("zorblax") == "Z AO R B L AE K S"
    assert letter_to_sound("chase") == "CH AE S"
    known = {"mac": "M AE K", "donald": "D AA N AH L D"}.get
    assert compound("macdonald", known) == "M AE K D AA N AH L D"
    assert pronounce("macdonald", known) == "M AE K D AA N AH L D"
    assert pronounce("123", known) is None


def pcm_of(text, voice="en-us", rate=160, converter=None):
    converter = converter or AudioConverter()
    return converter.to_pcm_16k_mono(EspeakTTS().synthesize_wav(text, voice=voice, rate=rate))


def test_trim_silence_keeps_the_speech():
    import array
    import random

    rng = random.Random(1)
    speech = pcm_of("hello there")
    noise = array.array("h", (int(rng.gauss(0, 150)) for _ in range(16000))).tobytes()
    trimmed = trim_silence(noise + speech + noise)
    assert len(speech) <= len(trimmed) < len(speech) + 0.4 * 32000
    assert trim_silence(bytes(32000)) == b"" and trim_silence(b"") == b""


def test_prepare_speech_frames_speech_with_faint_room_tone():
    from services.speech.levels import loudness, prepare_speech

    speech = pcm_of("hello there")
    framed = prepare_speech(bytes(32000) + speech + bytes(32000))
    edge = int(0.3 * 16000) * 2
    assert len(framed) < len(speech) + 2 * edge + 0.3 * 32000
    assert 5 < loudness(framed[:edge]) < 60
    assert prepare_speech(bytes(64000)) == b"" and prepare_speech(b"\x40\x1f" * 100) == b""


def test_silence_and_tiny_clips_are_not_heard():
    assert is_silent(b"") and is_silent(bytes(32000)) and is_silent(b"\x10\x00" * 1000)
    recogniser = PocketsphinxRecognizer()
    heard = recogniser.recognize(bytes(16000 * 2), VOCABULARY)
    assert not heard.heard and heard.text == ""


@pytest.fixture(scope="module")
def recogniser():
    recogniser = WarpedRecognizer()
    recogniser.prepare(VOCABULARY)
    return recogniser


@pytest.mark.parametrize("text, voice", [
    ("play twinkle twinkle little star", "en-us+f3"),
    ("i want to hear baby shark", "en-us+f3"),
    ("sing jingle bells", "en-gb+f2"),
])
def test_recognises_play_commands(recogniser, text, voice):
    from services.speech.assistant import vocabulary_for
    from services.speech.intents import Context, Song

    context = Context(tuple(Song(t, f"{t}.mp3") for t in TITLES))
    assert vocabulary_for(context).titles == VOCABULARY.titles
    heard = recogniser.recognize(pcm_of(text, voice), VOCABULARY)
    intent = match_intent_nbest((heard.text, *heard.alternatives), context, agreeing=3)
    assert isinstance(intent, Play) and intent.title.lower() in text, heard
    assert heard.seconds > 0  # measured; speed itself is bench/speech_accuracy.py's business
    for one in recogniser.passes:  # quick by construction: one cached model, only its words
        assert list(one._models) == [VOCABULARY.key()]
        assert one._decoder.lookup_word("hippopotamus") is None  # not the 134k-word dictionary


def test_model_is_cached_by_vocabulary():
    one = PocketsphinxRecognizer(max_models=2)
    for names in (["dad"], ["mom"], ["dad"], ["grandma"]):
        one.prepare(Vocabulary.of(TITLES, names))
    assert len(one._models) == 2
    assert Vocabulary.of(TITLES, ["grandma"]).key() in one._models


def test_make_recognizer_from_config():
    assert isinstance(make_recognizer({"SPEECH_ASR": "pocketsphinx", "SPEECH_WORKERS": 0}),
                      WarpedRecognizer)
    assert isinstance(make_recognizer({"SPEECH_ASR": "fake"}), FakeRecognizer)
    with pytest.raises(ValueError):
        make_recognizer({"SPEECH_ASR": "cloud"})


# End to end: espeak speaks the command, /ai_uploader hears and answers it.

@pytest.fixture(scope="module")
def shared_recogniser():
    return WarpedRecognizer()


@pytest.fixture
def e2e(make_app, shared_recogniser, tmp_path):
    api = Api(make_app(asr=shared_recogniser, tts=FakeTTS()))
    family = Family(api, remark="Dad", nickname="Robert")
    songs = {}
    for index, title in enumerate(TITLES):
        path = tmp_path / f"song{index}.mp3"
        path.write_bytes(b"ID3 song")
        songs[title] = api.services.content.add(title, path)["music"]
    return api, family, songs


def wav_bytes(text, voice):
    return EspeakTTS().synthesize_wav(text, voice=voice)


def amr_bytes(wav, tmp_path):
    import subprocess

    from services.audio import bundled_ffmpeg

    src, out = tmp_path / "in.wav", tmp_path / "out.amr"
    src.write_bytes(wav)
    subprocess.run([bundled_ffmpeg(), "-nostdin", "-v", "error", "-i", str(src), "-ar", "8000",
                    "-c:a", "libopencore_amrnb", "-b:a", "12.2k", str(out)], check=True,
                   timeout=60)
    return out.read_bytes()


def test_e2e_play_from_spoken_wav(e2e):
    api, family, songs = e2e
    status, body = post_file(api, "/ai_uploader", family.toy, "reco",
                             wav_bytes("play baby shark", "en-us+f3"), "reco.wav")
    assert status == 200 and body == {"from_user": "ai", "music": songs["Baby Shark"]}


def test_e2e_message_from_spoken_amr(e2e, tmp_path):
    api, family, _ = e2e
    data = amr_bytes(wav_bytes("talk to daddy", "en-us+f3"), tmp_path)
    status, body = post_file(api, "/ai_uploader", family.toy, "reco", data, "reco.amr")
    assert status == 200
    assert body["from_user"] == family.parent_id and body["friend_type"] == "app"
    assert api.get(f"/get_chat/{body['chat']}").status_code == 200


def test_e2e_chat_reply(e2e):
    api, family, _ = e2e
    status, body = post_file(api, "/ai_uploader", family.toy, "reco",
                             wav_bytes("what does a cow say", "en-us+f3"), "reco.wav")
    assert status == 200 and body["from_user"] == "ai" and "music" not in body
    fake_tts = api.services.prompts.tts
    assert fake_tts.calls[-1][0] == "The cow says moo!"


def test_e2e_silence_asks_again(e2e):
    api, family, _ = e2e
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(bytes(16000))
    status, body = post_file(api, "/ai_uploader", family.toy, "reco", buffer.getvalue(),
                             "quiet.wav")
    assert status == 200 and body["from_user"] == "ai"
    assert api.services.prompts.tts.calls[-1][0] == SAY_AGAIN


def test_message_intent_survives_nbest(recogniser):
    from services.speech.intents import Context, Friend

    context = Context(friends=(Friend("g", "Grandma"),))
    heard = recogniser.recognize(pcm_of("send a message to grandma", "en-us+f3"),
                                 Vocabulary.of(TITLES, ["Grandma"]))
    intent = match_intent_nbest((heard.text, *heard.alternatives), context, agreeing=3)
    assert isinstance(intent, Message) and intent.friend.friend_id == "g", heard
