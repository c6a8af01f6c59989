"""Regenerate the boot prompts: ``python -m services.speech.make_prompts [folder]``.

Writes ``Success.mp3``, ``Nobind.mp3`` and ``Nolic.mp3`` (SPEC §4 ``/open_toy``) with the offline
TTS and the upload converter. By default into the media store (``MEDIA_BACKEND``: the ``chat``
folder of ``MEDIA_DIR``, or GridFS), which the server searches before the shipped copies in
``static/chat/`` (synthesis is not byte-for-byte repeatable, so the tracked files are only
rewritten when asked: ``python -m services.speech.make_prompts static/chat``).
"""

import sys
from pathlib import Path

from config import Config
from services.audio import AudioConverter
from services.media import open_media
from services.speech.tts import EspeakTTS
from services.store.connection import open_mongo

PROMPTS = {
    "Success.mp3": "Your toy is ready.",
    "Nobind.mp3": "This toy is not bound yet. Please scan its code with the app.",
    "Nolic.mp3": "This toy is not licensed.",
}
VOICE = "en-us+f3"


def _speakers(tts, converter):
    return tts or EspeakTTS(voice=VOICE, rate=150), converter or AudioConverter()


def make_prompts(folder, tts=None, converter=None):
    """Synthesize every boot prompt into ``folder``; return the written paths.

    Raises what ``synthesize_wav`` and ``convert_to_mp3`` raise.
    """
    tts, converter = _speakers(tts, converter)
    return [converter.convert_to_mp3(tts.synthesize_wav(text), folder, name=name).path
            for name, text in PROMPTS.items()]


def store_prompts(media, tts=None, converter=None):
    """Synthesize every boot prompt into the ``chat`` kind of ``media`` (a MediaStore); return
    the stored ``ConvertedAudio`` list. Raises as ``make_prompts``."""
    tts, converter = _speakers(tts, converter)
    return [media.add_mp3("chat", converter, tts.synthesize_wav(text), name=name)
            for name, text in PROMPTS.items()]


def main(argv=None):
    """Command-line entry: optional target folder (default: the configured media store)."""
    args = sys.argv[1:] if argv is None else argv
    if args:
        folder = Path(args[0])
        folder.mkdir(parents=True, exist_ok=True)
        for path in make_prompts(folder):
            sys.stdout.write(f"{path} {path.stat().st_size} bytes\n")
        return
    settings = Config.from_env()
    gridfs = settings["MEDIA_BACKEND"] == "gridfs"
    client, db, _ = open_mongo(settings) if gridfs else (None, None, False)
    try:
        for audio in store_prompts(open_media(settings, db)):
            sys.stdout.write(f"{audio.name} {audio.size} bytes "
                             f"(MEDIA_BACKEND={settings['MEDIA_BACKEND']})\n")
    finally:
        if client is not None:
            client.close()


if __name__ == "__main__":
    main()
