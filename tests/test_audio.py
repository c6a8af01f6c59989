"""AudioConverter: every accepted format, bad and hostile inputs, limits, no leftovers."""

import io
import os
import re
import struct
import subprocess
import time
import wave
from concurrent.futures import ThreadPoolExecutor

import pytest
from werkzeug.datastructures import FileStorage

from services.audio import (
    AudioConverter,
    bundled_ffmpeg,
    configure_pydub,
    find_ffmpeg,
    missing_features,
)
from services.errors import InvalidInput, TooLarge, UnsupportedMedia, UpstreamTimeout
from tests.audio_samples import amr_wb_bytes, write_tones
from tests.fake_ffmpeg import fake_ffmpeg

SECONDS = 1.5
# name: ffmpeg output options for a 1.5 s sine tone
ENCODINGS = {
    "tone.amr": ["-ar", "8000", "-ac", "1", "-c:a", "libopencore_amrnb", "-b:a", "12.2k"],
    "tone.m4a": ["-c:a", "aac", "-b:a", "32k"],  # moov index written at the end (default)
    "faststart.m4a": ["-c:a", "aac", "-b:a", "32k", "-movflags", "+faststart"],
    "tone.webm": ["-c:a", "libopus", "-b:a", "24k"],
    "vorbis.ogg": ["-c:a", "libvorbis"],
    "opus.ogg": ["-c:a", "libopus", "-f", "ogg"],
    "tone.mp3": ["-c:a", "libmp3lame", "-b:a", "32k"],
    "tone.wav": ["-c:a", "pcm_s16le"],
}
MP3_NAME = re.compile(r"[0-9a-f]{32}\.mp3")


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    """One ffmpeg run writing the tone in every encoding, plus a hand-made AMR-WB file."""
    folder = write_tones(tmp_path_factory.mktemp("samples"), ENCODINGS, SECONDS)
    (folder / "tone.awb").write_bytes(amr_wb_bytes())
    return folder


@pytest.fixture
def spool(tmp_path):
    path = tmp_path / "spool"
    path.mkdir()
    return path


@pytest.fixture
def out(tmp_path):
    return tmp_path / "chat"


@pytest.fixture
def converter(spool):
    return AudioConverter(max_bytes=2 * 1024 * 1024, max_seconds=5, temp_dir=spool)


def stream_info(path):
    """ffmpeg's description of the first audio stream of ``path``."""
    proc = subprocess.run([bundled_ffmpeg(), "-hide_banner", "-i", str(path)],
                          capture_output=True, timeout=10, check=False)
    return next(line for line in proc.stderr.decode().splitlines() if "Audio:" in line)


def assert_nothing_left(*folders):
    for folder in folders:
        assert not folder.exists() or list(folder.iterdir()) == []


@pytest.mark.parametrize("name", [*ENCODINGS, "tone.awb"])
def test_every_format_becomes_toy_mp3(converter, samples, out, spool, name):
    with open(samples / name, "rb") as stream:
        result = converter.convert_to_mp3(stream, out)
    expected = 1.0 if name == "tone.awb" else SECONDS
    assert MP3_NAME.fullmatch(result.name)
    assert result.path == out / result.name
    assert abs(result.duration - expected) < 0.1
    assert result.size == result.path.stat().st_size > 1000
    assert "mp3" in (info := stream_info(result.path)) and "22050 Hz, mono" in info
    assert abs(converter.probe_duration(result.path) - expected) < 0.1
    assert sorted(p.name for p in out.iterdir()) == [result.name]
    assert_nothing_left(spool)


def test_m4a_samples_really_have_the_index_where_claimed(samples):
    tail_index = (samples / "tone.m4a").read_bytes()
    head_index = (samples / "faststart.m4a").read_bytes()
    assert tail_index.index(b"moov") > tail_index.index(b"mdat")
    assert head_index.index(b"moov") < head_index.index(b"mdat")


@pytest.mark.parametrize("kind", ["path", "bytes", "stream"])
def test_sources_path_bytes_and_stream(converter, samples, out, kind):
    path = samples / "tone.m4a"
    source = {"path": path, "bytes": path.read_bytes(),
              "stream": io.BytesIO(path.read_bytes())}[kind]
    assert abs(converter.convert_to_mp3(source, out).duration - SECONDS) < 0.1


def test_names_are_new_and_unguessable(converter, samples, out):
    names = {converter.convert_to_mp3(samples / "tone.wav", out).name for _ in range(3)}
    assert len(names) == 3 and all(MP3_NAME.fullmatch(n) for n in names)


def test_hostile_client_filename_is_ignored(converter, samples, out, tmp_path):
    with open(samples / "tone.amr", "rb") as stream:
        upload = FileStorage(stream=stream, filename="../../evil; rm -rf ~.mp3",
                             content_type="audio/amr")
        result = converter.convert_to_mp3(upload, out)
    assert MP3_NAME.fullmatch(result.name)
    assert [p.name for p in out.iterdir()] == [result.name]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chat", "spool"]


def test_hostile_path_name_is_not_an_option_or_shell(converter, samples, out, tmp_path):
    odd = tmp_path / "-y; touch pwned $(id) .mp3"
    odd.write_bytes((samples / "vorbis.ogg").read_bytes())
    converter.convert_to_mp3(odd, out)
    assert not (tmp_path / "pwned").exists()
    assert "pwned" not in " ".join(p.name for p in out.iterdir())


def truncated(data, fraction=0.6):
    return data[: int(len(data) * fraction)]


BAD_INPUTS = {
    "random bytes": lambda s: bytes(range(256)) * 40,
    "text file": lambda s: b"this is not audio at all\n" * 10,
    "wav header only": lambda s: (s / "tone.wav").read_bytes()[:44],
    "truncated m4a, index at end": lambda s: truncated((s / "tone.m4a").read_bytes()),
    "truncated m4a, faststart": lambda s: truncated((s / "faststart.m4a").read_bytes()),
    "truncated webm": lambda s: truncated((s / "tone.webm").read_bytes()),
    "truncated ogg": lambda s: truncated((s / "vorbis.ogg").read_bytes()),
    "truncated amr": lambda s: truncated((s / "tone.amr").read_bytes()),
    "truncated mp3": lambda s: truncated((s / "tone.mp3").read_bytes()),
    "truncated wav": lambda s: truncated((s / "tone.wav").read_bytes()),
    "hls playlist pointing at a local file": lambda s: (
        f"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nfile://{s / 'tone.wav'}\n"
        "#EXT-X-ENDLIST\n").encode(),
    "ffconcat list": lambda s: f"ffconcat version 1.0\nfile '{s / 'tone.wav'}'\n".encode(),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_audio_is_415_and_leaves_nothing(converter, samples, out, spool, case):
    data = BAD_INPUTS[case](samples)
    with pytest.raises(UnsupportedMedia):
        converter.convert_to_mp3(data, out)
    assert_nothing_left(out, spool)


def test_text_file_named_mp3_is_415(converter, out, tmp_path):
    fake = tmp_path / "song.mp3"
    fake.write_text("ID3 but not really\n" * 20)
    with pytest.raises(UnsupportedMedia):
        converter.convert_to_mp3(fake, out)
    assert_nothing_left(out)


@pytest.mark.parametrize("source", [b"", io.BytesIO(b"")])
def test_empty_upload_is_415(converter, out, spool, source):
    with pytest.raises(UnsupportedMedia, match="empty"):
        converter.convert_to_mp3(source, out)
    assert_nothing_left(out, spool)


@pytest.mark.parametrize("declared", [0, 0xFFFFFFFF])
def test_streaming_wav_with_unknown_size_is_accepted(converter, samples, out, declared):
    data = (samples / "tone.wav").read_bytes()[:-1000]  # whole samples, a partial last packet
    at = data.index(b"data") + 4
    data = data[:4] + struct.pack("<I", declared) + data[8:at] + struct.pack("<I", declared) \
        + data[at + 4:]
    assert abs(converter.convert_to_mp3(data, out).duration - SECONDS) < 0.1


def test_wav_without_samples_is_415(converter, out):
    buf = io.BytesIO()
    with wave.open(buf, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16000)
    with pytest.raises(UnsupportedMedia):
        converter.convert_to_mp3(buf.getvalue(), out)
    assert_nothing_left(out)


def test_too_long_is_400_naming_the_duration(samples, out, spool):
    short_limit = AudioConverter(max_seconds=1, temp_dir=spool)
    with pytest.raises(InvalidInput, match=r"1\.5 s long; the limit is 1 s"):
        short_limit.convert_to_mp3((samples / "tone.m4a").read_bytes(), out)
    with pytest.raises(InvalidInput, match="limit is 1 s"):
        short_limit.to_pcm_16k_mono(samples / "tone.wav")
    assert_nothing_left(out, spool)


def test_duration_limit_can_be_raised_per_call(samples, out):
    short_limit = AudioConverter(max_seconds=1)
    result = short_limit.convert_to_mp3(samples / "tone.mp3", out, max_seconds=3)
    assert abs(result.duration - SECONDS) < 0.1


@pytest.mark.parametrize("kind", ["path", "bytes", "stream"])
def test_over_size_is_413_and_leaves_nothing(samples, out, spool, kind):
    path = samples / "tone.wav"  # ~66 KB
    source = {"path": path, "bytes": path.read_bytes(),
              "stream": io.BytesIO(path.read_bytes())}[kind]
    small = AudioConverter(max_bytes=10_000, temp_dir=spool)
    with pytest.raises(TooLarge, match="limit"):
        small.convert_to_mp3(source, out)
    assert_nothing_left(out, spool)


def test_check_size_helper():
    converter = AudioConverter(max_bytes=100)
    converter.check_size(100)
    with pytest.raises(TooLarge):
        converter.check_size(101)


def test_from_config_reads_limits():
    converter = AudioConverter.from_config({"MAX_UPLOAD_MB": 2, "MAX_AUDIO_SECONDS": 30})
    assert converter.max_bytes == 2 * 1024 * 1024 and converter.max_seconds == 30


def test_timeout_kills_ffmpeg_and_leaves_nothing(samples, out, spool):
    hasty = AudioConverter(timeout=0.001, temp_dir=spool)
    with pytest.raises(UpstreamTimeout):
        hasty.convert_to_mp3((samples / "tone.wav").read_bytes(), out)
    assert_nothing_left(out, spool)


def test_forced_name_must_be_safe(converter, samples, out):
    result = converter.convert_to_mp3(samples / "tone.wav", out, name="Success.mp3")
    assert result.path == out / "Success.mp3"
    for bad in ("../x.mp3", ".hidden.mp3", "a/b.mp3", "x.wav"):
        with pytest.raises(ValueError):
            converter.convert_to_mp3(samples / "tone.wav", out, name=bad)


@pytest.mark.parametrize("name", ["tone.amr", "tone.m4a", "opus.ogg", "tone.awb"])
def test_speech_pcm_and_wav_16k_mono(converter, samples, spool, name):
    expected = 1.0 if name == "tone.awb" else SECONDS
    pcm = converter.to_pcm_16k_mono(samples / name)
    assert abs(len(pcm) / 32000 - expected) < 0.1
    with wave.open(io.BytesIO(converter.to_wav_16k_mono(samples / name))) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (16000, 1, 2)
        assert wav.getnframes() == len(pcm) // 2
    with pytest.raises(UnsupportedMedia):
        converter.to_pcm_16k_mono(b"not audio" * 50)
    assert_nothing_left(spool)


def test_probe_duration_rejects_non_audio(converter):
    with pytest.raises(UnsupportedMedia):
        converter.probe_duration(b"\x00" * 4000)


@pytest.fixture
def fresh_choice(monkeypatch):
    """``find_ffmpeg`` decides again (its cache is per process), and again after the test."""
    monkeypatch.delenv("IMAGEIO_FFMPEG_EXE", raising=False)
    find_ffmpeg.cache_clear()
    yield
    find_ffmpeg.cache_clear()


def test_a_capable_ffmpeg_on_path_is_preferred(tmp_path, monkeypatch, fresh_choice, caplog):
    fake = fake_ffmpeg(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_ffmpeg() == str(fake)
    assert missing_features(str(fake)) == ""
    assert "cannot be used" not in caplog.text
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    find_ffmpeg.cache_clear()
    assert find_ffmpeg() == bundled_ffmpeg()


def test_an_ffmpeg_without_amr_decoder_is_replaced_by_the_bundled_one(
        tmp_path, monkeypatch, fresh_choice, caplog):
    fake = fake_ffmpeg(tmp_path, hide="amr_nb")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert missing_features(str(fake)) == "decoder amr_nb"
    assert find_ffmpeg() == bundled_ffmpeg()
    lines = [r.getMessage() for r in caplog.records if "cannot be used" in r.getMessage()]
    assert len(lines) == 1 and str(fake) in lines[0] and "decoder amr_nb" in lines[0]
    find_ffmpeg()  # decided once per process: no second log line
    assert len([r for r in caplog.records if "cannot be used" in r.getMessage()]) == 1


def test_ffmpeg_binary_setting_wins_over_path_and_is_checked(tmp_path, monkeypatch,
                                                             fresh_choice, caplog):
    on_path = fake_ffmpeg(tmp_path)
    chosen_dir = tmp_path / "chosen"
    chosen_dir.mkdir()
    chosen = fake_ffmpeg(chosen_dir)
    monkeypatch.setenv("PATH", str(tmp_path))
    converter = AudioConverter.from_config({"FFMPEG_BINARY": str(chosen)})
    assert converter.ffmpeg == str(chosen) != str(on_path)
    mp3_less = fake_ffmpeg(chosen_dir, hide="mp3")  # lists no mp3 codec and no mp3 demuxer
    assert missing_features(str(mp3_less)) == "decoder mp3, demuxer mp3"
    find_ffmpeg.cache_clear()
    assert AudioConverter.from_config({"FFMPEG_BINARY": str(mp3_less)}).ffmpeg \
        == bundled_ffmpeg()
    assert "(decoder mp3, demuxer mp3)" in caplog.text
    lame_less = fake_ffmpeg(chosen_dir, hide="libmp3lame", name="lame-less")
    assert missing_features(str(lame_less)) == "encoder libmp3lame"
    missing = str(tmp_path / "no-such-ffmpeg")
    assert AudioConverter.from_config({"FFMPEG_BINARY": missing}).ffmpeg == bundled_ffmpeg()
    assert f"ffmpeg {missing} cannot be used (cannot run" in caplog.text
    not_ffmpeg = chosen_dir / "true"
    not_ffmpeg.write_text("#!/bin/sh\nexit 0\n")
    not_ffmpeg.chmod(0o755)
    assert missing_features(str(not_ffmpeg)).startswith("it lists no codecs")


def test_a_distro_ffmpeg_on_path_converts_every_format(samples, tmp_path, fresh_choice):
    """Whatever ffmpeg is on PATH (e.g. Debian's), the converter's choice handles every format."""
    converter = AudioConverter(max_seconds=5, temp_dir=tmp_path / "spool")
    for name in [*ENCODINGS, "tone.awb"]:
        result = converter.convert_to_mp3(samples / name, tmp_path / "out")
        assert result.duration > 0.9
    assert_nothing_left(tmp_path / "spool")


def test_pydub_uses_our_ffmpeg(tmp_path):
    segment_class = configure_pydub()
    assert segment_class.converter == find_ffmpeg()
    from pydub.generators import Sine

    tone = Sine(440).to_audio_segment(duration=500)
    target = tmp_path / "pydub.mp3"
    tone.export(target, format="mp3").close()
    assert abs(AudioConverter().probe_duration(target) - 0.5) < 0.1


def test_concurrent_first_uses_check_the_binary_once(tmp_path, fresh_choice):
    calls = tmp_path / "calls"
    real = bundled_ffmpeg()
    script = tmp_path / "ffmpeg"
    script.write_text(f'#!/bin/sh\necho "$2" >> "{calls}"\nexec "{real}" "$@"\n')
    script.chmod(0o755)
    with ThreadPoolExecutor(8) as pool:
        chosen = set(pool.map(lambda _: find_ffmpeg(str(script)), range(8)))
    assert chosen == {str(script)}
    assert sorted(calls.read_text().split()) == ["-codecs", "-demuxers", "-encoders"]


def test_leftovers_of_dead_processes_are_removed_and_a_live_servers_kept(tmp_path):
    from services.audio.leftovers import remove_leftovers

    dead = subprocess.Popen(["true"])
    dead.wait()
    live = os.getppid()  # another process that is alive (pytest's parent)
    chat, spool = tmp_path / "chat", tmp_path / ".spool"
    chat.mkdir()
    spool.mkdir()
    names = {
        chat / f".part-{dead.pid}-ab12.mp3": False, chat / f".part-{os.getpid()}-cd34.mp3": False,
        chat / ".part-0123abcd.mp3": False, chat / f".part-{live}-ef56.mp3": True,
        spool / f"audio-in-{dead.pid}-x1y2": False, spool / f"audio-in-{live}-z3w4": True,
        spool / f"work-{dead.pid}-0a1b.mp3": False, spool / f"work-{live}-2c3d.mp3": True,
        chat / "0123456789abcdef0123456789abcdef.mp3": True, spool / "notes.txt": True,
    }
    for path in names:
        path.write_bytes(b"x")
    old = spool / f"audio-in-{live}-old1"  # a live pid, but older than max_age: pid reused
    old.write_bytes(b"x")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    assert remove_leftovers([chat, spool, tmp_path / "missing"]) == 6
    assert {path: path.exists() for path in names} == names and not old.exists()
