"""Speech recognition providers, chosen by ``SPEECH_ASR``: offline pocketsphinx, your own
(``module:factory``), or a fake; real providers decode in worker processes (``pool``).

Every provider has ``recognize(pcm, vocabulary) -> Recognition`` where ``pcm`` is 16 kHz mono
16-bit little-endian audio and ``vocabulary`` a ``language.Vocabulary`` (current titles and
friend names). Silence, too-short audio and empty hypotheses give ``Recognition.heard False``,
which the assistant answers with "Sorry, can you say that again?".

``PocketsphinxRecognizer`` uses the English acoustic model and CMU dictionary shipped in the
pocketsphinx wheel (nothing is downloaded). Its language model is built per vocabulary from the
domain corpus (``language.corpus``) and cached under the vocabulary's hash, so it is rebuilt only
when content or friends change. Words missing from the dictionary get pronunciations from
``pronounce``. One decoder per process, used under a lock (decoders are not thread-safe).
"""

import logging
import os
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from services.speech import language
from services.speech.levels import is_silent, prepare_speech
from services.speech.pronounce import pronounce

log = logging.getLogger(__name__)

CHUNK_BYTES = 4096  # streaming in chunks (live CMN) recognised better than one block here


@dataclass(frozen=True)
class Recognition:
    """What was heard: ``text`` (lower case words, "" if nothing), ``heard`` (False for
    silence or failure), ``seconds`` spent decoding, ``alternatives`` (the next best
    hypotheses, best first, for ``intents.match_intent_nbest``), ``second`` (another
    recogniser's ``Recognition`` of the same audio, for a cross-check, or None), ``scores``
    (``(domain sentence, score)`` pairs, best first, from a recogniser that scores candidate
    sentences: ``whisper.ScoringRecognizer``) and ``own_score`` (the same score of its own free
    transcript, or None)."""

    text: str
    heard: bool
    seconds: float = 0.0
    alternatives: tuple = ()
    second: object = None
    scores: tuple = ()
    own_score: float = None


class PocketsphinxRecognizer:
    """Offline recognition with pocketsphinx 5 and a per-vocabulary domain language model.

    ``max_models``: language models kept (least recently used are dropped); ``options``:
    extra pocketsphinx ``Config`` settings (e.g. ``{"lw": 8.0}``); ``n_best``: alternative
    hypotheses returned.
    """

    name = "pocketsphinx"

    def __init__(self, max_models=32, options=None, n_best=8):
        self.max_models, self.n_best = max_models, n_best
        self.options = dict(options or {})
        self._decoder = None
        self._models = OrderedDict()
        self._lock = threading.Lock()

    def recognize(self, pcm, vocabulary, trim=True):
        """Decode ``pcm`` (trimmed and framed by ``levels.prepare_speech`` unless ``trim`` is
        False) with the model for ``vocabulary``; a ``Recognition``.

        Never raises for bad audio: a decoder error is logged and reported as not heard.
        """
        if trim:
            pcm = prepare_speech(pcm)
        if is_silent(pcm):
            return Recognition("", False)
        started = time.perf_counter()
        with self._lock:
            try:
                self._activate(vocabulary)
                text, alternatives = self._decode(pcm)
            except (RuntimeError, ValueError) as exc:
                log.warning("speech recognition failed: %s", exc)
                text, alternatives = "", ()
        return Recognition(text, bool(text), time.perf_counter() - started, alternatives)

    def prepare(self, vocabulary):
        """Build (or refresh the cache entry of) the model for ``vocabulary`` ahead of use."""
        with self._lock:
            self._activate(vocabulary)

    def _decode(self, pcm):
        """``(best hypothesis, next best ones)`` for ``pcm`` with the active model."""
        decoder = self._decoder
        decoder.start_utt()
        for start in range(0, len(pcm), CHUNK_BYTES):
            decoder.process_raw(pcm[start:start + CHUNK_BYTES])
        decoder.end_utt()
        hypothesis = decoder.hyp()
        best = " ".join(hypothesis.hypstr.split()) if hypothesis else ""
        if not best:
            return "", ()
        return best, tuple(self._nbest(decoder))

    def _nbest(self, decoder):
        """Up to ``n_best`` hypotheses from the lattice, best first (may repeat the best)."""
        found = []
        for hypothesis in decoder.nbest():
            if len(found) >= self.n_best:
                break
            if hypothesis is not None and hypothesis.hypstr.strip():
                found.append(" ".join(hypothesis.hypstr.split()))
        return found

    def _activate(self, vocabulary):
        """Make the model for ``vocabulary`` the active search, building it on first use."""
        decoder = self._get_decoder()
        key = vocabulary.key()
        if key in self._models:
            self._models.move_to_end(key)
        else:
            self._add_model(decoder, key, vocabulary)
        decoder.activate_search(key)

    def _get_decoder(self):
        """The process's decoder, created on first use.

        It starts with a one-word dictionary: each model adds just its own words, so loading a
        model takes milliseconds (with the full 134k-word dictionary it took over a second).
        """
        if self._decoder is None:
            from pocketsphinx import Config, Decoder

            fd, path = tempfile.mkstemp(prefix="speech-dict-", suffix=".dict")
            try:
                with os.fdopen(fd, "w") as out:
                    out.write("a AH\n")
                config = Config(lm=None, dict=path, logfn=os.devnull, **self.options)
                self._decoder = Decoder(config)
            finally:
                os.unlink(path)
        return self._decoder

    def _add_model(self, decoder, key, vocabulary):
        """Build, load and register the language model of ``vocabulary`` under ``key``."""
        started = time.perf_counter()
        sentences = language.corpus(vocabulary)
        self._add_pronunciations(decoder, language.words_of(sentences))
        fd, path = tempfile.mkstemp(prefix="speech-lm-", suffix=".arpa")
        try:
            with os.fdopen(fd, "w") as out:
                out.write(language.arpa(sentences))
            decoder.add_lm_file(key, path)
        finally:
            os.unlink(path)
        self._models[key] = vocabulary
        while len(self._models) > self.max_models:
            old, _ = self._models.popitem(last=False)
            decoder.remove_search(old)
        log.info("speech model %s: %d sentences, built in %.2f s", key, len(sentences),
                 time.perf_counter() - started)

    @staticmethod
    def _add_pronunciations(decoder, words):
        """Give every word of the model its pronunciations (all CMU variants, else spelled)."""
        dictionary = cmu_dictionary()
        for word in words:
            if decoder.lookup_word(word) is not None:
                continue
            variants = dictionary.get(word)
            if not variants:
                phones = pronounce(word, lambda w: (dictionary.get(w) or [None])[0])
                variants = [phones] if phones else []
                log.info("speech: spelled %r as %s", word, phones)
            for index, phones in enumerate(variants):
                decoder.add_word(word if index == 0 else f"{word}({index + 1})", phones, False)


_CMU = {}
_CMU_LOCK = threading.Lock()


def cmu_dictionary():
    """The CMU dictionary shipped with pocketsphinx: word → [phones, variant phones...]."""
    with _CMU_LOCK:
        if not _CMU:
            from pocketsphinx import get_model_path

            with open(get_model_path("en-us/cmudict-en-us.dict"), encoding="utf-8") as lines:
                for line in lines:
                    word, _, phones = line.strip().partition(" ")
                    base = word.split("(", 1)[0]
                    if phones:
                        _CMU.setdefault(base, []).append(phones.strip())
    return _CMU


class WarpedRecognizer:
    """Several ``PocketsphinxRecognizer`` passes over the same audio, each with a different
    vocal-tract-length warp, pooled: the unwarped pass gives ``text``; every pass's best and
    n-best go to ``alternatives`` (so ``match_intent_nbest`` can vote across them).

    Warping the frequency axis stands in for speaker normalisation (children have short vocal
    tracts). Measured with bench/speech_accuracy.py on this 2-core machine: one pass 82.6 %
    intent accuracy at 58 ms median; warps 0.8/0.9/1.1/1.2 added, 84.8 % at 0.27 s (before
    the room-tone framing of ``levels.prepare_speech``, which brought the total to 88.9 %).
    """

    name = "pocketsphinx"

    def __init__(self, warps=(0.8, 0.9, 1.1, 1.2), **options):
        self.passes = [PocketsphinxRecognizer(**options)]
        for warp in warps:
            extra = {**options.get("options", {}), "warp_params": str(warp)}
            self.passes.append(PocketsphinxRecognizer(**{**options, "options": extra}))

    def recognize(self, pcm, vocabulary):
        """The pooled ``Recognition`` of every pass (not heard when the unwarped pass heard
        nothing)."""
        started = time.perf_counter()
        pcm = prepare_speech(pcm)
        results = [one.recognize(pcm, vocabulary, trim=False) for one in self.passes]
        first = results[0]
        if not first.heard:
            return Recognition("", False, time.perf_counter() - started)
        pooled = list(first.alternatives)
        for other in results[1:]:
            pooled += [other.text, *other.alternatives] if other.heard else []
        return Recognition(first.text, True, time.perf_counter() - started, tuple(pooled))

    def prepare(self, vocabulary):
        """Build the model for ``vocabulary`` in every pass."""
        for one in self.passes:
            one.prepare(vocabulary)


class HybridRecognizer:
    """Two recognisers over the same audio: ``first``'s reading, with ``second``'s attached as
    ``Recognition.second`` so the assistant can cross-check the intent (``assistant.decide``).
    Heard when either heard something."""

    name = "hybrid"

    def __init__(self, first, second):
        self.first, self.second = first, second

    def recognize(self, pcm, vocabulary):
        """``first``'s ``Recognition`` with ``second``'s as its ``second``."""
        started = time.perf_counter()
        one = self.first.recognize(pcm, vocabulary)
        two = self.second.recognize(pcm, vocabulary)
        return Recognition(one.text, one.heard or two.heard, time.perf_counter() - started,
                           one.alternatives, two)

    def prepare(self, vocabulary):
        """Prepare both recognisers."""
        self.first.prepare(vocabulary)
        self.second.prepare(vocabulary)


class FakeRecognizer:
    """Test double: answers scripted ``transcripts`` in order (then ``default``), records
    ``(audio bytes, vocabulary)`` calls; ``""`` means nothing was heard."""

    name = "fake"

    def __init__(self, transcripts=(), default=""):
        self.transcripts = list(transcripts)
        self.default = default
        self.calls = []

    def say(self, *texts):
        """Queue what the next requests will be heard as."""
        self.transcripts.extend(texts)

    def recognize(self, pcm, vocabulary):
        """The next scripted transcript as a ``Recognition``."""
        self.calls.append((len(pcm), vocabulary))
        text = self.transcripts.pop(0) if self.transcripts else self.default
        return Recognition(text, bool(text.strip()))

    def prepare(self, vocabulary):
        """Nothing to build."""


PROVIDERS = ("scored", "hybrid", "whisper", "pocketsphinx")


def build_provider(name):
    """A new in-process recogniser for the ``SPEECH_ASR`` name ``name``: ``scored`` (Whisper
    scoring the domain sentences nearest to its own and one pocketsphinx pass's readings, with
    the ``hybrid`` decision when unsure), ``hybrid`` (Whisper cross-checked by pocketsphinx),
    ``whisper``, ``pocketsphinx``, or ``package.module:factory``
    (a callable returning an object with ``recognize(pcm, vocabulary)``) for a provider of your
    own. Raises ``ValueError`` for an unknown name."""
    if name == "scored":
        from services.speech.whisper import ScoringRecognizer

        return ScoringRecognizer(second=WarpedRecognizer(warps=()))
    if name == "pocketsphinx":
        return WarpedRecognizer()
    if name == "whisper":
        from services.speech.whisper import WhisperRecognizer

        return WhisperRecognizer()
    if name == "hybrid":
        from services.speech.whisper import WhisperRecognizer

        return HybridRecognizer(WhisperRecognizer(), WarpedRecognizer())
    if ":" in name:
        import importlib

        module, _, attribute = name.partition(":")
        return getattr(importlib.import_module(module), attribute)()
    raise ValueError(f"unknown SPEECH_ASR provider {name!r}")


def make_recognizer(config):
    """The recogniser named by ``SPEECH_ASR`` in ``config``: ``fake`` in process, any other
    provider (see ``build_provider``) decoded in a ``RecognizerPool`` of ``SPEECH_WORKERS``
    processes (0: in the server process, for tools and benches only).

    Raises ``ValueError`` for an unknown provider name.
    """
    from services.speech.pool import RecognizerPool

    kind = config.get("SPEECH_ASR", "scored")
    if kind == "fake":
        return FakeRecognizer()
    if kind not in PROVIDERS and ":" not in kind:
        raise ValueError(f"unknown SPEECH_ASR provider {kind!r}")
    workers = int(config.get("SPEECH_WORKERS", 2))
    if workers <= 0:
        return build_provider(kind)
    return RecognizerPool(kind, workers, float(config.get("SPEECH_DECODE_TIMEOUT", 30)))
