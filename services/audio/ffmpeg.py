"""Finding and running the ffmpeg binary.

The system ``ffmpeg`` on ``PATH`` wins (distribution builds get security updates); otherwise the
static binary shipped inside the ``imageio-ffmpeg`` wheel is used, so a plain
``pip install -r requirements.txt`` is enough. Nothing is looked up at import time.
"""

import functools
import re
import shutil
import subprocess
import warnings

# Demuxers an upload may use (ffmpeg `-format_whitelist`): keeps playlist/concat demuxers (HLS,
# ffconcat) from following references to local files or URLs inside a hostile upload.
UPLOAD_DEMUXERS = "mov,amr,amrnb,amrwb,matroska,ogg,mp3,wav,aac"
_ERROR_LINE = re.compile(r"\[(error|fatal|panic)\]")
# The warning ffmpeg gives (exit status still 0) for an mp3 at least 1/16 shorter than its Xing
# header says (libavformat/mp3dec.c). Truncated WAV is checked from its header instead
# (services/audio/sniff.py): ffmpeg warns the same way for legitimate streaming WAVs.
_TRUNCATION_WARNING = re.compile(r"\[warning\] filesize and duration do not match")


class FfmpegFailed(Exception):
    """ffmpeg exited non-zero, timed out, or reported a decoding error; ``detail`` is its log."""

    def __init__(self, detail, timed_out=False):
        self.detail = detail
        self.timed_out = timed_out
        super().__init__(detail[-500:])


@functools.cache
def find_ffmpeg():
    """Path of the ffmpeg binary: ``ffmpeg`` on PATH, else the one shipped by imageio-ffmpeg.

    Raises ``RuntimeError`` when neither exists.
    """
    system = shutil.which("ffmpeg")
    if system:
        return system
    try:
        import imageio_ffmpeg
    except ImportError as exc:
        raise RuntimeError("ffmpeg not found: install it or `pip install imageio-ffmpeg`") from exc
    return imageio_ffmpeg.get_ffmpeg_exe()


def run_ffmpeg(ffmpeg, args, timeout):
    """Run ``ffmpeg`` with the argument list ``args`` (never a shell) and return its stdout bytes.

    Log lines are tagged by level: any ``[error]`` line, or a warning that a stream was cut short
    (ffmpeg survives both with exit status 0), counts as a failure.
    Raises ``FfmpegFailed`` on a non-zero exit, an error line, or after ``timeout`` seconds
    (the process is killed).
    """
    cmd = [ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "level+warning", *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise FfmpegFailed(f"ffmpeg timed out after {timeout} s", timed_out=True) from exc
    log = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0 or _ERROR_LINE.search(log) or _TRUNCATION_WARNING.search(log):
        raise FfmpegFailed(log or f"ffmpeg exited with status {proc.returncode}")
    return proc.stdout


def header_duration(ffmpeg, path, timeout=10):
    """The duration a container header announces for ``path`` in seconds, or None if unknown.

    Only reads the header (cheap), so it is used for messages, never as proof of decoding.
    """
    cmd = [ffmpeg, "-nostdin", "-hide_banner", "-i", f"file:{path}"]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return None
    match = re.search(rb"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)", proc.stderr)
    if not match:
        return None
    hours, minutes, seconds = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


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
