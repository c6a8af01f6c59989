"""Recognisers for the pool tests, built inside worker processes by name
(``SPEECH_ASR=tests.speech_providers:<Name>``). They burn CPU instead of sleeping, as a real
decoder does, so a decode run on the event loop would block it."""

import os
import time
from pathlib import Path

from services.speech.asr import Recognition


def _spin_until(predicate, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not predicate():
        sum(range(10000))


class Echo:
    """Says which process decoded, how many bytes and titles it got; misbehaves on request:
    audio starting ``die`` exits the process, ``hang`` spins 60 s, ``boom`` raises."""

    def recognize(self, pcm, vocabulary):
        if pcm.startswith(b"die"):
            os._exit(3)
        if pcm.startswith(b"hang"):
            _spin_until(lambda: False, 60)
        if pcm.startswith(b"boom"):
            raise RuntimeError("decoder exploded")
        return Recognition(f"pid {os.getpid()} bytes {len(pcm)} titles "
                           f"{' '.join(vocabulary.titles)}", True)


class Gate:
    """Writes ``started`` (its pid) into ``$SPEECH_TEST_DIR`` and spins until ``release``
    exists there (at most 30 s); hears nothing."""

    def recognize(self, pcm, vocabulary):
        folder = Path(os.environ["SPEECH_TEST_DIR"])
        (folder / "started").write_text(str(os.getpid()))
        _spin_until((folder / "release").exists, 30)
        return Recognition("", False)
