"""Turning uploaded recordings into toy-friendly mp3 files, and speech-ready PCM.

Every input goes through a real, private, seekable file (AAC/m4a written by phones keeps its
``moov`` index at the end, which ffmpeg cannot reach through a pipe). The client's file name is
never used: outputs get a new unguessable name. ffmpeg runs with an argument list, a timeout,
a whitelist of audio demuxers and the ``file`` protocol only.

At most ``max_conversions`` ffmpeg runs go at once per process; a request that cannot get a turn
within ``queue_wait`` seconds is answered 503 with ``Retry-After``. A full disk (``ENOSPC`` or
``EDQUOT`` while spooling or encoding) is answered 507, never 415. Work files carry the server's
process id (``.part-<pid>-*.mp3``, ``audio-in-<pid>-*``) so ``remove_leftovers`` can delete those a
killed process left behind without touching a live one's.
"""

import io
import logging
import os
import re
import secrets
import tempfile
import wave
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from services.audio.diskspace import RETRY_AFTER, disk_full, disk_full_is_507, low_on_space
from services.audio.ffmpeg import (
    UPLOAD_DEMUXERS,
    FfmpegFailed,
    find_ffmpeg,
    header_duration,
    parse_progress,
    run_ffmpeg,
)
from services.audio.leftovers import remove_leftovers
from services.audio.sniff import wav_is_truncated
from services.errors import (
    InvalidInput,
    ServiceUnavailable,
    TooLarge,
    UnsupportedMedia,
    UpstreamTimeout,
)
from services.turns import Turns

log = logging.getLogger(__name__)

MB = 1024 * 1024
SPEECH_RATE = 16000
_CHUNK = 256 * 1024
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}\.mp3")


@dataclass(frozen=True)
class ConvertedAudio:
    """A stored mp3: file ``name`` (no folder), full ``path``, ``duration`` s, ``size`` bytes."""

    name: str
    path: Path
    duration: float
    size: int


def new_mp3_name():
    """A new unguessable file name: 32 random hex characters + ``.mp3``."""
    return secrets.token_hex(16) + ".mp3"


class AudioConverter:
    """Converts recordings with ffmpeg under size, duration and time limits.

    ``ffmpeg``: the preferred binary (path or command name; checked and resolved on first use
    by ``find_ffmpeg``, which falls back to the bundled one); ``max_bytes``/``max_seconds``:
    upload limits; ``sample_rate``/``bitrate``: the mp3 made for toys; ``timeout``: seconds
    allowed per ffmpeg run; ``temp_dir``: where inputs given as bytes or streams are spooled
    (default: the system temp folder); ``max_conversions``: ffmpeg runs at once (default: twice
    the CPU count); ``queue_wait``: seconds a run may wait for its turn before 503.
    """

    def __init__(self, ffmpeg=None, *, max_bytes=10 * MB, max_seconds=120.0,
                 sample_rate=22050, bitrate="40k", timeout=30.0, temp_dir=None,
                 max_conversions=None, queue_wait=20.0):
        self._preferred = ffmpeg
        self._ffmpeg = None
        self.max_bytes = int(max_bytes)
        self.max_seconds = float(max_seconds)
        self.sample_rate = int(sample_rate)
        self.bitrate = bitrate
        self.timeout = float(timeout)
        self.temp_dir = temp_dir
        self.max_conversions = int(max_conversions or 2 * (os.cpu_count() or 1))
        self.queue_wait = float(queue_wait)
        self._turns = Turns(self.max_conversions, self.queue_wait, "audio conversions",
                            "the server is busy converting audio, retry in a few seconds")

    @classmethod
    def from_config(cls, config, ffmpeg=None):
        """Build from the settings mapping: ``FFMPEG_BINARY``, ``MAX_UPLOAD_MB``,
        ``MAX_AUDIO_SECONDS``, ``MAX_CONVERSIONS``, ``CONVERSION_WAIT``, ``CONVERSION_TIMEOUT``;
        inputs are spooled under ``MEDIA_DIR/.spool`` (the media disk, private, never served)."""
        spool = Path(config["MEDIA_DIR"]) / ".spool" if config.get("MEDIA_DIR") else None
        return cls(ffmpeg or config.get("FFMPEG_BINARY") or None,
                   max_bytes=float(config.get("MAX_UPLOAD_MB", 10)) * MB,
                   max_seconds=float(config.get("MAX_AUDIO_SECONDS", 120)),
                   timeout=float(config.get("CONVERSION_TIMEOUT", 30)),
                   max_conversions=config.get("MAX_CONVERSIONS") or None,
                   queue_wait=float(config.get("CONVERSION_WAIT", 20)), temp_dir=spool)

    @property
    def ffmpeg(self):
        """The ffmpeg binary path, chosen and checked on first use (see ``find_ffmpeg``)."""
        if self._ffmpeg is None:
            self._ffmpeg = find_ffmpeg(self._preferred)
        return self._ffmpeg

    def remove_leftovers(self, folders=()):
        """Delete the work files a killed process left in ``folders`` and in the spool folder;
        return how many (see ``services.audio.leftovers``)."""
        return remove_leftovers([*folders, *([self.temp_dir] if self.temp_dir else [])])

    def check_size(self, nbytes):
        """Raise ``TooLarge`` (413) when ``nbytes`` exceeds ``max_bytes``."""
        if nbytes > self.max_bytes:
            raise TooLarge(f"file too large: the limit is {self.max_bytes / MB:g} MB")

    def convert_to_mp3(self, source, folder, *, name=None, max_seconds=None):
        """Convert ``source`` to a mono mp3 in ``folder`` and return a ``ConvertedAudio``.

        ``source`` is a file path, bytes, or a binary stream (e.g. an uploaded file); ``name``
        forces the output name (default: a new unguessable one); ``max_seconds`` overrides the
        duration limit. The file appears under its final name only once fully verified.
        Raises ``TooLarge`` (413), ``UnsupportedMedia`` (415: not audio, damaged, truncated or
        empty), ``InvalidInput`` (400: longer than the limit), ``UpstreamTimeout`` (504: ffmpeg
        overran ``timeout``), ``ServiceUnavailable`` (503: no conversion turn in time, or no
        runnable ffmpeg), ``InsufficientStorage`` (507: disk or quota full). On any failure no
        temporary or partial file is left behind.
        """
        if name is not None and not _SAFE_NAME.fullmatch(name):
            raise ValueError(f"unsafe mp3 name {name!r}")
        limit = self.max_seconds if max_seconds is None else float(max_seconds)
        folder = Path(folder)
        final = folder / (name or new_mp3_name())
        partial = folder / f".part-{os.getpid()}-{secrets.token_hex(8)}.mp3"
        try:
            with disk_full_is_507():
                folder.mkdir(parents=True, exist_ok=True)
                with self._input_file(source) as src:
                    duration = self._encode_mp3(src, partial, limit)
                os.replace(partial, final)
        finally:
            partial.unlink(missing_ok=True)
        return ConvertedAudio(final.name, final, duration, final.stat().st_size)

    def probe_duration(self, source):
        """Decode ``source`` fully and return its audio duration in seconds.

        Raises ``TooLarge`` or ``UnsupportedMedia`` (no decodable audio).
        """
        with disk_full_is_507(), self._input_file(source) as src:
            out = self._run([*_input_args(src), "-map", "0:a:0", "-f", "null",
                             "-progress", "pipe:1", "-"])
        duration, _ = parse_progress(out)
        if duration <= 0:
            raise UnsupportedMedia("no audio in file")
        return duration

    def to_pcm_16k_mono(self, source, max_seconds=None):
        """Decode ``source`` to raw 16 kHz mono signed 16-bit little-endian PCM bytes.

        Raises ``TooLarge``, ``UnsupportedMedia`` or ``InvalidInput`` (too long) as
        ``convert_to_mp3`` does.
        """
        limit = self.max_seconds if max_seconds is None else float(max_seconds)
        with disk_full_is_507(), self._input_file(source) as src:
            pcm = self._run([*_input_args(src), "-map", "0:a:0", "-ac", "1",
                             "-ar", str(SPEECH_RATE), "-t", f"{limit + 1:.3f}",
                             "-c:a", "pcm_s16le", "-f", "s16le", "pipe:1"])
            duration = len(pcm) / (2 * SPEECH_RATE)
            if duration <= 0:
                raise UnsupportedMedia("no audio in file")
            if duration > limit:
                raise self._too_long(src, limit)
        return pcm

    def to_wav_16k_mono(self, source, max_seconds=None):
        """Like ``to_pcm_16k_mono`` but returns a complete 16 kHz mono 16-bit WAV file as bytes."""
        return pcm_to_wav(self.to_pcm_16k_mono(source, max_seconds), SPEECH_RATE)

    def _encode_mp3(self, src, dst, limit):
        """Encode ``src`` into ``dst`` (mp3), verify it decoded, return its duration."""
        out = self._run([*_input_args(src), "-map", "0:a:0", "-map_metadata", "-1",
                         "-ac", "1", "-ar", str(self.sample_rate), "-c:a", "libmp3lame",
                         "-b:a", self.bitrate, "-t", f"{limit + 1:.3f}", "-id3v2_version", "0",
                         "-f", "mp3", "-y", "-progress", "pipe:1", f"file:{dst}"], dst.parent)
        duration, _ = parse_progress(out)
        size = dst.stat().st_size if dst.exists() else 0
        if duration <= 0 or size == 0:
            raise UnsupportedMedia("no audio in file")
        if duration > limit:
            raise self._too_long(src, limit)
        return duration

    def _run(self, args, output_dir=None):
        """Run ffmpeg (once a conversion turn is free) and return its stdout.

        Raises ``ServiceUnavailable`` (503) when no turn frees up within ``queue_wait`` or the
        binary cannot run, ``UpstreamTimeout`` (504) when it overruns ``timeout``,
        ``InsufficientStorage`` (507) when writing into ``output_dir`` ran out of space, else
        ``UnsupportedMedia`` for any failure (ffmpeg's log stays server-side).
        """
        try:
            ffmpeg = self.ffmpeg
        except RuntimeError as exc:
            log.error("%s", exc)
            raise ServiceUnavailable("audio conversion is unavailable on the server",
                                     retry_after=RETRY_AFTER) from exc
        with self._turns.turn():
            return self._run_now(ffmpeg, args, output_dir)

    def _run_now(self, ffmpeg, args, output_dir):
        try:
            return run_ffmpeg(ffmpeg, args, self.timeout)
        except FfmpegFailed as exc:
            if exc.timed_out:
                log.warning("audio conversion timed out after %s s", self.timeout)
                raise UpstreamTimeout("audio conversion timed out") from exc
            if exc.unavailable:
                log.error("ffmpeg unavailable: %s", exc.detail)
                raise ServiceUnavailable("audio conversion is unavailable on the server",
                                         retry_after=RETRY_AFTER) from exc
            if exc.no_space or (output_dir is not None and low_on_space(output_dir)):
                log.error("audio conversion out of disk space in %s", output_dir)
                raise disk_full() from exc
            log.info("audio rejected: %s", exc.detail[-300:].strip())
            raise UnsupportedMedia("file is not audio, or is damaged or truncated") from exc

    def _too_long(self, src, limit):
        """The ``InvalidInput`` for audio over ``limit`` seconds, naming its duration if known."""
        announced = header_duration(self.ffmpeg, src, timeout=min(self.timeout, 10))
        length = f"{announced:.1f} s long" if announced and announced > limit \
            else f"longer than {limit:g} s"
        return InvalidInput(f"audio is {length}; the limit is {limit:g} s")

    @contextmanager
    def _input_file(self, source):
        """Yield a path to ``source`` on disk, spooling bytes/streams to a private temp file.

        Raises ``TooLarge`` over ``max_bytes`` and ``UnsupportedMedia`` for an empty or missing
        input. The temp file is removed on exit, whatever happens.
        """
        if isinstance(source, (str, os.PathLike)):
            path = Path(source)
            if not path.is_file():
                raise UnsupportedMedia("no audio file")
            self._check_input(path, path.stat().st_size)
            yield path
            return
        if self.temp_dir:
            Path(self.temp_dir).mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f"audio-in-{os.getpid()}-", dir=self.temp_dir)
        try:
            with os.fdopen(fd, "wb") as out:
                size = self._spool(source, out)
            self._check_input(Path(tmp), size)
            yield Path(tmp)
        finally:
            Path(tmp).unlink(missing_ok=True)

    def _check_input(self, path, nbytes):
        """Raise ``TooLarge``, or ``UnsupportedMedia`` for an empty file or a truncated WAV."""
        self.check_size(nbytes)
        if nbytes == 0:
            raise UnsupportedMedia("empty file")
        if wav_is_truncated(path):
            raise UnsupportedMedia("file is not audio, or is damaged or truncated")

    def _spool(self, source, out):
        """Copy bytes or a binary stream into ``out``; return the byte count (size-checked)."""
        if isinstance(source, (bytes, bytearray, memoryview)):
            self.check_size(len(source))
            out.write(source)
            return len(source)
        if not hasattr(source, "read"):
            raise TypeError("source must be a path, bytes or a binary stream")
        total = 0
        while chunk := source.read(_CHUNK):
            total += len(chunk)
            self.check_size(total)
            out.write(chunk)
        return total


def _input_args(path):
    """ffmpeg input options: local files only, audio demuxers only."""
    return ["-protocol_whitelist", "file", "-format_whitelist", UPLOAD_DEMUXERS,
            "-i", f"file:{path}"]


def pcm_to_wav(pcm, rate, channels=1):
    """Wrap signed 16-bit little-endian ``pcm`` bytes in a WAV container; return the bytes."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    return buf.getvalue()
