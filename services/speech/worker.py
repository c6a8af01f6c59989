"""A speech worker process: ``python -m services.speech.worker <provider>``.

Reads length-prefixed pickled requests ``("recognize", pcm, vocabulary)`` from stdin, answers
``("ok", Recognition)`` or ``("error", message)`` on its own copy of stdout, and exits when stdin
closes (the server is gone). Anything a library prints goes to stderr, never into the protocol.
Only ``services.speech.pool`` (its parent, trusted) talks to it.
"""

import logging
import os
import pickle
import struct
import sys

HEADER = struct.Struct(">I")
# Decoding yields the CPU to the server's event loop (niceness 0), but goes before audio
# conversions (niceness 10, services.audio.ffmpeg): a child waits for its answer.
NICENESS = 5


def _read_exactly(stream, size):
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def serve(provider_name, requests, answers):
    """Answer requests from ``requests`` on ``answers`` (binary streams) until end of input."""
    from services.speech.asr import build_provider
    from services.speech.language import Vocabulary

    recognizer = build_provider(provider_name)
    prepare = getattr(recognizer, "prepare", None)
    if prepare is not None:
        prepare(Vocabulary())  # load the models now, not on the first request
    while True:
        header = _read_exactly(requests, HEADER.size)
        if header is None:
            return
        body = _read_exactly(requests, HEADER.unpack(header)[0])
        if body is None:
            return
        try:
            _, pcm, vocabulary = pickle.loads(body)
            answer = ("ok", recognizer.recognize(pcm, vocabulary))
        except Exception as exc:  # reported to the parent, which answers 502
            logging.getLogger(__name__).exception("speech worker: recognition failed")
            answer = ("error", f"{type(exc).__name__}: {exc}")
        data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        answers.write(HEADER.pack(len(data)) + data)
        answers.flush()


def main():
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "WARNING"), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s speech-worker: %(message)s")
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # stray prints from native code go to stderr
    sys.stdout = sys.stderr
    os.nice(NICENESS)  # before the recogniser starts its threads: they inherit it
    serve(sys.argv[1], sys.stdin.buffer, answers)


if __name__ == "__main__":
    main()
