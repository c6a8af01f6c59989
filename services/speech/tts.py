"""Offline text-to-speech and the cache of spoken prompts.

``EspeakTTS`` drives libespeak-ng through ctypes; the library and its voice data come from the
``espeakng-loader`` wheel, so ``pip install -r requirements.txt`` is all a fresh machine needs.
``FakeTTS`` makes short tones instantly for tests. ``SpokenPrompts`` turns text into an mp3 in the
media store, synthesized once per (text, voice).
"""

import ctypes
import hashlib
import hmac
import math
import re
import struct
import threading

from services.audio.converter import pcm_to_wav
from services.errors import InvalidInput, Upstream

MAX_TEXT_CHARS = 2000

# espeak-ng speak_lib.h constants.
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000  # return errors instead of calling exit()
_CHARS_UTF8 = 1
_POS_CHARACTER = 1
_PARAM_RATE = 1
_PARAM_PITCH = 3
_SYNTH_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                                   ctypes.c_void_p)


class _Voice(ctypes.Structure):
    """speak_lib.h ``espeak_VOICE``; ``languages`` is (priority byte, name, NUL)* then NUL."""

    _fields_ = [("name", ctypes.c_char_p), ("languages", ctypes.c_void_p),
                ("identifier", ctypes.c_char_p), ("gender", ctypes.c_ubyte),
                ("age", ctypes.c_ubyte), ("variant", ctypes.c_ubyte), ("xx1", ctypes.c_ubyte),
                ("score", ctypes.c_int), ("spare", ctypes.c_void_p)]


_VOICE_NAME = re.compile(r"[A-Za-z0-9_-]{1,40}(\+[A-Za-z0-9_-]{1,40})?")


def clean_text(text):
    """Collapse whitespace; raise ``InvalidInput`` if ``text`` is empty or too long."""
    text = " ".join(str(text or "").split())
    if not text:
        raise InvalidInput("text is empty")
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidInput(f"text is longer than {MAX_TEXT_CHARS} characters")
    return text


class _EspeakLibrary:
    """The process-wide libespeak-ng: loaded and initialized once, used under one lock."""

    lock = threading.Lock()
    _lib = None
    _rate = None
    _chunks = []

    @classmethod
    def load(cls):
        """Load and initialize the library (caller holds ``lock``); return the sample rate.

        Raises ``Upstream`` when the library or its data cannot be loaded.
        """
        if cls._lib is None:
            import espeakng_loader

            try:
                lib = ctypes.CDLL(espeakng_loader.get_library_path())
                data = espeakng_loader.get_data_path().encode()
            except (OSError, RuntimeError) as exc:
                raise Upstream("text-to-speech engine is not available") from exc
            cls._declare(lib)
            rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data,
                                         _INITIALIZE_DONT_EXIT)
            if rate <= 0:
                raise Upstream("text-to-speech engine failed to start")
            cls._callback = _SYNTH_CALLBACK(cls._collect)  # kept alive on the class
            lib.espeak_SetSynthCallback(cls._callback)
            cls._lib, cls._rate = lib, rate
        return cls._rate

    @staticmethod
    def _declare(lib):
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p,
                                          ctypes.c_int]
        lib.espeak_SetSynthCallback.argtypes = [_SYNTH_CALLBACK]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_ListVoices.argtypes = [ctypes.c_void_p]
        lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_Voice))
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_Synth.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint,
                                     ctypes.c_int, ctypes.c_uint, ctypes.c_uint,
                                     ctypes.c_void_p, ctypes.c_void_p]

    @classmethod
    def _collect(cls, samples, count, _events):
        if count > 0 and samples:
            cls._chunks.append(ctypes.string_at(samples, count * 2))
        return 0  # 0 = continue synthesis

    @classmethod
    def _set_voice(cls, lib, voice):
        """Select ``voice`` by name or file name, else by language code (``en-gb`` is the
        language of the voice file ``gmw/en``); keep a ``+variant``. Raises ``InvalidInput``."""
        if lib.espeak_SetVoiceByName(voice.encode()) == 0:
            return
        base, plus, variant = voice.partition("+")
        identifier = cls._voice_for_language(lib, base.lower())
        if identifier is None or \
                lib.espeak_SetVoiceByName(identifier + (plus + variant).encode()) != 0:
            raise InvalidInput(f"voice: unknown voice {voice!r}")

    @staticmethod
    def _voice_for_language(lib, language):
        """Identifier (bytes) of the first installed voice speaking ``language``, or None."""
        voices = lib.espeak_ListVoices(None)
        index = 0
        while voices[index]:
            voice = voices[index].contents
            offset = 0
            while ctypes.string_at(voice.languages + offset, 1) != b"\0":
                raw = ctypes.string_at(voice.languages + offset + 1)
                if raw.decode("ascii", "replace").lower() == language:
                    return voice.identifier
                offset += len(raw) + 2
            index += 1
        return None

    @classmethod
    def synthesize(cls, text, voice, rate, pitch):
        """Speak ``text`` with the given settings; return ``(pcm_bytes, sample_rate)``.

        Raises ``InvalidInput`` for an unknown voice, ``Upstream`` if synthesis fails.
        """
        with cls.lock:
            sample_rate = cls.load()
            lib = cls._lib
            cls._set_voice(lib, voice)
            lib.espeak_SetParameter(_PARAM_RATE, int(rate), 0)
            lib.espeak_SetParameter(_PARAM_PITCH, int(pitch), 0)
            cls._chunks = []
            data = text.encode("utf-8") + b"\0"
            status = lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8,
                                      None, None)
            pcm, cls._chunks = b"".join(cls._chunks), []
        if status != 0 or not pcm:
            raise Upstream("text-to-speech failed")
        return pcm, sample_rate


class EspeakTTS:
    """espeak-ng text-to-speech (offline, from the espeakng-loader wheel).

    ``voice``: default voice name such as ``en-us``, ``en-gb``, ``en-us+f3`` (variant after
    ``+``); ``rate``: words per minute (80-450); ``pitch``: 0-99.
    """

    name = "espeak"

    def __init__(self, voice="en-us", rate=160, pitch=50):
        self.voice, self.rate, self.pitch = voice, rate, pitch

    def synthesize_wav(self, text, voice=None, rate=None, pitch=None):
        """Speak ``text``; return a 16-bit mono WAV file as bytes.

        Raises ``InvalidInput`` (empty/too long text, bad voice name or out-of-range rate/pitch)
        and ``Upstream`` when the engine fails.
        """
        text = clean_text(text)
        voice = voice or self.voice
        if not _VOICE_NAME.fullmatch(voice):
            raise InvalidInput(f"voice: unknown voice {voice!r}")
        rate = self.rate if rate is None else rate
        pitch = self.pitch if pitch is None else pitch
        if not 80 <= rate <= 450:
            raise InvalidInput("rate must be between 80 and 450 words per minute")
        if not 0 <= pitch <= 99:
            raise InvalidInput("pitch must be between 0 and 99")
        pcm, sample_rate = _EspeakLibrary.synthesize(text, voice, rate, pitch)
        return pcm_to_wav(pcm, sample_rate)


class FakeTTS:
    """Test double: a quiet sine tone whose length grows with the text; records every call."""

    name = "fake"

    def __init__(self, voice="en-us", sample_rate=16000):
        self.voice, self.sample_rate = voice, sample_rate
        self.calls = []

    def synthesize_wav(self, text, voice=None, rate=None, pitch=None):
        """Return a WAV tone (0.2-2 s, pitch depends on ``voice``); raises ``InvalidInput``."""
        text = clean_text(text)
        voice = voice or self.voice
        self.calls.append((text, voice))
        seconds = min(2.0, 0.2 + 0.02 * len(text))
        freq = 300 + sum(voice.encode()) % 400
        count = int(seconds * self.sample_rate)
        step = 2 * math.pi * freq / self.sample_rate
        pcm = struct.pack(f"<{count}h", *(int(8000 * math.sin(step * i)) for i in range(count)))
        return pcm_to_wav(pcm, self.sample_rate)


def make_tts(config):
    """The TTS provider named by ``SPEECH_TTS`` (``espeak`` or ``fake``) in settings ``config``.

    Raises ``ValueError`` for an unknown provider name.
    """
    kind = config.get("SPEECH_TTS", "espeak")
    voice = config.get("SPEECH_VOICE", "en-us")
    if kind == "espeak":
        return EspeakTTS(voice=voice)
    if kind == "fake":
        return FakeTTS(voice=voice)
    raise ValueError(f"unknown SPEECH_TTS provider {kind!r}")


class SpokenPrompts:
    """Text → cached mp3 of media kind ``chat``, named by a hash of (provider, voice, text).

    ``tts``: a provider with ``synthesize_wav``; ``converter``: an ``AudioConverter``;
    ``media``: the MediaStore; ``secret``: optional key making names unguessable (HMAC) even
    when the text is known.
    """

    KIND = "chat"

    def __init__(self, tts, converter, media, secret=None, max_seconds=600):
        self.tts, self.converter, self.media = tts, converter, media
        self._secret = secret.encode() if isinstance(secret, str) else secret
        self.max_seconds = max_seconds
        self._lock = threading.Lock()

    def name_for(self, text, voice=None):
        """The file name the prompt for ``text`` in ``voice`` has (``tts-<40 hex>.mp3``)."""
        key = "\n".join([self.tts.name, voice or self.tts.voice, clean_text(text)]).encode()
        if self._secret:
            digest = hmac.new(self._secret, key, hashlib.sha256).hexdigest()
        else:
            digest = hashlib.sha256(key).hexdigest()
        return f"tts-{digest[:40]}.mp3"

    def speak(self, text, voice=None):
        """Return the file name of the mp3 saying ``text``, synthesizing it on first use.

        Raises ``InvalidInput`` (bad text or voice) and ``Upstream`` (engine failure); a failed
        synthesis leaves no file behind.
        """
        name = self.name_for(text, voice)
        if self.media.exists(self.KIND, name):
            return name
        with self._lock:
            if not self.media.exists(self.KIND, name):
                self._render(clean_text(text), voice, name)
        return name

    def _render(self, text, voice, name):
        """Synthesize ``text`` and store it as ``name`` via the converter."""
        wav = self.tts.synthesize_wav(text, voice=voice)
        self.media.add_mp3(self.KIND, self.converter, wav, name=name,
                           max_seconds=self.max_seconds)
