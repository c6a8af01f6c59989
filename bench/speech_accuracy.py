"""Speech assistant accuracy and latency on a generated spoken command set (not a test).

Each command is spoken by the project's espeak-ng TTS in several voices and rates, and also
sent through an AMR-NB round trip (what phones record), with added white noise, and with a
second of background noise before and after; every
recording goes through the real pipeline (AudioConverter → PocketsphinxRecognizer with the
domain model → match_intent). The baseline, measured in the same run on the same audio, is
pocketsphinx's generic English model (its own 3-gram LM and full dictionary).

    python bench/speech_accuracy.py [--quick]

Targets: >= 85 % intent accuracy, median <= 1 s per command on a 2-core machine.
"""

import argparse
import array
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.audio import AudioConverter, bundled_ffmpeg  # noqa: E402
from services.speech.asr import WarpedRecognizer  # noqa: E402
from services.speech.assistant import AGREEING, vocabulary_for  # noqa: E402
from services.speech.intents import (  # noqa: E402
    Context,
    Friend,
    Message,
    Play,
    Song,
    match_intent,
    match_intent_nbest,
)
from services.speech.responder import OfflineResponder  # noqa: E402
from services.speech.tts import EspeakTTS  # noqa: E402

TITLES = ["Twinkle Twinkle Little Star", "Baa Baa Black Sheep", "Old MacDonald Had a Farm",
          "The Wheels on the Bus", "Happy Birthday", "Mary Had a Little Lamb",
          "Five Little Monkeys", "You Are My Sunshine", "Humpty Dumpty", "Baby Shark",
          "Row Row Row Your Boat", "Itsy Bitsy Spider", "Hickory Dickory Dock", "Jingle Bells"]
FRIENDS = (Friend("dad", "Dad", "Robert"), Friend("mum", "Mommy", "Alice"),
           Friend("gran", "Grandma", "Jane"), Friend("lily", "Lily", "Bear", "toy"))
# (what the child says, expected: "play:<title>", "message:<friend id>" or "chat")
COMMANDS = [
    ("play twinkle twinkle little star", "play:Twinkle Twinkle Little Star"),
    ("play little star", "play:Twinkle Twinkle Little Star"),
    ("i want to hear baby shark", "play:Baby Shark"),
    ("sing jingle bells", "play:Jingle Bells"),
    ("can you play the wheels on the bus", "play:The Wheels on the Bus"),
    ("humpty dumpty", "play:Humpty Dumpty"),
    ("put on baa baa black sheep", "play:Baa Baa Black Sheep"),
    ("could you sing you are my sunshine for me", "play:You Are My Sunshine"),
    ("play old macdonald", "play:Old MacDonald Had a Farm"),
    ("please play hickory dickory dock", "play:Hickory Dickory Dock"),
    ("sing happy birthday", "play:Happy Birthday"),
    ("play row row row your boat", "play:Row Row Row Your Boat"),
    ("talk to daddy", "message:dad"),
    ("send a message to grandma", "message:gran"),
    ("call mommy", "message:mum"),
    ("i want to talk to my dad", "message:dad"),
    ("tell mom i love her", "message:mum"),
    ("send a message to lily", "message:lily"),
    ("what is your name", "chat"),
    ("tell me a joke", "chat"),
    ("play a game", "chat"),
    ("what does a dog say", "chat"),
    ("tell me a story", "chat"),
    ("good night", "chat"),
    ("i love you", "chat"),
    ("how old are you", "chat"),
    ("what time is it", "chat"),
    ("what is the weather like today", "chat"),
]
VOICES = [("en-us", 150), ("en-us+f3", 175), ("en-us+m3", 140), ("en-gb", 160),
          ("en-gb+f2", 150), ("en-us+f4", 170)]


def label(intent):
    """The bench label of an intent."""
    if isinstance(intent, Play):
        return f"play:{intent.title}"
    if isinstance(intent, Message):
        return f"message:{intent.friend.friend_id}"
    return "chat"


def amr_round_trip(wav, ffmpeg):
    """``wav`` encoded to AMR-NB 12.2 kbit/s (8 kHz) and back to WAV, as phones record."""
    with tempfile.TemporaryDirectory() as folder:
        src, amr = Path(folder) / "in.wav", Path(folder) / "out.amr"
        src.write_bytes(wav)
        subprocess.run([ffmpeg, "-nostdin", "-v", "error", "-i", str(src), "-ar", "8000",
                        "-ac", "1", "-c:a", "libopencore_amrnb", "-b:a", "12.2k", str(amr)],
                       check=True, timeout=60)
        return amr.read_bytes()


def add_noise(pcm, snr_db, rng):
    """``pcm`` with white noise ``snr_db`` below the speech level."""
    samples = array.array("h")
    samples.frombytes(pcm)
    power = statistics.fmean(s * s for s in samples) or 1.0
    sigma = (power / 10 ** (snr_db / 10)) ** 0.5
    noisy = array.array("h", (max(-32768, min(32767, int(s + rng.gauss(0, sigma))))
                              for s in samples))
    return noisy.tobytes()


def surround_with_noise(pcm, seconds, level, rng):
    """``pcm`` with ``seconds`` of background noise (RMS ``level``) before and after, as when
    the talk button is held a moment longer than the child speaks."""
    count = int(16000 * seconds)
    noise = array.array("h", (int(rng.gauss(0, level)) for _ in range(count))).tobytes()
    return noise + pcm + noise


def recordings(quick, converter, tts, rng):
    """Yield ``(condition, text, expected, pcm)`` for every generated recording."""
    ffmpeg = bundled_ffmpeg()  # it has the AMR-NB encoder, whatever is on PATH
    voices = VOICES[:3] if quick else VOICES
    for voice, rate in voices:
        for text, expected in COMMANDS:
            wav = tts.synthesize_wav(text, voice=voice, rate=rate)
            yield f"{voice}@{rate}", text, expected, converter.to_pcm_16k_mono(wav)
    for index, (text, expected) in enumerate(COMMANDS):
        voice, rate = VOICES[index % len(voices)]
        wav = tts.synthesize_wav(text, voice=voice, rate=rate)
        yield "amr-nb round trip", text, expected, converter.to_pcm_16k_mono(
            amr_round_trip(wav, ffmpeg))
        yield "noise 20 dB", text, expected, add_noise(converter.to_pcm_16k_mono(wav), 20, rng)
        yield "1 s room noise around", text, expected, surround_with_noise(
            converter.to_pcm_16k_mono(wav), 1.0, 200, rng)


class GenericRecognizer:
    """Baseline: pocketsphinx's generic English LM and full dictionary (no domain model)."""

    def __init__(self):
        from pocketsphinx import Config, Decoder

        self.decoder = Decoder(Config(logfn=os.devnull))

    def recognize(self, pcm, _vocabulary):
        decoder = self.decoder
        decoder.start_utt()
        for start in range(0, len(pcm), 4096):
            decoder.process_raw(pcm[start:start + 4096])
        decoder.end_utt()
        hypothesis = decoder.hyp()
        return hypothesis.hypstr if hypothesis else ""


def run(quick, show_errors):
    """Run the bench and print the figures."""
    rng = random.Random(7)
    converter, tts = AudioConverter(), EspeakTTS()
    context = Context(tuple(Song(t, f"{t}.mp3") for t in TITLES), FRIENDS)
    vocabulary = vocabulary_for(context)
    ours, generic = WarpedRecognizer(), GenericRecognizer()
    responder = OfflineResponder()
    ours.prepare(vocabulary)
    results = {"domain": [], "generic": []}
    for condition, text, expected, pcm in recordings(quick, converter, tts, rng):
        started = time.perf_counter()
        heard = ours.recognize(pcm, vocabulary)
        got = label(match_intent_nbest((heard.text, *heard.alternatives), context,
                                       agreeing=AGREEING, understood=responder.understands))
        results["domain"].append((condition, got == expected, time.perf_counter() - started))
        if show_errors and got != expected:
            print(f"  miss [{condition}] {text!r} heard {heard.text!r} -> {got}")
        started = time.perf_counter()
        base = label(match_intent(generic.recognize(pcm, vocabulary), context))
        results["generic"].append((condition, base == expected, time.perf_counter() - started))
    report(results)


def report(results):
    """Print accuracy per condition and overall, and median latency, for both models."""
    conditions = list(dict.fromkeys(c for c, _, _ in results["domain"]))
    print(f"{'condition':22} {'domain LM':>10} {'generic':>10}")
    for condition in conditions:
        row = [statistics.fmean(ok for c, ok, _ in results[m] if c == condition)
               for m in ("domain", "generic")]
        print(f"{condition:22} {row[0]:10.1%} {row[1]:10.1%}")
    for model in ("domain", "generic"):
        rows = results[model]
        accuracy = statistics.fmean(ok for _, ok, _ in rows)
        median = statistics.median(t for _, _, t in rows)
        print(f"{model:8} intent accuracy {accuracy:6.1%} over {len(rows)} recordings; "
              f"median recognition+intent {median * 1000:5.0f} ms, "
              f"p90 {sorted(t for _, _, t in rows)[int(len(rows) * 0.9)] * 1000:5.0f} ms")
    gain = statistics.fmean(ok for _, ok, _ in results["domain"]) - \
        statistics.fmean(ok for _, ok, _ in results["generic"])
    print(f"domain model vs generic baseline: {gain:+.1%} intent accuracy "
          f"(targets: >= 85 %, median <= 1000 ms)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="three voices only")
    parser.add_argument("--errors", action="store_true", help="print every miss")
    args = parser.parse_args()
    run(args.quick, args.errors)


if __name__ == "__main__":
    main()
