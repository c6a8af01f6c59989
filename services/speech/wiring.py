"""Build the speech assistant (SPEC §7) from settings, with every provider injectable.

Overrides (``create_app(**overrides)``): ``asr`` (a recogniser), ``chat`` (a responder),
``assistant`` (a whole ``SpeechAssistant``). Real recognisers decode in a process pool
(``SPEECH_WORKERS``); each toy's requests are limited (``SPEECH_RATE_LIMIT``,
``SPEECH_CONCURRENCY``) and capped in length (``SPEECH_MAX_SECONDS``). The TTS prompts and
the audio converter are the ones messaging built (``services.prompts``, ``services.audio``).
"""

from services.speech.asr import make_recognizer
from services.speech.assistant import SpeechAssistant, StoreSpeechContext
from services.speech.limits import AssistantLimits
from services.speech.responder import make_responder


def add_speech_assistant(services, settings, overrides):
    """Add ``services.assistant`` (and ``services.recognizer``, ``services.responder``)."""
    services.recognizer = overrides.get("asr") or make_recognizer(settings)
    services.responder = overrides.get("chat") or make_responder(settings)
    limits = AssistantLimits(services.store.windows, services.store.leases,
                             settings["SPEECH_RATE_LIMIT"], int(settings["SPEECH_CONCURRENCY"]),
                             hold_seconds=2 * float(settings["SPEECH_DECODE_TIMEOUT"]) + 60)
    services.assistant = overrides.get("assistant") or SpeechAssistant(
        services.recognizer, services.responder, services.prompts, services.audio,
        StoreSpeechContext(services.store), max_seconds=float(settings["SPEECH_MAX_SECONDS"]),
        limits=limits)
