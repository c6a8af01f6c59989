"""Speech assistant accuracy and latency on spoken commands it was never tuned on (not a test).

    python bench/speech_accuracy.py            # quick pass: 6 voices, ~200 recordings
    python bench/speech_accuracy.py --full     # every English espeak-ng voice below, + noise
    python bench/speech_accuracy.py --full --phrases 12   # every voice, 12 commands each
    python bench/speech_accuracy.py --errors   # also print every miss

Each command is spoken by espeak-ng in every English voice and variant listed (``en``,
``en-gb``, ``en-gb-x-rp``, ``en-us``, ``en-029``, ``en-gb-scotland``, ``en-us-nyc``, the Welsh
and Lancashire ones, female and male variants, 130-200 words per minute); commands alternate
between plain WAV and an AMR-NB round trip (what phones record), so every voice is heard
through both. The full pass adds white noise at 20 dB SNR and a second of room noise around.
Every recording goes through the assistant's own pipeline: ``AudioConverter`` → the recogniser
→ ``assistant.decide`` (the intent), in this process.

``--phrases N`` speaks N of the commands per voice (a different slice for each voice, so
together they still cover every command) to fit a full pass in less time.

Printed, for the subject (``--asr``, default ``scored``) next to the baseline measured on the
same audio in the same run (``--baseline``, default ``hybrid``, the recogniser before Whisper
scored candidates): intent accuracy
per voice and per channel, overall accuracy, the wrong-song rate (a "play" answer with another
song than asked, or a song when none was asked), the wrong-friend rate (a message opened with
another friend than asked, or when none was asked) and recognition + intent latency
percentiles.
Then request → answer over real HTTP to ``python app.py`` (speech worker pool) for a 3 s
command, baseline and subject alternated. Targets: >= 90 % overall, >= 80 % every voice,
wrong songs <= 1 %, median request → answer <= 0.6 s.
"""

import argparse
import array
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.audio import AudioConverter, bundled_ffmpeg  # noqa: E402
from services.speech.asr import build_provider  # noqa: E402
from services.speech.assistant import decide, vocabulary_for  # noqa: E402
from services.speech.intents import Context, Friend, Message, Play, Song, Unknown  # noqa: E402
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
    # natural phrasings and partial titles the recognisers were not tuned on
    ("i want baby shark", "play:Baby Shark"),
    ("can you put on jingle bells", "play:Jingle Bells"),
    ("five little monkeys", "play:Five Little Monkeys"),
    ("play itsy bitsy", "play:Itsy Bitsy Spider"),
    ("play the wheels on the bus please", "play:The Wheels on the Bus"),
    ("i want the itsy bitsy spider", "play:Itsy Bitsy Spider"),
]
# Development set (``--dev``): other phrasings of the same toy, other voice/speed pairs. The
# recogniser's thresholds and language are tuned on these, never on COMMANDS above.
DEV_COMMANDS = [
    ("play baby shark please", "play:Baby Shark"),
    ("can you sing twinkle twinkle", "play:Twinkle Twinkle Little Star"),
    ("i want to listen to jingle bells", "play:Jingle Bells"),
    ("sing me humpty dumpty", "play:Humpty Dumpty"),
    ("put on the itsy bitsy spider", "play:Itsy Bitsy Spider"),
    ("play mary had a little lamb", "play:Mary Had a Little Lamb"),
    ("could you play five little monkeys for me", "play:Five Little Monkeys"),
    ("lets sing old macdonald had a farm", "play:Old MacDonald Had a Farm"),
    ("play you are my sunshine", "play:You Are My Sunshine"),
    ("play hickory dickory", "play:Hickory Dickory Dock"),
    ("can you put on row row row your boat", "play:Row Row Row Your Boat"),
    ("i want happy birthday", "play:Happy Birthday"),
    ("sing baa baa black sheep for me", "play:Baa Baa Black Sheep"),
    ("the wheels on the bus", "play:The Wheels on the Bus"),
    ("let me talk to daddy", "message:dad"),
    ("can i talk to my daddy", "message:dad"),
    ("send daddy a message", "message:dad"),
    ("call dad", "message:dad"),
    ("tell daddy good night", "message:dad"),
    ("talk to my mommy", "message:mum"),
    ("tell mommy i miss her", "message:mum"),
    ("call grandma", "message:gran"),
    ("speak to lily", "message:lily"),
    ("can you call robert", "message:dad"),
    ("hello", "chat"),
    ("what does a cow say", "chat"),
    ("i am hungry", "chat"),
    ("how are you", "chat"),
    ("tell me a fun fact", "chat"),
    ("who are you", "chat"),
    ("what is your favorite color", "chat"),
    ("count to ten", "chat"),
]
DEV_VOICES = [("en", 140), ("en-gb", 185), ("en-us+f2", 165), ("en-gb-scotland+f2", 160),
              ("en-029+m3", 150), ("en+f4", 170), ("en-gb-x-rp+f2", 135), ("en-us-nyc+f3", 150),
              ("en-gb-scotland+m2", 135), ("en+f3", 190)]
QUICK_VOICES = [("en", 175), ("en-gb-x-rp+m3", 190), ("en-us", 150), ("en-us+f3", 175),
                ("en-029", 160), ("en-gb-scotland", 170)]
FULL_VOICES = QUICK_VOICES + [
    ("en+f2", 150), ("en-gb", 160), ("en-gb+m3", 190), ("en-gb-x-rp+f3", 200),
    ("en-us+m3", 140), ("en-us+f4", 130), ("en-029+f2", 130), ("en-gb-scotland+f4", 145),
    ("en-gb-x-rp", 175),
    ("en-us-nyc", 185), ("en-gb-x-gbclan", 155), ("en-gb-x-gbcwmd+m2", 165)]
BASELINE = "hybrid"


def label(intent):
    """The bench label of an intent."""
    if isinstance(intent, Play):
        return f"play:{intent.title}"
    if isinstance(intent, Message):
        return f"message:{intent.friend.friend_id}"
    return "unknown" if isinstance(intent, Unknown) else "chat"


def amr_round_trip(wav):
    """``wav`` encoded to AMR-NB 12.2 kbit/s (8 kHz), as phones record (the bundled ffmpeg has
    the encoder, whatever is on PATH)."""
    with tempfile.TemporaryDirectory() as folder:
        src, amr = Path(folder) / "in.wav", Path(folder) / "out.amr"
        src.write_bytes(wav)
        subprocess.run([bundled_ffmpeg(), "-nostdin", "-v", "error", "-i",
                        str(src), "-ar", "8000", "-ac", "1", "-c:a", "libopencore_amrnb",
                        "-b:a", "12.2k", str(amr)], check=True, timeout=60)
        return amr.read_bytes()


def add_noise(pcm, snr_db, rng):
    """``pcm`` with white noise ``snr_db`` below the speech level."""
    samples = array.array("h")
    samples.frombytes(pcm)
    power = statistics.fmean(s * s for s in samples) or 1.0
    sigma = (power / 10 ** (snr_db / 10)) ** 0.5
    return array.array("h", (max(-32768, min(32767, int(s + rng.gauss(0, sigma))))
                             for s in samples)).tobytes()


def surround_with_noise(pcm, seconds, level, rng):
    """``pcm`` with ``seconds`` of background noise (RMS ``level``) before and after."""
    noise = array.array("h", (int(rng.gauss(0, level)) for _ in range(int(16000 * seconds))))
    return noise.tobytes() + pcm + noise.tobytes()


def commands_for(v_index, phrases, commands=COMMANDS):
    """``(index, (text, expected))`` of the ``commands`` voice number ``v_index`` speaks: all
    of them, or ``phrases`` of them starting at a different place for every voice."""
    every = list(enumerate(commands))
    if not phrases or phrases >= len(every):
        return every
    start = v_index * phrases % len(every)
    return sorted((every + every)[start:start + phrases])


def recordings(voices, noisy, converter, tts, seed, phrases=0, picked=(), commands=COMMANDS):
    """Yield ``(voice, channel, text, expected, pcm)`` for every generated recording (only of
    the ``picked`` voices when given; the others keep their place, so each voice speaks the
    same commands through the same channels and noise as in a whole pass)."""
    for v_index, (voice, rate) in enumerate(voices):
        if picked and voice not in picked:
            continue
        rng = random.Random(seed * 1000 + v_index)
        name = f"{voice}@{rate}"
        for c_index, (text, expected) in commands_for(v_index, phrases, commands):
            wav = tts.synthesize_wav(text, voice=voice, rate=rate)
            if (v_index + c_index) % 2:
                yield name, "amr-nb", text, expected, converter.to_pcm_16k_mono(
                    amr_round_trip(wav))
            else:
                yield name, "wav", text, expected, converter.to_pcm_16k_mono(wav)
            if noisy and c_index % 3 == v_index % 3:
                pcm = converter.to_pcm_16k_mono(wav)
                yield name, "noise 20 dB", text, expected, add_noise(pcm, 20, rng)
                yield name, "room noise around", text, expected, surround_with_noise(
                    pcm, 1.0, 200, rng)


def run(voices, noisy, subject, show_errors, phrases=0, baseline=BASELINE, picked=(),
        commands=COMMANDS):
    """Run the bench and print the figures."""
    converter, tts, responder = AudioConverter(), EspeakTTS(), OfflineResponder()
    context = Context(tuple(Song(t, f"{t}.mp3") for t in TITLES), FRIENDS)
    vocabulary = vocabulary_for(context)
    systems = {"subject": build_provider(subject)}
    if baseline != "none":
        systems = {"baseline": build_provider(baseline), **systems}
    for recognizer in systems.values():
        recognizer.prepare(vocabulary)
        recognizer.recognize(converter.to_pcm_16k_mono(tts.synthesize_wav("hello")), vocabulary)
    rows = []
    for voice, channel, text, expected, pcm in recordings(voices, noisy, converter, tts, 7,
                                                          phrases, picked, commands):
        for system, recognizer in systems.items():
            started = time.perf_counter()
            heard = recognizer.recognize(pcm, vocabulary)
            got = label(decide(heard, context, responder.understands))
            rows.append((system, voice, channel, expected, got, time.perf_counter() - started,
                         len(pcm) / 32000))
            if show_errors and got != expected:
                second = heard.second.text if heard.second else ""
                print(f"  miss {system} [{voice} {channel}] {text!r} heard {heard.text!r}"
                      f"{f' / {second!r}' if second else ''} -> {got}")
    report(rows, subject, baseline)


def accuracy(rows):
    return statistics.fmean(got == expected for *_, expected, got, _, _ in rows)


def percentile(values, pct):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def report(rows, subject, baseline=BASELINE):
    """Print per-voice and per-channel accuracy, wrong songs and latency for both systems."""
    groups = defaultdict(list)
    for row in rows:
        system, voice, channel = row[:3]
        groups[("voice", voice, system)].append(row)
        groups[("channel", channel, system)].append(row)
        groups[("all", "", system)].append(row)
    print(f"{'intent accuracy':28} {'baseline':>9} {subject:>9}   (baseline: {baseline})")
    systems = [s for s in ("baseline", "subject") if groups[("all", "", s)]]
    for kind in ("voice", "channel"):
        names = list(dict.fromkeys(key[1] for key in groups if key[0] == kind))
        for name in names:
            base, ours = (groups[(kind, name, s)] for s in ("baseline", "subject"))
            shown = f"{accuracy(base):9.1%}" if base else f"{'-':>9}"
            print(f"{name:28} {shown} {accuracy(ours):9.1%}   ({len(ours)})")
    for system in systems:
        every = groups[("all", "", system)]
        wrong = statistics.fmean(got.startswith("play:") and got != expected
                                 for *_, expected, got, _, _ in every)
        wrong_friend = statistics.fmean(got.startswith("message:") and got != expected
                                        for *_, expected, got, _, _ in every)
        worst = min(accuracy(groups[("voice", name, system)])
                    for name in {key[1] for key in groups if key[0] == "voice"})
        seconds = [row[5] for row in every]
        print(f"{system:9} {subject if system == 'subject' else baseline:12} overall "
              f"{accuracy(every):6.1%} over {len(every)} recordings, worst voice {worst:6.1%}, "
              f"wrong song {wrong:5.2%}, wrong friend {wrong_friend:5.2%}; "
              f"recognition + intent p50 "
              f"{percentile(seconds, 50) * 1000:4.0f} ms, p90 {percentile(seconds, 90) * 1000:4.0f}"
              f" ms, p99 {percentile(seconds, 99) * 1000:4.0f} ms "
              f"(recordings {statistics.median(r[6] for r in every):.1f} s median)")
    print("targets: overall >= 90 %, every voice >= 80 %, wrong song <= 1 %, p50 <= 600 ms")


def http_latency(subject, rounds=3, per_round=5, baseline=BASELINE):
    """Request → answer over HTTP for a 3 s spoken command, to a real ``python app.py`` per
    recogniser (baseline and subject alternated request by request); min/median/max of the
    per-round medians."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from event_loop import Server

    from services.audio.converter import pcm_to_wav

    pcm = AudioConverter().to_pcm_16k_mono(EspeakTTS().synthesize_wav(
        "play twinkle twinkle little star", voice="en-gb-scotland", rate=130))
    command = pcm_to_wav((pcm + bytes(3 * 32000))[: 3 * 32000], 16000)
    folder = Path(tempfile.mkdtemp(prefix="bench-speech-"))
    servers = {name: Server(folder / name, toys=1, env={"SPEECH_ASR": asr})
               for name, asr in (("baseline", baseline), ("subject", subject))}
    medians = {name: [] for name in servers}
    try:
        for _ in range(rounds + 1):  # the first round warms the workers and is dropped
            times = {name: [] for name in servers}
            for _ in range(per_round):
                for name, server in servers.items():
                    started = time.perf_counter()
                    answer = server.ask(command)
                    times[name].append(time.perf_counter() - started)
                    assert answer.get("music"), answer
            for name in servers:
                medians[name].append(statistics.median(times[name]))
    finally:
        for server in servers.values():
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    print(f"HTTP /ai_uploader, 3 s command, python app.py, median of {per_round} requests, "
          f"min / median / max of {rounds} rounds:")
    for name, values in medians.items():
        values = sorted(values[1:]) if len(values) > 1 else values
        label_ = baseline if name == "baseline" else subject
        print(f"   {name:9} {label_:12} {values[0] * 1000:5.0f} / "
              f"{statistics.median(values) * 1000:5.0f} / {values[-1] * 1000:5.0f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="every voice, plus noisy copies")
    parser.add_argument("--asr", default="scored", help="subject recogniser (SPEECH_ASR name)")
    parser.add_argument("--baseline", default=BASELINE,
                        help="baseline recogniser ('none': the subject alone)")
    parser.add_argument("--voices", default="",
                        help="comma-separated voices of the pass to run (e.g. en+f2), "
                             "each keeping its rate and command slice")
    parser.add_argument("--phrases", type=int, default=0,
                        help="commands per voice (default: all), a different slice per voice")
    parser.add_argument("--errors", action="store_true", help="print every miss")
    parser.add_argument("--dev", action="store_true",
                        help="the development set (other phrasings and voice/speed pairs, the "
                             "one tuned on) instead of the bench's commands")
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP latency part")
    args = parser.parse_args()
    voices = DEV_VOICES if args.dev else FULL_VOICES if args.full else QUICK_VOICES
    picked = {v.strip() for v in args.voices.split(",") if v.strip()}
    unknown = picked - {voice for voice, _ in voices}
    if unknown:
        parser.error(f"--voices: not in this pass: {', '.join(sorted(unknown))}")
    run(voices, args.full, args.asr, args.errors, args.phrases, args.baseline, picked,
        DEV_COMMANDS if args.dev else COMMANDS)
    if not args.no_http:
        http_latency(args.asr, baseline=args.baseline)


if __name__ == "__main__":
    main()
