"""Chat replies for the speech assistant: an offline small-talk responder and an optional
HTTP provider for any OpenAI-compatible chat endpoint, chosen by ``SPEECH_CHAT``.

Every provider has ``reply(text, toy_name=None) -> str`` and never raises for a bad upstream:
the HTTP provider logs the failure and answers with the offline responder instead.
"""

import datetime
import itertools
import logging
import re

import requests

from services.speech.numbers import parse_number, say_number
from services.speech.smalltalk import ANIMAL_SOUNDS, TABLE, UNKNOWN
from services.speech.words import normalize

log = logging.getLogger(__name__)

MAX_REPLY_CHARS = 400
SYSTEM_PROMPT = ("You are {toy}, a friendly talking toy for a young child. Answer in one or two "
                 "short, simple, kind sentences suitable for a five year old. No lists, no "
                 "emoji, no links.")
_SUM = re.compile(r"(?P<a>\w+(?: \w+)?) (?P<op>plus|add|minus|take away|times) (?P<b>\w+(?: \w+)?)")
_OPS = {"plus": lambda a, b: a + b, "add": lambda a, b: a + b, "minus": lambda a, b: a - b,
        "take away": lambda a, b: a - b, "times": lambda a, b: a * b}
_PARTS_OF_DAY = ((5, "in the morning"), (12, "in the afternoon"), (18, "in the evening"),
                 (22, "at night"))


class OfflineResponder:
    """Small talk from the table in ``smalltalk.py``; answers rotate per intent.

    ``clock``: a callable returning the current local ``datetime`` (tests pass a fixed one).
    """

    name = "offline"

    def __init__(self, clock=datetime.datetime.now, table=TABLE):
        self.clock, self.table = clock, table
        self._turns = {row.name: itertools.count() for row in table}

    def reply(self, text, toy_name=None):
        """The spoken answer to ``text``; ``UNKNOWN`` when no intent matches."""
        said = normalize(text)
        for row in self.table:
            found = _search(row.patterns, said)
            if found is None:
                continue
            answer = self._answer(row, found, said, toy_name or "your toy")
            if answer:
                return answer
        return UNKNOWN

    def understands(self, text):
        """True when ``text`` matches one of the responder's intents."""
        return self.intent_of(text) is not None

    def intent_of(self, text):
        """The name of the table row that answers ``text``, or None (for tests and the bench)."""
        said = normalize(text)
        for row in self.table:
            found = _search(row.patterns, said)
            if found is not None and self._answer(row, found, said, "toy"):
                return row.name
        return None

    def _answer(self, row, found, said, toy):
        """The answer of ``row``, or None when its dynamic handler does not apply."""
        if row.kind:
            return getattr(self, f"_say_{row.kind}")(found, said, toy)
        turn = next(self._turns[row.name])
        return row.answers[turn % len(row.answers)].format(toy=toy)

    def _say_animal(self, _found, said, _toy):
        animal = next((w for w in said.split() if w.rstrip("s") in ANIMAL_SOUNDS
                       or w in ANIMAL_SOUNDS), None)
        if animal is None:
            return None
        key = animal if animal in ANIMAL_SOUNDS else animal.rstrip("s")
        return f"The {key} says {ANIMAL_SOUNDS[key]}!"

    def _say_sum(self, _found, said, _toy):
        match = _SUM.search(said)
        if not match:
            return None
        a, b = parse_number(_last_words(match["a"])), parse_number(match["b"])
        if a is None or b is None:
            return None
        result = _OPS[match["op"]](a, b)
        spoken = say_number(abs(result))
        return f"{say_number(a)} {match['op']} {say_number(b)} is " + \
            (f"minus {spoken}!" if result < 0 else f"{spoken}!")

    def _say_time(self, _found, _said, _toy):
        now = self.clock()
        hour12 = now.hour % 12 or 12
        minutes = "o'clock" if now.minute == 0 else (
            f"oh {say_number(now.minute)}" if now.minute < 10 else say_number(now.minute))
        part = next((p for h, p in reversed(_PARTS_OF_DAY) if now.hour >= h), "at night")
        return f"It is {say_number(hour12)} {minutes} {part}."

    def _say_date(self, _found, _said, _toy):
        now = self.clock()
        return f"Today is {now:%A}, {now:%B} {now.day}."

    def _say_name(self, _found, _said, toy):
        return f"My name is {toy}. I am your toy friend!"

    def _say_my_name(self, found, _said, _toy):
        return f"Nice to meet you, {found['name'].capitalize()}!"


def _search(patterns, said):
    """The first match of any pattern in ``said``, or None."""
    for pattern in patterns:
        found = re.search(pattern, said)
        if found:
            return found
    return None


def _last_words(phrase):
    """``phrase`` without a leading question word ("is five" → "five")."""
    words = [w for w in phrase.split() if w not in ("what", "is", "s", "does")]
    return " ".join(words)


class HttpChatResponder:
    """Replies from an OpenAI-compatible ``/chat/completions`` endpoint.

    ``url``: the endpoint, or a base URL to which ``/chat/completions`` is added; ``key``: the
    bearer key (never logged); ``model``: the model name; ``timeout``: seconds per request;
    ``fallback``: the responder used when the endpoint fails; ``session``: a
    ``requests.Session`` (one connection pool per process).
    """

    name = "http"

    def __init__(self, url, key, model, timeout, fallback, session=None):
        url = url.rstrip("/")
        self.url = url if url.endswith("/chat/completions") else url + "/chat/completions"
        self._key, self.model, self.timeout = key, model, float(timeout)
        self.fallback = fallback
        self.session = session or requests.Session()

    def understands(self, text):
        """What the offline fallback understands (the endpoint is not asked)."""
        return self.fallback.understands(text)

    def reply(self, text, toy_name=None):
        """The endpoint's answer to ``text``, or the fallback's when it fails (logged)."""
        try:
            return self._ask(text, toy_name or "Teddy")
        except (requests.RequestException, ValueError, KeyError, IndexError, TypeError) as exc:
            log.warning("chat endpoint failed (%s); answering offline", type(exc).__name__)
            return self.fallback.reply(text, toy_name)

    def _ask(self, text, toy):
        """POST the question; return the cleaned answer. Raises on any transport or shape
        problem (``requests.RequestException``, ``ValueError``, ``KeyError``...)."""
        headers = {"Authorization": f"Bearer {self._key}"} if self._key else {}
        payload = {"model": self.model, "max_tokens": 120, "temperature": 0.7, "messages": [
            {"role": "system", "content": SYSTEM_PROMPT.format(toy=toy)},
            {"role": "user", "content": text}]}
        response = self.session.post(self.url, json=payload, headers=headers,
                                     timeout=self.timeout)
        response.raise_for_status()
        answer = response.json()["choices"][0]["message"]["content"]
        answer = " ".join(str(answer).split())[:MAX_REPLY_CHARS]
        if not answer:
            raise ValueError("empty answer")
        return answer


def make_responder(config, clock=datetime.datetime.now):
    """The responder named by ``SPEECH_CHAT`` (``offline`` or ``http``) in settings ``config``.

    ``http`` needs ``SPEECH_CHAT_URL`` (``SPEECH_CHAT_KEY``, ``SPEECH_CHAT_MODEL`` and
    ``SPEECH_TIMEOUT`` optional). Raises ``ValueError`` for an unknown name or a missing URL.
    """
    offline = OfflineResponder(clock=clock)
    kind = config.get("SPEECH_CHAT", "offline")
    if kind == "offline":
        return offline
    if kind == "http":
        if not config.get("SPEECH_CHAT_URL"):
            raise ValueError("SPEECH_CHAT=http needs SPEECH_CHAT_URL")
        return HttpChatResponder(config["SPEECH_CHAT_URL"], config.get("SPEECH_CHAT_KEY"),
                                 config.get("SPEECH_CHAT_MODEL", "gpt-4o-mini"),
                                 config.get("SPEECH_TIMEOUT", 10), offline)
    raise ValueError(f"unknown SPEECH_CHAT provider {kind!r}")
