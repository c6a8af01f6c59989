"""Shell-script stand-ins for ffmpeg, for fault tests: they pass the server's capability check
(listings come from the bundled ffmpeg) and then misbehave as told."""

import os
import shutil

from services.audio import bundled_ffmpeg

LISTINGS = "-codecs|-encoders|-demuxers"


def fake_ffmpeg(folder, run=None, hide=None, name="ffmpeg"):
    """Write an executable ``folder/name`` and return its path.

    Listing options (``-codecs``, ``-encoders``, ``-demuxers``) are answered by the bundled
    ffmpeg, minus the lines naming ``hide`` (as a build lacking that codec would print). Any
    other run executes the shell text ``run``, or the bundled ffmpeg when ``run`` is None.
    """
    real = bundled_ffmpeg()
    filtered = f' | {_tool("grep")} -v " {hide} "' if hide else ""
    run = run or f'exec "{real}" "$@"'
    script = folder / name
    script.write_text(f'#!/bin/sh\ncase "$2" in {LISTINGS}) "{real}" "$@"{filtered}; exit;; '
                      f'esac\n{run}\n')
    script.chmod(0o755)
    return script


def hanging_run(pid_file, seconds=60):
    """Shell text for ``fake_ffmpeg(run=...)``: note its pid in ``pid_file``, create the output
    file it was given (as a real ffmpeg would, so a partial file exists), then hang in ``sleep``
    (``exec``: same process, so it keeps the server's die-with-parent setting)."""
    return (f'echo $$ >> "{pid_file}"\nfor a; do last=$a; done\n'
            f'case "$last" in file:*) : > "${{last#file:}}";; esac\n'
            f'exec {_tool("sleep")} {seconds}')


def _tool(name):
    """Absolute path of a system tool (tests may narrow PATH before writing a fake)."""
    return shutil.which(name, path=os.defpath)
