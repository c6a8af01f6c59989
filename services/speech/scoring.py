"""Whisper as a scorer of candidate sentences, not only a free transcriber.

The toy's language is tiny (its song titles, its friends' names, a few request shapes), so the
question "which of these few sentences did the child say?" is easier than "what was said?". The
recogniser (``whisper.ScoringRecognizer``) encodes the audio once, transcribes it freely, then
forces each candidate sentence through Whisper's decoder (CTranslate2 ``Whisper.align``) and
keeps the mean log-probability of its tokens: how well that exact text fits the audio.

This module is the pure part: which sentences are candidates (``shortlist``: the domain
sentences nearest to the free transcript and to pocketsphinx's hypotheses), how Whisper would
write them (``written``), and how token log-probabilities become a score (``sentence_score``).
The decision (``assistant.decide``) takes a candidate only when it clearly beats every
candidate meaning something else and the free transcript does not fit the audio much better.
"""

import re
from collections import OrderedDict

from rapidfuzz import fuzz, process

from services.speech import language
from services.speech.language import Vocabulary
from services.speech.words import normalize

PER_MEANING = 4  # candidates asking for the same thing
MAX_CANDIDATES = 16  # sentences scored per request (decoder cost grows with the count)
FLOOR = -12.0  # log-probability of a token the decoder gives ~0 (keeps means finite)
_FAMILY = ("mommy", "mummy", "mom", "mum", "daddy", "dad", "grandma", "grandpa", "granny",
           "nana")


class DomainSentences:
    """``(sentences, meanings)`` of a vocabulary's domain language: every sentence of
    ``language.corpus`` normalized and de-duplicated, and what it asks for (``("title", t)``,
    ``("name", n)``, ``CHAT``, or ``None`` when two targets share it or it asks for any song).
    A few vocabularies are cached, least recently used dropped."""

    def __init__(self, size=16):
        self.size, self._items = size, OrderedDict()

    def get(self, vocabulary):
        """``(sentences, meanings)``: two parallel lists for ``vocabulary``."""
        key = vocabulary.key()
        if key not in self._items:
            table = domain_meanings(vocabulary)
            self._items[key] = (list(table), list(table.values()))
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        self._items.move_to_end(key)
        return self._items[key]


CHAT = ("chat",)


def domain_meanings(vocabulary):
    """``{normalized sentence: meaning}`` for the sentences of ``language.corpus``."""
    table = {}

    def add(sentence, what):
        sentence = normalize(sentence)
        if sentence:
            table[sentence] = what if table.get(sentence, what) == what else None

    chat = {normalize(sentence) for sentence in language.corpus(Vocabulary())}
    for sentence in chat:
        add(sentence, CHAT)
    for sentence in language.GENERIC_PLAY:  # "play a song": any song, never a scored pick
        table[normalize(sentence)] = None
    for what, vocabularies in (("title", [Vocabulary((t,), ()) for t in vocabulary.titles]),
                               ("name", [Vocabulary((), (n,)) for n in vocabulary.names])):
        for one in vocabularies:
            target = (what, (one.titles or one.names)[0])
            for sentence in dict.fromkeys(normalize(s) for s in language.corpus(one)):
                if sentence not in chat:
                    add(sentence, target)
    return table


def shortlist(readings, domain, limit=MAX_CANDIDATES, per_meaning=PER_MEANING):
    """Up to ``limit`` candidate sentences from ``domain`` (``(sentences, meanings)``), the
    most alike (by spelling) to any of ``readings`` first (the free transcript, another
    recogniser's hypotheses), at most ``per_meaning`` per meaning, so the rivals of the likely
    meaning are scored too (a candidate wins only by beating them). Sentences of no single
    meaning are never candidates."""
    sentences, meanings = domain
    said = list(dict.fromkeys(t for t in (normalize(r) for r in readings) if t))
    if not said or not sentences:
        return []
    alike = process.cdist(said, sentences, scorer=fuzz.ratio).max(axis=0)
    chosen, per = [], {}
    for index in sorted(range(len(sentences)), key=lambda i: -alike[i]):
        what = meanings[index]
        if what is not None and per.get(what, 0) < per_meaning:
            per[what] = per.get(what, 0) + 1
            chosen.append(sentences[index])
            if len(chosen) >= limit:
                break
    return chosen


def written(sentence, vocabulary):
    """``sentence`` (normalized, lower case) as Whisper writes it: titles and names capitalised
    as in its prompt, "I" and "let's", a capital first letter and a full stop. Whisper gives
    lower-case text at the start of a transcript almost no probability, so an unwritten
    candidate would score low whatever was said."""
    text = sentence
    names = sorted({*vocabulary.titles, *vocabulary.names, *_FAMILY}, key=len, reverse=True)
    for name in names:
        text = re.sub(rf"\b{re.escape(name)}\b", name.title(), text)
    text = re.sub(r"\bi\b", "I", text).replace("lets ", "let's ")
    return (text[:1].upper() + text[1:] + ".") if text else ""


def sentence_score(token_probabilities, floor=FLOOR):
    """The mean log-probability of a sentence's tokens (each at least ``floor``)."""
    import math

    logs = [max(floor, math.log(p)) if p > 0 else floor for p in token_probabilities]
    return sum(logs) / len(logs) if logs else floor
