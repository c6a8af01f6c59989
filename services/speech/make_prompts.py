"""Regenerate the boot prompts: ``python -m services.speech.make_prompts [folder]``.

Writes ``Success.mp3``, ``Nobind.mp3`` and ``Nolic.mp3`` (SPEC §4 ``/open_toy``) with the offline
TTS and the upload converter. By default into ``MEDIA_DIR/chat``, which the server searches before
the shipped copies in ``static/chat/`` (synthesis is not byte-for-byte repeatable, so the tracked
files are only rewritten when asked: ``python -m services.speech.make_prompts static/chat``).
"""

import sys
from pathlib import Path

from config import Config
from services.audio import AudioConverter
from services.speech.tts import EspeakTTS

PROMPTS = {
    "Success.mp3": "Your toy is ready.",
    "Nobind.mp3": "This toy is not bound yet. Please scan its code with the app.",
    "Nolic.mp3": "This toy is not licensed.",
}
VOICE = "en-us+f3"


def make_prompts(folder, tts=None, converter=None):
    """Synthesize every boot prompt into ``folder``; return the written paths.

    Raises what ``synthesize_wav`` and ``convert_to_mp3`` raise.
    """
    tts = tts or EspeakTTS(voice=VOICE, rate=150)
    converter = converter or AudioConverter()
    return [converter.convert_to_mp3(tts.synthesize_wav(text), folder, name=name).path
            for name, text in PROMPTS.items()]


def main(argv=None):
    """Command-line entry: optional target folder (default ``MEDIA_DIR/chat``)."""
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else Path(Config.from_env()["MEDIA_DIR"]) / "chat"
    folder.mkdir(parents=True, exist_ok=True)
    for path in make_prompts(folder):
        sys.stdout.write(f"{path} {path.stat().st_size} bytes\n")


if __name__ == "__main__":
    main()
