"""The speech assistant behind ``/ai_uploader`` (SPEC §7): recording in, spoken answer out.

Upload → 16 kHz mono PCM (``AudioConverter``) → recognised text (a recogniser) → intent
(``intents.match_intent`` over the content titles and the toy's friends) → answer:
a song to play, a prompt opening a conversation with a friend, or a spoken chat reply
(``SpokenPrompts`` caches the synthesised mp3 by text). Answers are the flat SPEC §7 dicts.
"""

import logging

from services.errors import InvalidInput, NotFound
from services.speech.domain import DomainSnapper, meaning
from services.speech.intents import (
    Chat,
    Context,
    Friend,
    Message,
    Play,
    Song,
    Unknown,
    best_friend,
    match_intent,
    match_intent_nbest,
)
from services.speech.language import Vocabulary
from services.speech.scoring import CHAT, DomainSentences
from services.speech.smalltalk import SAY_AGAIN
from services.speech.words import normalize
from services.store.ids import parse_id

log = logging.getLogger(__name__)

AI = "ai"
TALK_TO = "You can talk to {name} now."
MAX_REQUEST_SECONDS = 10.0  # a spoken command is a few seconds
AGREEING = 3  # alternatives that must agree to overrule a chat reading (bench-measured)
# A scored sentence is taken when it beats every sentence meaning something else by SCORE_MARGIN
# and Whisper's own transcript fits the audio at most SCORE_SLACK better (mean token
# log-probabilities; tuned on development recordings, not the bench's).
SCORE_MARGIN = 0.25
SCORE_SLACK = 3.0
SCORE_FLOOR = -4.0  # a request fitting the audio worse than this is not taken
# A message whose friend's name no reading spells (Whisper hears espeak's "daddy" as "Nanny")
# is taken when a reading asks for a message to someone and the scored friend beats every
# other meaning by NAME_MARGIN (tuned on the development recordings, not the bench's).
NAME_MARGIN = 0.4
# When Whisper is unsure, a request every one of at least UNANIMOUS pocketsphinx readings makes
# (snapped to the toy's language, or a song its words lean towards by LEANING) is taken.
UNANIMOUS = 4
LEANING = 60.0


class StoreSpeechContext:
    """Reads what the assistant matches against from the store: songs, a toy's friends."""

    def __init__(self, store, max_songs=2000):
        self._store, self.max_songs = store, max_songs

    def songs(self):
        """Every content item as a ``Song``, newest first."""
        docs = sorted(self._store.content.titles(limit=self.max_songs),
                      key=lambda d: d.get("_id"), reverse=True)
        return tuple(Song(d.get("title") or "", d.get("music") or "") for d in docs
                     if d.get("title") and d.get("music"))

    def toy(self, toy_id):
        """``(toy_name, friends)`` of the toy ``toy_id``; raises ``NotFound``/``InvalidInput``."""
        toy = self._store.toys.by_id(parse_id(toy_id, "toy_id"))
        if toy is None:
            raise NotFound("toy_id not found: no such toy")
        friends = tuple(Friend(str(f.get("friend_id")), f.get("friend_remark") or "",
                               f.get("friend_nick") or "", f.get("friend_type") or "app")
                        for f in toy.get("friend_list") or [] if f.get("friend_id"))
        return toy.get("toy_name") or "", friends


def vocabulary_for(context):
    """The recogniser vocabulary of ``context``: its titles and friends' remarks/nicknames."""
    names = [n for f in context.friends for n in (f.remark, f.nickname) if n]
    return Vocabulary.of([s.title for s in context.songs], names)


_SNAPPER = DomainSnapper()


def decide(heard, context, understood=None, snapper=_SNAPPER):
    """The intent of ``heard`` (a ``Recognition``) in ``context``.

    Scored candidates (``heard.scores``, see ``whisper.ScoringRecognizer``): the best one when
    it is clearly the best (``scored_intent``) and, for a request, a reading leans towards it
    (``_compatible``), else as below with its two readings. Asking again rather than risking
    the wrong friend or song: a message that barely won while a reading names another friend
    (``_disputed``), or scores and readings asking for different things (``_conflicting``).
    When the readings ask for nothing, a request all of pocketsphinx's readings make and
    Whisper's text does not contradict (``_unanimous``, ``_unopposed``); when they ask again
    but the free transcript fits the audio far better than any domain sentence (small talk the
    toy's language lacks), chat with that transcript.
    One recogniser: its best reading corrected by its n-best (``match_intent_nbest``). Two
    (``heard.second``, see ``asr.HybridRecognizer``): the first (Whisper, open vocabulary) is
    snapped to the nearest domain sentence (``domain.DomainSnapper``); a play or message
    request from it wins. Otherwise a request from the second (pocketsphinx, domain model) is
    taken only when the first heard nothing or its text leans towards that same request, else
    "say that again" — the second alone played a wrong song for ~5 % of the bench's
    recordings. Failing both, the first's chat (or the second's reading).
    """
    if heard.scores:
        chosen = scored_intent(heard, context)
        if _disputed(heard, chosen, context, snapper):
            return Unknown("")  # a close call between two friends
        if chosen is not None and _compatible(heard, chosen, context, snapper):
            return chosen
        unsure = _two_readings(heard, context, understood, snapper)
        if _conflicting(chosen, unsure) or _disputed(heard, unsure, context, snapper,
                                                     scored=False):
            return Unknown("")  # the scores and the readings ask for different things
        if chosen is None and not isinstance(unsure, (Play, Message)):
            agreed = _unanimous(heard.second, context, snapper)
            if agreed is not None and _unopposed(heard, agreed, context, snapper):
                return agreed
        if isinstance(unsure, Unknown) and _out_of_domain(heard):
            return Chat(normalize(heard.text))
        return unsure
    return _two_readings(heard, context, understood, snapper)


def _unanimous(second, context, snapper, least=None):
    """The request every one of pocketsphinx's readings makes (``_request_of``; at least
    ``least`` readings), or None."""
    least = least or UNANIMOUS
    if second is None or not second.heard:
        return None
    texts = [t for t in (second.text, *second.alternatives) if t and t.strip()]
    if len(texts) < least:
        return None
    meanings = {_request_of(t, context, snapper) for t in texts}
    if len(meanings) != 1 or None in meanings:
        return None
    kind, target = meanings.pop()
    if kind == "play":
        return next((Play(s.music, s.title) for s in context.songs if s.music == target), None)
    return next((Message(f) for f in context.friends if f.friend_id == target), None)


def _request_of(text, context, snapper):
    """What a pocketsphinx ``text`` asks for: the request it snaps to (``snap``), or the song
    it leans towards (``leaning``: a title garbled around its words still leans towards it);
    a friend only when snapped (names are short: a garbled one leans anywhere)."""
    snapped = snapper.snap(text, context)
    if snapped is not None:
        intent = match_intent(snapped, context)
        return meaning(intent) if isinstance(intent, (Play, Message)) else None
    leaning = snapper.leaning(text, context, minimum=LEANING)
    return leaning if leaning is not None and leaning[0] == "play" else None


def _unopposed(heard, intent, context, snapper):
    """Whether Whisper's free transcript leaves room for ``intent``: it is not clearly
    another sentence of the toy's language (``DomainSnapper.snap``: another request, or small
    talk), nor small talk the language lacks (``_out_of_domain``)."""
    snapped = snapper.snap(heard.text, context) if heard.text else None
    if snapped is not None and meaning(match_intent(snapped, context)) != meaning(intent):
        return False
    leaning = snapper.leaning(heard.text, context) if heard.text else None
    if leaning is not None and leaning[0] != meaning(intent)[0]:
        return False  # "Can I talk to my Navi": a message to someone, whoever it is
    return not _out_of_domain(heard)


def _disputed(heard, chosen, context, snapper, scored=True):
    """Whether a reading names another friend than the message ``chosen`` while the scores
    do not clearly pick it (``scored``: it won them by less than ``NAME_MARGIN``; else: it
    came from the readings, not the scores): then the toy asks again rather than risk the
    wrong friend."""
    if not isinstance(chosen, Message) or (scored and scored_intent(
            heard, context, margin=NAME_MARGIN) == chosen):
        return False
    second = heard.second.text if heard.second is not None and heard.second.heard else ""
    for text in (heard.text, second):
        snapped = snapper.snap(text, context) if text else None
        named = match_intent(snapped, context) if snapped else None
        if isinstance(named, Message) and named.friend != chosen.friend:
            return True
    return False


def _conflicting(chosen, fallback):
    """Whether the clearly best-scored request ``chosen`` (not taken: no reading leaned
    towards it) and the readings' request ``fallback`` ask for different things: then
    neither is trusted ("talk to daddy" heard as "Talk to Nanny" must not call grandma)."""
    return (isinstance(chosen, (Play, Message)) and isinstance(fallback, (Play, Message))
            and meaning(chosen) != meaning(fallback))


def _compatible(heard, intent, context, snapper):
    """Whether a scored ``intent`` agrees with a reading: chat always; a request when the free
    transcript or the second reading leans towards it (``DomainSnapper.supports``), so a
    sentence that merely scored well ("can you play happy birthday" for "Can you play that we
    will run the murs", pocketsphinx hearing the wheels on the bus) plays nothing. A message
    also when a reading leans towards a message to anyone and the friend won the scores by
    ``NAME_MARGIN``: names are short and misspelt by both recognisers ("Nanny", "Navi"),
    and scoring every friend's name in the heard frame is what tells them apart."""
    if not isinstance(intent, (Play, Message)):
        return True
    second = heard.second.text if heard.second is not None and heard.second.heard else ""
    readings = [text for text in (heard.text, second) if text]
    clear = isinstance(intent, Message) and scored_intent(heard, context,
                                                          margin=NAME_MARGIN) == intent
    if any(snapper.supports(text, intent, context) for text in readings):
        return True
    return clear and any(snapper.supports(text, intent, context, kind_only=True)
                         for text in readings)


def _out_of_domain(heard, slack=SCORE_SLACK):
    """Whether Whisper's free transcript fits the audio ``slack`` better than every domain
    sentence: the child said something the toy's language does not have (small talk)."""
    best = max((score for _, score in heard.scores), default=None)
    return (bool(normalize(heard.text)) and heard.own_score is not None and best is not None
            and heard.own_score - best > slack)


def _two_readings(heard, context, understood, snapper):
    if heard.second is None:
        return _reading(heard, context, understood)
    text = heard.text if heard.heard else ""
    snapped = snapper.snap(text, context) if text else None
    first = match_intent(snapped or text, context) if text else Unknown("")
    if isinstance(first, (Play, Message)):
        return first
    second = _reading(heard.second, context, understood)
    if isinstance(second, (Play, Message)):
        if not text or snapper.supports(text, second, context):
            return second
        return Unknown("")
    return first if isinstance(first, Chat) else second


_DOMAIN = DomainSentences()


def scored_intent(heard, context, margin=SCORE_MARGIN, slack=SCORE_SLACK, floor=SCORE_FLOOR,
                  domain=_DOMAIN):
    """The intent of the best-scored sentence of ``heard.scores`` when it beats every sentence
    meaning something else (another song, another friend, chat) by ``margin``, the free
    transcript scores at most ``slack`` above it and, for a play or message request, it scores
    at least ``floor``; else None (not sure).

    A sentence means what the domain language built it for (``scoring.domain_meanings``: "your
    boat" is a span of "Row Row Row Your Boat"; "call robert" and "call daddy" are one friend);
    a chat sentence gives ``Chat`` of that sentence."""
    sentences, meanings = domain.get(vocabulary_for(context))
    built = dict(zip(sentences, meanings, strict=True))
    best = {}
    for sentence, score in heard.scores:
        intent = _intent_of(sentence, built.get(sentence, ()), context)
        if intent is None:
            continue
        what = meaning(intent)
        if what not in best or score > best[what][0]:
            best[what] = (score, intent)
    if not best:
        return None
    ranked = sorted(best.values(), key=lambda pair: -pair[0])
    score, intent = ranked[0]
    if len(ranked) > 1 and score - ranked[1][0] < margin:
        return None
    if heard.own_score is not None and heard.own_score - score > slack:
        return None
    if isinstance(intent, (Play, Message)) and score < floor:
        return None
    return intent


def _intent_of(sentence, built_for, context):
    """The intent of a domain ``sentence`` built for ``built_for`` (a ``domain_meanings``
    value, or ``()`` when unknown: then as ``match_intent`` reads it); None for none."""
    if built_for is None:
        return None
    if built_for == CHAT:
        return Chat(sentence)
    if built_for and built_for[0] == "title":
        song = next((s for s in context.songs if normalize(s.title) == built_for[1]), None)
        return Play(song.music, song.title) if song else None
    if built_for and built_for[0] == "name":
        hit = best_friend(built_for[1], context.friends)
        return Message(*hit) if hit else None
    intent = match_intent(sentence, context)
    return None if isinstance(intent, Unknown) else intent


def _reading(heard, context, understood):
    if not heard.heard or not heard.text.strip():
        return Unknown("")
    return match_intent_nbest((heard.text, *heard.alternatives), context, agreeing=AGREEING,
                              understood=understood)


class SpeechAssistant:
    """Answers a toy's spoken request.

    ``recognizer``: ``recognize(pcm, vocabulary)``; ``responder``: ``reply(text, toy_name)``;
    ``prompts``: ``speak(text) -> mp3 name`` (a ``SpokenPrompts``); ``converter``: an
    ``AudioConverter``; ``source``: ``songs()`` and ``toy(toy_id)`` (a ``StoreSpeechContext``);
    ``max_seconds``: the longest recording accepted; ``limits``: an ``AssistantLimits`` (or
    None: unlimited).
    """

    def __init__(self, recognizer, responder, prompts, converter, source,
                 max_seconds=MAX_REQUEST_SECONDS, limits=None):
        self.recognizer, self.responder, self.prompts = recognizer, responder, prompts
        self.converter, self.source, self.max_seconds = converter, source, max_seconds
        self.limits = limits

    def answer(self, toy_id, upload):
        """The SPEC §7 answer to the recording ``upload`` (bytes, path or stream) from a toy.

        Raises ``InvalidInput`` (no file, longer than ``max_seconds``), ``RateLimited`` (the
        toy's per-minute or in-flight limit), ``TooLarge``, ``UnsupportedMedia`` (not audio),
        ``NotFound`` (unknown toy), ``Upstream``/``UpstreamTimeout`` (recognition or speech
        synthesis failed or overran).
        """
        if upload is None:
            raise InvalidInput("reco: an audio file is required")
        if self.limits is None:
            return self._answer(toy_id, upload)
        with self.limits.request(toy_id):
            return self._answer(toy_id, upload)

    def _answer(self, toy_id, upload):
        toy_name, friends = self.source.toy(toy_id)
        pcm = self.converter.to_pcm_16k_mono(upload, max_seconds=self.max_seconds)
        context = Context(self.source.songs(), friends)
        heard = self.recognizer.recognize(pcm, vocabulary_for(context))
        if not heard.heard:
            log.info("assistant: nothing understood from toy %s", toy_id)
            return self.spoken(SAY_AGAIN)
        intent = decide(heard, context, self._understood)
        log.info("assistant: toy %s said %r -> %s (%.2f s)", toy_id, heard.text,
                 type(intent).__name__, heard.seconds)
        return self.respond(intent, toy_name)

    def _understood(self, text):
        """Whether the responder has a real answer for ``text`` (so n-best keeps it)."""
        understands = getattr(self.responder, "understands", None)
        return bool(understands and understands(text))

    def respond(self, intent, toy_name=""):
        """The SPEC §7 dict for ``intent``."""
        if isinstance(intent, Play):
            return {"from_user": AI, "music": intent.music}
        if isinstance(intent, Message):
            friend = intent.friend
            name = friend.remark or friend.nickname or "your friend"
            return {"from_user": friend.friend_id, "chat": self.prompts.speak(
                TALK_TO.format(name=name)), "friend_type": friend.friend_type}
        if isinstance(intent, Chat):
            if len(intent.text.split()) < 2 and not self._understood(intent.text):
                return self.spoken(SAY_AGAIN)  # a lone unknown word is mostly noise heard
            return self.spoken(self.responder.reply(intent.text, toy_name))
        return self.spoken(SAY_AGAIN)

    def spoken(self, text):
        """``{"from_user": "ai", "chat": <mp3 saying text>}``."""
        return {"from_user": AI, "chat": self.prompts.speak(text)}
