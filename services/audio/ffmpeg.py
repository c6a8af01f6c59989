"""Choosing, checking and running the ffmpeg binary.

The binary is chosen at first use, never at import: ``FFMPEG_BINARY`` when set, else ``ffmpeg``
on ``PATH`` (distribution builds get security updates), else the static binary shipped inside
the ``imageio-ffmpeg`` wheel (so a plain ``pip install -r requirements.txt`` is enough). The
chosen binary must decode every accepted upload format and encode mp3 with libmp3lame
(``missing_features``); when it cannot, the bundled one is used instead and one log line says
why.

Every run is bounded: an argument list (never a shell), a timeout after which the whole process
group is killed, and ``PR_SET_PDEATHSIG`` so ffmpeg dies with the server even on ``kill -9``.
Under gevent (``python app.py``, gunicorn -k gevent) ffmpeg is started without forking the
server and waited for cooperatively (``services.audio.spawn``), so neither blocks the event loop.
"""

import ctypes
import errno
import functools
import logging
import os
import re
import shutil
import signal
import subprocess
import threading
import warnings

from services.audio import spawn

log = logging.getLogger(__name__)

# Demuxers an upload may use (ffmpeg `-format_whitelist`): keeps playlist/concat demuxers (HLS,
# ffconcat) from following references to local files or URLs inside a hostile upload.
UPLOAD_DEMUXERS = "mov,amr,amrnb,amrwb,matroska,ogg,mp3,wav,aac"
# What the server needs from ffmpeg: codecs it must decode (as named by `ffmpeg -codecs`),
# encoders it must have by name, demuxers it must have (`ffmpeg -demuxers`).
REQUIRED_DECODERS = ("amr_nb", "amr_wb", "aac", "opus", "vorbis", "mp3", "pcm_s16le")
REQUIRED_ENCODERS = ("libmp3lame", "pcm_s16le")
REQUIRED_DEMUXERS = ("mov", "amr", "matroska", "ogg", "mp3", "wav", "aac")
_ERROR_LINE = re.compile(r"\[(error|fatal|panic)\]")
# The warning ffmpeg gives (exit status still 0) for an mp3 at least 1/16 shorter than its Xing
# header says (libavformat/mp3dec.c). Truncated WAV is checked from its header instead
# (services/audio/sniff.py): ffmpeg warns the same way for legitimate streaming WAVs.
_TRUNCATION_WARNING = re.compile(r"\[warning\] filesize and duration do not match")
_NO_SPACE = re.compile(re.escape(os.strerror(errno.ENOSPC)) + "|"
                       + re.escape(os.strerror(errno.EDQUOT)), re.IGNORECASE)
_PR_SET_PDEATHSIG = 1
NICENESS = 10  # conversions yield the CPU to the server's event loop
_CHOICE_LOCK = threading.Lock()


class FfmpegFailed(Exception):
    """ffmpeg could not do the job; ``detail`` is its log.

    ``timed_out``: killed after the timeout; ``no_space``: a write failed for lack of disk space
    or quota; ``unavailable``: the binary could not be started at all.
    """

    def __init__(self, detail, timed_out=False, no_space=False, unavailable=False):
        self.detail = detail
        self.timed_out = timed_out
        self.no_space = no_space
        self.unavailable = unavailable
        super().__init__(detail[-500:])


def bundled_ffmpeg():
    """Path of the static ffmpeg shipped by the imageio-ffmpeg wheel (full codec set).

    Raises ``RuntimeError`` when imageio-ffmpeg is not installed.
    """
    try:
        import imageio_ffmpeg
    except ImportError as exc:
        raise RuntimeError("no usable ffmpeg: `pip install imageio-ffmpeg` "
                           "or set FFMPEG_BINARY to a full ffmpeg build") from exc
    return imageio_ffmpeg.get_ffmpeg_exe()


def find_ffmpeg(preferred=None):
    """The ffmpeg binary to use: ``preferred`` (a path or command name, e.g. the
    ``FFMPEG_BINARY`` setting), else ``ffmpeg`` on PATH, else the bundled one.

    A candidate that is missing or lacks a needed decoder, encoder or demuxer is replaced by the
    bundled binary, with one warning naming what it lacks. Decided once per ``preferred`` and
    process (``find_ffmpeg.cache_clear()`` forgets); concurrent first callers wait for one check.
    Raises ``RuntimeError`` when no usable ffmpeg exists.
    """
    with _CHOICE_LOCK:  # cooperative under gevent (patched before this module is imported)
        return _choose(preferred)


@functools.cache
def _choose(preferred):
    candidate = preferred or shutil.which("ffmpeg")
    if not candidate:
        return bundled_ffmpeg()
    path = shutil.which(candidate) or candidate
    missing = missing_features(path)
    if not missing:
        return path
    try:
        fallback = bundled_ffmpeg()
    except RuntimeError:
        log.warning("ffmpeg %s lacks %s and no bundled ffmpeg is installed; using it anyway",
                    path, missing)
        return path
    log.warning("ffmpeg %s cannot be used (%s); using the bundled %s instead",
                path, missing, fallback)
    return fallback


find_ffmpeg.cache_clear = _choose.cache_clear


def missing_features(ffmpeg, timeout=10):
    """What ``ffmpeg`` lacks for this server, as a short text ("" when it has everything)."""
    try:
        codecs = _listing(ffmpeg, "-codecs", timeout)
        encoders = _listing(ffmpeg, "-encoders", timeout)
        demuxers = _listing(ffmpeg, "-demuxers", timeout)
    except FfmpegFailed as exc:
        return exc.detail.strip().splitlines()[-1][:200] if exc.detail.strip() else "not runnable"
    decodable = {m.group(2) for m in re.finditer(r"^\s*(D)\S*\s+(\S+)", codecs, re.M)}
    encoder_names = set(re.findall(r"^\s*A\S*\s+(\S+)", encoders, re.M))
    demuxer_names = {name for m in re.finditer(r"^\s*D\S*\s+(\S+)", demuxers, re.M)
                     for name in m.group(1).split(",")}
    if not (decodable or encoder_names or demuxer_names):
        return "it lists no codecs, encoders or demuxers (not an ffmpeg?)"
    lacks = [f"decoder {c}" for c in REQUIRED_DECODERS if c not in decodable]
    lacks += [f"encoder {e}" for e in REQUIRED_ENCODERS if e not in encoder_names]
    lacks += [f"demuxer {d}" for d in REQUIRED_DEMUXERS if d not in demuxer_names]
    return ", ".join(lacks)


def _listing(ffmpeg, option, timeout):
    """The text ``ffmpeg -hide_banner <option>`` prints."""
    return _spawn([ffmpeg, "-hide_banner", option], timeout)[0].decode("utf-8", "replace")


def run_ffmpeg(ffmpeg, args, timeout):
    """Run ``ffmpeg`` with the argument list ``args`` (never a shell) and return its stdout bytes.

    Log lines are tagged by level: any ``[error]`` line, or a warning that a stream was cut short
    (ffmpeg survives both with exit status 0), counts as a failure.
    Raises ``FfmpegFailed`` on a non-zero exit, an error line, after ``timeout`` seconds (the
    process group is killed), or when the binary cannot be started.
    """
    cmd = [ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "level+warning", *args]
    out, err, returncode = _spawn(cmd, timeout)
    text = err.decode("utf-8", "replace")
    if returncode != 0 or _ERROR_LINE.search(text) or _TRUNCATION_WARNING.search(text):
        raise FfmpegFailed(text or f"ffmpeg exited with status {returncode}",
                           no_space=bool(_NO_SPACE.search(text)))
    return out


def header_duration(ffmpeg, path, timeout=10):
    """The duration a container header announces for ``path`` in seconds, or None if unknown.

    Only reads the header (cheap), so it is used for messages, never as proof of decoding.
    """
    try:
        _, err, _ = _spawn([ffmpeg, "-nostdin", "-hide_banner", "-i", f"file:{path}"], timeout)
    except FfmpegFailed:
        return None
    match = re.search(rb"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)", err)
    if not match:
        return None
    hours, minutes, seconds = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def _spawn(cmd, timeout):
    """Run ``cmd`` in its own process group; return ``(stdout, stderr, returncode)``.

    Under gevent it is started with ``posix_spawn`` (``services.audio.spawn``: no fork of the
    server); elsewhere with ``subprocess`` (a fork that sets the parent-death signal and the
    priority in the child).

    Raises ``FfmpegFailed`` (``unavailable``) when it cannot start, or (``timed_out``) after
    ``timeout`` seconds, once the whole group is killed and reaped.
    """
    if spawn.available():
        try:
            return spawn.run(cmd, timeout, NICENESS)
        except spawn.SpawnFailed as exc:
            raise FfmpegFailed(str(exc), unavailable=True) from exc
        except spawn.SpawnTimeout as exc:
            raise FfmpegFailed(f"ffmpeg timed out after {timeout} s", timed_out=True) from exc
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True,
                                preexec_fn=functools.partial(_child_setup, _prctl(),
                                                             os.getpid()))
    except OSError as exc:
        raise FfmpegFailed(f"cannot run {cmd[0]}: {exc.strerror or exc}",
                           unavailable=True) from exc
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        _kill_group(proc)
        raise FfmpegFailed(f"ffmpeg timed out after {timeout} s", timed_out=True) from exc
    except BaseException:  # e.g. the greenlet or thread is being killed: never leave a child
        _kill_group(proc)
        raise
    return out, err, proc.returncode


def _kill_group(proc):
    """SIGKILL ``proc``'s process group (children included), then reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.communicate()


@functools.cache
def _prctl():
    """libc's ``prctl``, looked up in the parent (a forked child must not load libraries), or
    None where there is none (not Linux: the process group is still killed on timeout)."""
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def _child_setup(prctl, parent):
    """In the forked child: die with ``parent`` (``PR_SET_PDEATHSIG``), run at lower priority."""
    if prctl is not None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)
    os.nice(NICENESS)


def parse_progress(output):
    """Final ``(out_time_seconds, total_size_bytes)`` from ffmpeg ``-progress`` key=value output."""
    values = {}
    for line in output.decode("ascii", "replace").splitlines():
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip()
    try:
        seconds = int(values.get("out_time_us", "")) / 1_000_000
    except ValueError:
        seconds = 0.0
    try:
        size = int(values.get("total_size", ""))
    except ValueError:
        size = 0
    return max(seconds, 0.0), size


def configure_pydub(ffmpeg=None):
    """Point pydub at our ffmpeg and return its ``AudioSegment`` class.

    pydub warns at import when no ffmpeg is on PATH and imports the deprecated ``audioop``;
    both warnings are expected here and silenced for the import only.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        from pydub import AudioSegment
    path = ffmpeg or find_ffmpeg()
    AudioSegment.converter = path
    AudioSegment.ffmpeg = path
    return AudioSegment
