"""The offline small-talk responder, and the HTTP chat provider against a loopback fake."""

import datetime
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from services.speech.numbers import parse_number, say_number
from services.speech.responder import HttpChatResponder, OfflineResponder, make_responder
from services.speech.smalltalk import TABLE, UNKNOWN

NOON = datetime.datetime(2026, 11, 22, 15, 5)


@pytest.fixture
def responder():
    return OfflineResponder(clock=lambda: NOON)


@pytest.mark.parametrize("said, intent", [
    ("hello", "greeting"), ("hi there", "greeting"), ("good morning", "morning"),
    ("what is your name", "name"), ("who are you", "name"), ("how old are you", "age"),
    ("what time is it", "time"), ("what day is it today", "date"),
    ("tell me a joke", "joke"), ("say something funny", "joke"),
    ("i love you", "love"), ("tell me a story", "story"),
    ("what does a cow say", "animal_sound"), ("what sound does a duck make", "animal_sound"),
    ("good night", "goodnight"), ("i am going to bed", "goodnight"),
    ("thank you", "thanks"), ("thanks", "thanks"),
    ("what is the weather like", "weather"), ("is it raining", "weather"),
    ("how are you", "how_are_you"), ("bye bye", "bye"), ("let's play a game", "game"),
    ("play a game", "game"), ("count to ten", "count"), ("sing the alphabet", "alphabet"),
    ("what is two plus three", "arithmetic"), ("my name is sam", "my_name"),
    ("i am sad", "sad"), ("i am scared", "scared"), ("i am bored", "bored"),
    ("what is your favourite color", "favourite_colour"), ("tell me a fun fact", "fact"),
    ("are you a robot", "robot"), ("where do you live", "where_live"),
    ("what can you do", "help"), ("you are funny", "compliment"), ("sorry", "sorry"),
    ("what colours are in a rainbow", "rainbow"), ("do you like me", "like_me"),
    ("play the trombone", "unknown_song"),
])
def test_intents(responder, said, intent):
    assert responder.intent_of(said) == intent
    assert responder.reply(said) != UNKNOWN


def test_table_has_a_few_dozen_intents():
    assert len({row.name for row in TABLE}) >= 30


@pytest.mark.parametrize("said", ["", "blah blah quantum", "purple monkey dishwasher"])
def test_unknown_is_graceful(responder, said):
    assert responder.reply(said) == UNKNOWN
    assert responder.intent_of(said) is None


def test_dynamic_answers(responder):
    assert responder.reply("what time is it") == "It is three oh five in the afternoon."
    assert responder.reply("what's the date") == "Today is Sunday, November 22."
    assert responder.reply("what is your name", "Teddy").startswith("My name is Teddy")
    assert responder.reply("what does a cow say") == "The cow says moo!"
    assert responder.reply("what do dogs say") == "The dog says woof woof!"
    assert responder.reply("what is seven times three") == "seven times three is twenty one!"
    assert responder.reply("what is two minus five") == "two minus five is minus three!"
    assert responder.reply("my name is sam") == "Nice to meet you, Sam!"


def test_time_words():
    at = OfflineResponder(clock=lambda: datetime.datetime(2026, 1, 1, 7, 0))
    assert at.reply("what time is it") == "It is seven o'clock in the morning."
    late = OfflineResponder(clock=lambda: datetime.datetime(2026, 1, 1, 0, 45))
    assert late.reply("what time is it") == "It is twelve forty five at night."


def test_answers_rotate(responder):
    jokes = {responder.reply("tell me a joke") for _ in range(6)}
    assert len(jokes) == 6


@pytest.mark.parametrize("words, number", [
    ("two", 2), ("twenty one", 21), ("to", 2), ("for", 4), ("7", 7),
    ("one hundred and five", 105), ("banana", None), ("", None),
])
def test_parse_number(words, number):
    assert parse_number(words) == number


@pytest.mark.parametrize("number, words", [(0, "zero"), (13, "thirteen"), (40, "forty"),
                                           (99, "ninety nine"), (300, "three hundred"),
                                           (1200, "1200")])
def test_say_number(number, words):
    assert say_number(number) == words


class FakeChatEndpoint(BaseHTTPRequestHandler):
    """An OpenAI-compatible /chat/completions on 127.0.0.1; behaviour set per server."""

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        request = json.loads(self.rfile.read(length))
        self.server.seen.append((self.path, self.headers.get("Authorization"), request))
        mode = self.server.mode
        if mode == "slow":
            self.server.release.wait(5)
        if mode == "error":
            self.send_response(500)
            self.end_headers()
            return
        body = b"not json" if mode == "garbage" else json.dumps({"choices": [
            {"message": {"role": "assistant", "content": "  Hello   little friend!  "}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def endpoint():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeChatEndpoint)
    server.seen, server.mode, server.release = [], "ok", threading.Event()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


def http_responder(server, timeout=2):
    url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    return HttpChatResponder(url, "sk-test", "tiny-model", timeout,
                             OfflineResponder(clock=lambda: NOON))


def test_http_provider_asks_the_endpoint(endpoint):
    responder = http_responder(endpoint)
    assert responder.reply("what is a rainbow", "Teddy") == "Hello little friend!"
    path, auth, request = endpoint.seen[0]
    assert path == "/v1/chat/completions" and auth == "Bearer sk-test"
    assert request["model"] == "tiny-model"
    assert request["messages"][-1] == {"role": "user", "content": "what is a rainbow"}
    assert "Teddy" in request["messages"][0]["content"]


@pytest.mark.parametrize("mode", ["error", "garbage", "slow"])
def test_http_failure_falls_back_offline_with_a_log_line(endpoint, mode, caplog):
    endpoint.mode = mode
    responder = http_responder(endpoint, timeout=0.3)
    assert responder.reply("what does a cow say") == "The cow says moo!"
    assert "answering offline" in caplog.text
    assert "sk-test" not in caplog.text


def test_http_unreachable_falls_back():
    responder = HttpChatResponder("http://127.0.0.1:9/v1/chat/completions", None, "m", 0.5,
                                  OfflineResponder())
    assert responder.reply("thank you") == "You are welcome!"


def test_make_responder_from_config():
    assert isinstance(make_responder({"SPEECH_CHAT": "offline"}), OfflineResponder)
    http = make_responder({"SPEECH_CHAT": "http", "SPEECH_CHAT_URL": "http://127.0.0.1:1/",
                           "SPEECH_TIMEOUT": 3})
    assert isinstance(http, HttpChatResponder) and http.timeout == 3
    assert http.url == "http://127.0.0.1:1/chat/completions"
    with pytest.raises(ValueError):
        make_responder({"SPEECH_CHAT": "http"})
    with pytest.raises(ValueError):
        make_responder({"SPEECH_CHAT": "oracle"})
