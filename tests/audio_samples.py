"""Test audio made on the fly: sine tones in many encodings (one ffmpeg run) and AMR-WB.

Samples are always made with the bundled ffmpeg (it has every encoder, e.g. AMR-NB), whatever
ffmpeg is on PATH; the server under test uses its own choice (``FFMPEG_BINARY``, PATH, bundled).
"""

import subprocess
from pathlib import Path

from services.audio import bundled_ffmpeg


def amr_wb_bytes(frames=50):
    """A valid AMR-WB storage file: magic + ``frames`` 20 ms frames of mode 0 (6.60 kbit/s).

    RFC 4867 §5.3: each frame is a header byte (FT << 3 | Q << 2) followed by the speech bits
    (132 bits -> 17 bytes for FT 0). All-zero speech bits decode to near-silence; the bundled
    ffmpeg can decode AMR-WB but not encode it, so the file is built by hand.
    """
    return b"#!AMR-WB\n" + (bytes([0 << 3 | 1 << 2]) + bytes(17)) * frames


def write_tones(folder, encodings, seconds, timeout=60):
    """Write a 440 Hz tone of ``seconds`` into ``folder`` once per ``{name: ffmpeg options}``."""
    folder = Path(folder)
    args = [bundled_ffmpeg(), "-nostdin", "-v", "error", "-f", "lavfi",
            "-i", f"sine=frequency=440:duration={seconds}"]
    for name, options in encodings.items():
        args += [*options, "-y", str(folder / name)]
    subprocess.run(args, check=True, timeout=timeout)
    return folder
