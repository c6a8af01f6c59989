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

from services.speech import language
from services.speech.intents import Message, Play, canonical_name, request_target
from services.speech.words import normalize

MIN_SCORE = 80.0  # rapidfuzz ratio of the normalized texts, 0-100
MARGIN = 6.0  # over the nearest sentence meaning something else
SUPPORT = 50.0
NEAREST = 200  # sentences compared when looking for support
CHAT = ("chat",)


def meaning(intent):
    """A hashable key for what ``intent`` asks for."""
    if isinstance(intent, (Play, Message)):
        return request_target(intent)
    return CHAT


MAX_SPAN_SONGS = 300  # larger catalogues get frames × whole titles only (bounded build)


def _add(table, sentence, what):
    if sentence:
        table[sentence] = what if table.get(sentence, what) == what else None


def chat_sentences():
    """``{sentence: CHAT}`` for the small talk of the domain language."""
    table = {}
    for phrase in (*language.CHAT_PHRASES, *(f.format(a) for a in language.ANIMALS
                                             for f in language.ANIMAL_FRAMES)):
        _add(table, normalize(phrase), CHAT)
    return table


def song_sentences(songs):
    """``{sentence: ("play", music) or None}``: the play phrasings of every song (a sentence
    that could mean two songs is None), built by construction from ``language``'s frames."""
    table = {}
    spans = len(songs) <= MAX_SPAN_SONGS
    for song in songs:
        title, what = normalize(song.title), ("play", song.music)
        for frame in language.PLAY_FRAMES:
            _add(table, frame.format(title), what)
        for span in language.title_spans(title) if spans else ():
            _add(table, f"play {span}", what)
            _add(table, span, what)
    return table


def friend_sentences(friends):
    """``{sentence: ("message", friend_id) or None}`` for the message phrasings."""
    table = {}
    for friend in friends:
        what = ("message", friend.friend_id)
        for name in {canonical_name(n) for n in (friend.remark, friend.nickname) if n}:
            for form in language.name_forms(name):
                for frame in language.MESSAGE_FRAMES:
                    _add(table, frame.format(form), what)
    return table


class _Cache:
    def __init__(self, build, size):
        self.build, self.size, self.items = build, size, OrderedDict()

    def get(self, key):
        if key not in self.items:
            table = self.build(key)
            self.items[key] = (list(table), list(table.values()))
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        self.items.move_to_end(key)
        return self.items[key]


class DomainSnapper:
    """``snap(text, context)`` → the nearest domain sentence's text, or None;
    ``supports(text, intent, context)`` → whether garbled ``text`` leans towards ``intent``.
    Song sentences are cached per catalogue, friend sentences per friend list."""

    def __init__(self, min_score=MIN_SCORE, margin=MARGIN):
        self.min_score, self.margin = min_score, margin
        self._chat = _Cache(lambda _: chat_sentences(), 1)
        self._songs = _Cache(song_sentences, 4)
        self._friends = _Cache(friend_sentences, 256)

    def _nearest(self, said, context, limit):
        """``[(score, sentence, meaning)]``, best first, over every table."""
        found = []
        for sentences, meanings in (self._chat.get(()), self._songs.get(context.songs),
                                    self._friends.get(context.friends)):
            found += [(score, text, meanings[index]) for text, score, index in
                      process.extract(said, sentences, scorer=fuzz.ratio, limit=limit)]
        return sorted(found, key=lambda item: -item[0])

    def snap(self, text, context):
        """The domain sentence ``text`` most likely meant, or None when none is clearly it."""
        said = normalize(text)
        if not said:
            return None
        found = self._nearest(said, context, 40)
        if not found or found[0][0] < self.min_score or found[0][2] is None:
            return None
        best_score, best_text, best_meaning = found[0]
        rival = max((score for score, _, what in found[1:] if what != best_meaning),
                    default=0.0)
        return best_text if best_score - rival >= self.margin else None

    def leaning(self, text, context, minimum=SUPPORT):
        """The request meaning (``("play", music)``, ``("message", friend_id)``) ``text``
        leans towards: its nearest request sentence, at least ``minimum`` alike and nearer
        than any sentence of another request; None for none."""
        said = normalize(text)
        best = {}
        for score, _, what in self._nearest(said, context, NEAREST) if said else ():
            if what is not None and what != CHAT:
                best[what] = max(best.get(what, 0.0), score)
        ranked = sorted(best.items(), key=lambda item: -item[1])
        if not ranked or ranked[0][1] < minimum or (len(ranked) > 1
                                                    and ranked[1][1] >= ranked[0][1]):
            return None
        return ranked[0][0]

    def supports(self, text, intent, context, minimum=SUPPORT, kind_only=False):
        """Whether ``text`` (another recogniser's garbled reading) leans towards the request
        ``intent``: its nearest sentences asking for that are at least ``minimum`` alike and
        nearer than those asking for anything else. ``kind_only``: towards any request of the
        same kind (a message to any friend, any song): the frame was heard, not the name."""
        said = normalize(text)
        if not said:
            return False
        wanted, best_wanted, best_other = meaning(intent), 0.0, 0.0
        for score, _, what in self._nearest(said, context, NEAREST):
            if what == wanted or (kind_only and what not in (None, CHAT)
                                  and what[0] == wanted[0]):
                best_wanted = max(best_wanted, score)
            elif what != CHAT:
                best_other = max(best_other, score)
        return best_wanted >= minimum and best_wanted > best_other
