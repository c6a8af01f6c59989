"""The speech assistant behind ``/ai_uploader`` (SPEC §7): recording in, spoken answer out.

Upload → 16 kHz mono PCM (``AudioConverter``) → recognised text (a recogniser) → intent
(``intents.match_intent`` over the content titles and the toy's friends) → answer:
a song to play, a prompt opening a conversation with a friend, or a spoken chat reply
(``SpokenPrompts`` caches the synthesised mp3 by text). Answers are the flat SPEC §7 dicts.
"""

import logging

from services.errors import InvalidInput, NotFound
from services.speech.domain import DomainSnapper
from services.speech.intents import (
    Chat,
    Context,
    Friend,
    Message,
    Play,
    Song,
    Unknown,
    match_intent,
    match_intent_nbest,
)
from services.speech.language import Vocabulary
from services.speech.smalltalk import SAY_AGAIN
from services.store.ids import parse_id

log = logging.getLogger(__name__)

AI = "ai"
TALK_TO = "You can talk to {name} now."
MAX_REQUEST_SECONDS = 10.0  # a spoken command is a few seconds
AGREEING = 3  # alternatives that must agree to overrule a chat reading (bench-measured)


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

    One recogniser: its best reading corrected by its n-best (``match_intent_nbest``). Two
    (``heard.second``, see ``asr.HybridRecognizer``): the first (Whisper, open vocabulary) is
    snapped to the nearest domain sentence (``domain.DomainSnapper``); a play or message
    request from it wins. Otherwise a request from the second (pocketsphinx, domain model) is
    taken only when the first heard nothing or its text leans towards that same request, else
    "say that again" — the second alone played a wrong song for ~5 % of the bench's
    recordings. Failing both, the first's chat (or the second's reading).
    """
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
