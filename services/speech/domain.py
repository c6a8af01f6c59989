"""Snap free text from an open-vocabulary recogniser (Whisper) to the nearest sentence of the
toy's domain language (``language.corpus``: request frames × titles and friends, small talk).

Whisper writes what it hears in ordinary English ("Cold Mommy", "Seems Happy Birthday",
"Can you put on the ingel bails"); the domain sentence nearest in spelling ("call mommy",
"sing happy birthday", "can you put on jingle bells") is what a child says to a toy. A
sentence is taken only when it is close enough and clearly closer than any sentence meaning
something else (another song, another friend), so a garbled request asks again rather than
playing the wrong song.
"""

from collections import OrderedDict

from rapidfuzz import fuzz, process

from services.speech.intents import Message, Play, match_intent, request_target
from services.speech.language import corpus
from services.speech.words import normalize

MIN_SCORE = 80.0  # rapidfuzz ratio of the normalized texts, 0-100
MARGIN = 6.0  # over the nearest sentence meaning something else
SUPPORT = 50.0


def meaning(intent):
    """A hashable key for what ``intent`` asks for."""
    if isinstance(intent, (Play, Message)):
        return request_target(intent)
    return ("chat",)


class DomainSnapper:
    """``snap(text, context, vocabulary)`` → the nearest domain sentence's text, or None."""

    def __init__(self, min_score=MIN_SCORE, margin=MARGIN, cache=16):
        self.min_score, self.margin, self.cache = min_score, margin, cache
        self._tables = OrderedDict()

    def snap(self, text, context, vocabulary):
        """The domain sentence ``text`` most likely meant, or None when none is clearly it."""
        said = normalize(text)
        if not said:
            return None
        sentences, meanings = self._table(context, vocabulary)
        found = process.extract(said, sentences, scorer=fuzz.ratio, limit=40)
        if not found or found[0][1] < self.min_score:
            return None
        best_text, best_score, best_index = found[0]
        rival = max((score for _, score, index in found[1:]
                     if meanings[index] != meanings[best_index]), default=0.0)
        return best_text if best_score - rival >= self.margin else None

    def supports(self, text, intent, context, vocabulary, minimum=SUPPORT):
        """Whether ``text`` (another recogniser's garbled reading) leans towards the request
        ``intent``: its nearest sentences asking for that are at least ``minimum`` alike and
        nearer than those asking for anything else."""
        said = normalize(text)
        if not said:
            return False
        sentences, meanings = self._table(context, vocabulary)
        wanted, best_other = meaning(intent), 0.0
        best_wanted = 0.0
        for _, score, index in process.extract(said, sentences, scorer=fuzz.ratio, limit=None):
            if meanings[index] == wanted:
                best_wanted = max(best_wanted, score)
            elif meanings[index] != ("chat",):
                best_other = max(best_other, score)
        return best_wanted >= minimum and best_wanted > best_other

    def _table(self, context, vocabulary):
        key = (vocabulary.key(), context.songs, context.friends)
        if key not in self._tables:
            sentences = sorted(set(corpus(vocabulary)))
            meanings = [meaning(match_intent(s, context)) for s in sentences]
            self._tables[key] = (sentences, meanings)
            while len(self._tables) > self.cache:
                self._tables.popitem(last=False)
        self._tables.move_to_end(key)
        return self._tables[key]
