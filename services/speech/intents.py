"""What the child asked for: a pure, table-driven intent matcher over recognised text.

``match_intent(text, context)`` returns ``Play`` (a content title, fuzzy), ``Message`` (a friend
by remark or nickname, fuzzy, family words and homophones folded), ``Chat`` (anything else, for
the responder) or ``Unknown`` (nothing usable was heard). No I/O, no Flask, no randomness.
"""

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from services.speech.words import FAMILY_ALIASES, NAME_TITLES, STOPWORDS, normalize, tokens


@dataclass(frozen=True)
class Song:
    """A content item: ``title`` as listed and its ``music`` file name."""

    title: str
    music: str


@dataclass(frozen=True)
class Friend:
    """A friend of the toy: id, the toy's ``remark`` for it, its ``nickname`` and kind."""

    friend_id: str
    remark: str = ""
    nickname: str = ""
    friend_type: str = "app"


@dataclass(frozen=True)
class Context:
    """What the matcher may pick from: the songs and the toy's friends."""

    songs: tuple = ()
    friends: tuple = ()


@dataclass(frozen=True)
class Play:
    """Play the song ``music`` (its ``title``); ``score`` 0-100."""

    music: str
    title: str
    score: float = 100.0


@dataclass(frozen=True)
class Message:
    """Open a conversation with ``friend``; ``score`` 0-100."""

    friend: Friend
    score: float = 100.0


@dataclass(frozen=True)
class Chat:
    """Small talk: ``text`` goes to the responder."""

    text: str


@dataclass(frozen=True)
class Unknown:
    """Nothing usable was heard."""

    text: str = ""


@dataclass(frozen=True)
class Thresholds:
    """Fuzzy-match limits: a title after a play verb, a title said alone, a friend's name, and
    the lead a title must have over the next best (so "play a game" picks nothing)."""

    title: float = 72.0
    title_alone: float = 88.0
    friend: float = 80.0
    loose_friend: float = 90.0
    margin: float = 8.0
    word: float = 75.0


DEFAULT_THRESHOLDS = Thresholds()

# Request frames, tried in order on normalized text; ``x`` is the part naming the target.
MESSAGE_FRAMES = tuple(re.compile(p) for p in (
    r"^(?:(?:can|could) i |i (?:want|wanna|would like|d like) to |let me |please |lets )?"
    r"(?:send (?:a |an )?(?:voice )?(?:message|note) to|send (?:a )?message|leave a message for"
    r"|talk to|talk with|speak to|speak with|chat with|chat to|tell|call|ring|phone|message"
    r"|say hi to|say hello to) (?P<x>.+)$",
    r"^(?:send|leave) (?P<x>.+?) a (?:voice )?message$",
))
PLAY_FRAMES = tuple(re.compile(p) for p in (
    r"^(?:(?:can|could|will|would) you |please |lets |let us )*"
    r"(?:play|sing|put on|start|turn on)(?: me| us| for me)? (?P<x>.+)$",
    r"^(?:i|we) (?:want|wanna|would like|d like|like|need)(?: to)?"
    r" (?:hear|listen to|sing|play)(?: to)? (?P<x>.+)$",
    r"^(?:i|we) (?:want|wanna|would like|d like) (?P<x>.+?) (?:song|music)$",
    r"^(?:i|we) (?:want|wanna|would like|d like|need)(?: the| a)? (?P<x>.+)$",
    r"^lets (?:hear|sing|listen to) (?P<x>.+)$",
))
MESSAGE_VERBS = frozenset({"talk", "tell", "call", "message", "send", "speak", "chat", "phone",
                           "ring"})
# Words around a title that are not part of it ("play the song X please").
_TITLE_PREFIX = re.compile(r"^(?:(?:the|a|that|this|my) )?(?:(?:song|music|tune|rhyme)"
                           r"(?: called| named)? )?")
_TITLE_SUFFIX = re.compile(r"(?: (?:song|music|tune|rhyme|please|again|now|for me|for us))+$")
# "play a song", "sing something": any song will do.
ANY_SONG = frozenset({"a song", "song", "songs", "music", "some music", "a tune", "something",
                      "a nursery rhyme", "another song", "another one", "anything", "a rhyme",
                      "some songs", "the music", "a song please", "any song"})
_NOT_A_NAME = frozenset({"me", "us", "you", "yourself", "myself", "it", "a", "the", "about",
                         "what", "how", "why", "when", "where", "who", "something", "nothing"})


def match_intent(text, context, thresholds=DEFAULT_THRESHOLDS):
    """The intent behind recognised ``text`` given ``context`` (a ``Context``)."""
    said = normalize(text)
    if not said:
        return Unknown(text or "")
    return (_message_intent(said, context, thresholds)
            or _play_intent(said, context, thresholds)
            or _title_alone(said, context, thresholds)
            or Chat(said))


def match_intent_nbest(texts, context, thresholds=DEFAULT_THRESHOLDS, agreeing=2,
                       understood=None):
    """The intent behind a recogniser's best hypothesis ``texts[0]``, corrected by the next
    best ones: when the best is only chat (and not chat that ``understood(text)`` says the
    responder can answer) but at least ``agreeing`` alternatives make the same play or message
    request, that request wins. Recognisers garble command words more often than they invent
    whole commands; measured +3 points in bench/speech_accuracy.py."""
    texts = [t for t in texts if t and t.strip()]
    if not texts:
        return Unknown("")
    first = match_intent(texts[0], context, thresholds)
    if not isinstance(first, Chat) or (understood is not None and understood(first.text)):
        return first
    votes = {}
    for text in texts[1:]:
        intent = match_intent(text, context, thresholds)
        if isinstance(intent, (Play, Message)):
            key = request_target(intent)
            count, _ = votes.get(key, (0, intent))
            votes[key] = (count + 1, intent)
    best = max(votes.values(), key=lambda pair: pair[0], default=(0, None))
    return best[1] if best[0] >= agreeing else first


def request_target(intent):
    """What a play or message intent points at (so two spellings of one request agree)."""
    return ("play", intent.music) if isinstance(intent, Play) else \
        ("message", intent.friend.friend_id)


def _message_intent(said, context, limits):
    """A ``Message`` when a message frame names a friend well enough, else None."""
    for frame in MESSAGE_FRAMES:
        found = frame.match(said)
        if found:
            hit = best_friend(found.group("x"), context.friends, limits)
            if hit:
                return Message(*hit)
    return _loose_message(said.split(), context, limits)


def _loose_message(words, context, limits):
    """A ``Message`` for a garbled request: a message verb (or "to") somewhere, then a
    friend's name said clearly ("i want to talk dad", "song send daddy"), else None."""
    for start, word in enumerate(words):
        if word not in MESSAGE_VERBS and word != "to":
            continue
        rest = words[start + 1:]
        while rest and rest[0] in ("to", "with", "a", "message"):
            rest = rest[1:]
        if not rest or rest[0] in _NOT_A_NAME:
            continue
        hit = best_friend(" ".join(rest), context.friends, limits)
        if hit and hit[1] >= limits.loose_friend:
            return Message(*hit)
    return None


def _play_intent(said, context, limits):
    """A ``Play`` when a play frame names a title (or any song), else None."""
    for frame in PLAY_FRAMES:
        found = frame.match(said)
        if not found:
            continue
        wanted = _strip_title_words(found.group("x"))
        if (found.group("x") in ANY_SONG or wanted in ANY_SONG) and context.songs:
            song = context.songs[0]
            return Play(song.music, song.title, 100.0)
        hit = best_title(wanted, context.songs, limits.title, limits)
        if hit:
            return Play(hit[0].music, hit[0].title, hit[1])
    return None


def _title_alone(said, context, limits):
    """A ``Play`` when the whole utterance is (most of) a title, else None."""
    hit = best_title(_strip_title_words(said), context.songs, limits.title_alone, limits)
    return Play(hit[0].music, hit[0].title, hit[1]) if hit else None


def _strip_title_words(phrase):
    """``phrase`` without "the song ..." before and "... please" after the title."""
    phrase = _TITLE_SUFFIX.sub("", phrase.strip())
    return _TITLE_PREFIX.sub("", phrase, count=1).strip()


def content_words(text):
    """Tokens of ``text`` without stopwords (all tokens if nothing else is left)."""
    words = tokens(text)
    kept = [w for w in words if w not in STOPWORDS]
    return kept or words


def title_score(wanted, title, word_limit=DEFAULT_THRESHOLDS.word):
    """0-100: how well ``wanted`` names ``title``.

    Mostly precision (every word said should be in the title, fuzzily), some recall (how much of
    the title was said); the whole strings without spaces also count, for split or merged words.
    """
    said, target = content_words(wanted), content_words(title)
    if not said or not target:
        return 0.0
    precision = sum(_best_word(w, target, word_limit) for w in said) / len(said)
    distinct = list(dict.fromkeys(target))
    recall = sum(_best_word(w, said, word_limit) for w in distinct) / len(distinct)
    whole = fuzz.ratio("".join(tokens(wanted)), "".join(tokens(title)))
    return max(0.75 * precision + 0.25 * recall, whole)


def _best_word(word, candidates, limit):
    """The best similarity of ``word`` to any candidate, or 0 below ``limit``."""
    score = max(fuzz.ratio(word, other) for other in candidates)
    return score if score >= limit else 0.0


def best_title(wanted, songs, minimum, limits=DEFAULT_THRESHOLDS):
    """``(song, score)`` of the clearly best title for ``wanted``, or None.

    A title said exactly wins (the first such); otherwise None when the best is under
    ``minimum`` or another title scores within ``limits.margin`` (an ambiguous request plays
    nothing rather than a random song).
    """
    if not wanted or not songs:
        return None
    exact = next((s for s in songs if normalize(s.title) == normalize(wanted)), None)
    if exact is not None:
        return exact, 100.0
    # Newest first on ties: ``songs`` comes newest first.
    scored = sorted(((title_score(wanted, s.title, limits.word), i) for i, s in enumerate(songs)),
                    key=lambda pair: (-pair[0], pair[1]))
    best, index = scored[0]
    if best < minimum:
        return None
    if len(scored) > 1 and best - scored[1][0] < limits.margin:
        return None
    return songs[index], best


def canonical_name(name):
    """``name`` normalized with family words folded: "my Mummy" → "mom", "daddy" → "dad"."""
    words = [w for w in tokens(name) if w not in ("my", "our", "the")]
    return " ".join(FAMILY_ALIASES.get(w, w) for w in words)


def friend_keys(friend):
    """The canonical names a friend answers to: remark, nickname, and for names of several
    words each word that is not a title ("Uncle Bob" → "uncle bob", "bob")."""
    keys = []
    for name in (friend.remark, friend.nickname):
        key = canonical_name(name)
        if key and key not in keys:
            keys.append(key)
        words = key.split()
        if len(words) > 1:
            keys.extend(w for w in words if w not in NAME_TITLES and w not in keys)
    return keys


def best_friend(phrase, friends, limits=DEFAULT_THRESHOLDS):
    """``(friend, score)`` for the friend ``phrase`` starts with, or None.

    Tries the first one to four words of ``phrase`` (``tell mommy I love her``), folding
    family words and homophones ("my dad", "mummy", "dead" → dad) before fuzzy comparison.
    """
    words = tokens(phrase)
    while words and words[0] in ("my", "our", "the", "to"):
        words = words[1:]
    if not words or words[0] in _NOT_A_NAME or not friends:
        return None
    best = None
    for size in range(min(4, len(words)), 0, -1):
        said = canonical_name(" ".join(words[:size]))
        for friend in friends:
            for key in friend_keys(friend):
                score = fuzz.ratio(said, key)
                if score >= limits.friend and (best is None or score > best[1]):
                    best = (friend, score)
    return best
