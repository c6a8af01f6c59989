"""Offline TTS (espeak-ng through espeakng-loader), the prompt cache and the shipped media."""

import io
import re
import threading
import wave
from pathlib import Path

import pytest
from PIL import Image
from pocketsphinx import Decoder

from services.audio import AudioConverter
from services.errors import InvalidInput, Upstream
from services.media import LocalMedia
from services.speech.make_prompts import PROMPTS, make_prompts
from services.speech.tts import EspeakTTS, FakeTTS, SpokenPrompts, make_tts

STATIC = Path(__file__).resolve().parent.parent / "static"
VOICES = ["en-us", "en-gb", "en-us+f3", "en-us+m3", "en-gb+f2"]
PHRASES = ["your toy is ready", "this toy is not licensed", "play a song", "hello there",
           "this toy is not bound yet please scan its code with the app"]


def wav_info(data):
    """(rate, channels, sample width, seconds) of WAV bytes."""
    with wave.open(io.BytesIO(data)) as wav:
        return (wav.getframerate(), wav.getnchannels(), wav.getsampwidth(),
                wav.getnframes() / wav.getframerate())


@pytest.fixture(scope="module")
def recogniser():
    """pocketsphinx restricted to ``PHRASES``: proves the audio is the intended speech."""
    decoder = Decoder(jsgf=None)
    grammar = "#JSGF V1.0;\ngrammar g;\npublic <s> = " + " | ".join(PHRASES) + ";\n"
    decoder.add_jsgf_string("phrases", grammar)
    decoder.activate_search("phrases")

    def recognise(pcm):
        decoder.start_utt()
        decoder.process_raw(pcm, full_utt=True)
        decoder.end_utt()
        return decoder.hyp().hypstr if decoder.hyp() else None

    return recognise


@pytest.fixture
def converter(tmp_path):
    spool = tmp_path / "spool"
    spool.mkdir()
    return AudioConverter(temp_dir=spool)


@pytest.mark.parametrize("voice", VOICES)
def test_espeak_voices_speak_intelligibly(voice, recogniser, converter):
    data = EspeakTTS().synthesize_wav("Your toy is ready", voice=voice)
    rate, channels, width, seconds = wav_info(data)
    assert (channels, width) == (1, 2) and rate > 8000 and 0.5 < seconds < 4
    assert recogniser(converter.to_pcm_16k_mono(data)) == "your toy is ready"


def test_voices_differ_and_rate_changes_length():
    tts = EspeakTTS()
    renders = {tts.synthesize_wav("hello there", voice=v) for v in VOICES}
    assert len(renders) == len(VOICES)
    slow = wav_info(tts.synthesize_wav("hello there, how are you", rate=100))[3]
    fast = wav_info(tts.synthesize_wav("hello there, how are you", rate=300))[3]
    assert fast < slow * 0.6
    assert tts.synthesize_wav("hello", pitch=10) != tts.synthesize_wav("hello", pitch=90)


@pytest.mark.parametrize("kwargs", [
    {"text": ""}, {"text": "   \n "}, {"text": "a" * 2001},
    {"text": "hi", "voice": "xx-nope"}, {"text": "hi", "voice": "en;rm -rf"},
    {"text": "hi", "voice": "../../etc/passwd"}, {"text": "hi", "rate": 10},
    {"text": "hi", "pitch": 120},
])
def test_espeak_rejects_bad_requests(kwargs):
    with pytest.raises(InvalidInput):
        EspeakTTS().synthesize_wav(**kwargs)


def test_espeak_is_safe_across_threads():
    # espeak-ng output may differ by a sample between runs, so compare lengths: interleaved
    # callbacks from two syntheses would mix their audio and change them a lot.
    tts = EspeakTTS()
    expected = {v: wav_info(tts.synthesize_wav(f"message number {i}", voice=v))[3]
                for i, v in enumerate(VOICES)}
    results = {}

    def speak(i, voice):
        results[voice] = wav_info(tts.synthesize_wav(f"message number {i}", voice=voice))[3]

    threads = [threading.Thread(target=speak, args=(i, v)) for i, v in enumerate(VOICES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.keys() == expected.keys()
    assert all(abs(results[v] - expected[v]) < 0.01 for v in VOICES)


def test_fake_tts_makes_tones_and_records_calls():
    fake = FakeTTS()
    rate, channels, width, seconds = wav_info(fake.synthesize_wav("hi there", voice="en-gb"))
    assert (rate, channels, width) == (16000, 1, 2) and 0.2 <= seconds <= 2
    assert fake.calls == [("hi there", "en-gb")]
    with pytest.raises(InvalidInput):
        fake.synthesize_wav(" ")


def test_make_tts_from_config():
    assert isinstance(make_tts({"SPEECH_TTS": "espeak", "SPEECH_VOICE": "en-gb"}), EspeakTTS)
    fake = make_tts({"SPEECH_TTS": "fake", "SPEECH_VOICE": "en-gb"})
    assert isinstance(fake, FakeTTS) and fake.voice == "en-gb"
    with pytest.raises(ValueError):
        make_tts({"SPEECH_TTS": "cloud-thing"})


@pytest.fixture
def media(tmp_path):
    return LocalMedia(tmp_path / "media", STATIC)


def test_prompts_are_cached_by_text_and_voice(tmp_path, converter, media):
    fake = FakeTTS()
    prompts = SpokenPrompts(fake, converter, media)
    chat = tmp_path / "media" / "chat"
    name = prompts.speak("You have a message from Dad")
    assert re.fullmatch(r"tts-[0-9a-f]{40}\.mp3", name)
    assert converter.probe_duration(chat / name) > 0.2
    assert prompts.speak("You have  a message\nfrom Dad") == name
    assert len(fake.calls) == 1
    other = prompts.speak("You have a message from Dad", voice="en-gb")
    assert other != name and len(fake.calls) == 2
    assert sorted(p.name for p in chat.iterdir()) == sorted([name, other])
    assert list((tmp_path / "spool").iterdir()) == []
    assert list((tmp_path / "media" / ".spool").iterdir()) == []


def test_prompt_names_with_a_secret_are_unguessable(converter, media):
    plain = SpokenPrompts(FakeTTS(), converter, media)
    keyed = SpokenPrompts(FakeTTS(), converter, media, secret="s3cret")
    assert plain.name_for("hello") != keyed.name_for("hello")
    assert keyed.name_for("hello") != SpokenPrompts(FakeTTS(), converter, media,
                                                    secret="other").name_for("hello")


class BrokenTTS(FakeTTS):
    def synthesize_wav(self, text, voice=None, rate=None, pitch=None):
        raise Upstream("engine down")


def test_failed_prompt_leaves_no_file(tmp_path, converter, media):
    prompts = SpokenPrompts(BrokenTTS(), converter, media)
    with pytest.raises(Upstream):
        prompts.speak("hello")
    assert [p for p in (tmp_path / "media").rglob("*") if p.is_file()] == []
    assert list((tmp_path / "spool").iterdir()) == []


def test_espeak_prompt_end_to_end(converter, recogniser, media):
    prompts = SpokenPrompts(EspeakTTS(), converter, media)
    path = media.open("chat", prompts.speak("Your toy is ready")).path
    assert recogniser(converter.to_pcm_16k_mono(path)) == "your toy is ready"


def test_make_prompts_writes_the_three_boot_prompts(tmp_path, converter):
    paths = make_prompts(tmp_path, tts=FakeTTS(), converter=converter)
    assert sorted(p.name for p in paths) == sorted(PROMPTS)


@pytest.mark.parametrize("name, heard", [
    ("Success.mp3", "your toy is ready"),
    ("Nobind.mp3", "this toy is not bound yet please scan its code with the app"),
    ("Nolic.mp3", "this toy is not licensed"),
])
def test_shipped_prompts_decode_and_say_the_right_thing(name, heard, converter, recogniser):
    path = STATIC / "chat" / name
    assert path.stat().st_size < 40_000
    assert recogniser(converter.to_pcm_16k_mono(path)) == heard


@pytest.mark.parametrize("name", ["mama.jpg", "baba.jpg", "toy.jpg"])
def test_shipped_avatars_are_small_jpegs(name):
    path = STATIC / "image" / name
    with Image.open(path) as image:
        assert image.format == "JPEG" and image.size == (256, 256)
    assert path.stat().st_size < 20_000
