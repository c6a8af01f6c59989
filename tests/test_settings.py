"""Settings: ``.env`` loading (the environment wins), relative folders, production secrets;
``/healthz`` reads the store; boot prompts under /get_music/; no token in flask run's log."""

import logging
import re
import secrets

import pytest
from pymongo import MongoClient

import config
from app import create_app
from config import ROOT, Config, ConfigError, secret_problem
from tests.entry_process import free_port


@pytest.mark.parametrize("secret, problem", [
    (None, "not set"),
    ("", "not set"),
    ("dev-secret-change-me", "placeholder"),
    (re.search(r"^SECRET_KEY=(\S+)", (ROOT / ".env.example").read_text(), re.M).group(1),
     "placeholder"),
    ("my-ExampleKey-9f8e7d6c5b", "placeholder"),
    ("Zq8#xL2", "shorter than 32"),
    ("64623345a3e21cbc", "shorter than 32"),  # 16 hex digits: 64 bits is not enough
    ("aaaaaaaaaaaaaaaa", "shorter than 32"),
    ("a" * 40, "pattern"),
    ("0123456789abcdef" * 2 + "0123", "pattern"),
    ("ab" * 20, "pattern"),
    ("a" * 39 + "b", "pattern"),
    ("q7q3q7q9q3q7q9q3q7q3q9q7q3q7q9q3q7", "too predictable"),
])
def test_unfit_secrets_are_named(secret, problem):
    assert problem in secret_problem(secret)


def test_random_secrets_pass():
    for _ in range(200):
        for secret in (secrets.token_hex(32), secrets.token_urlsafe(32), secrets.token_hex(16)):
            assert secret_problem(secret) is None, secret
    # Random keys that happen to contain a short marker inside a run of letters and digits.
    for secret in ("Qm3xXxL9v_2kTodoB7pW1zR8sN4cY6dH0fJ5gK",
                   "k2ToDo9LmQ3xxxv8Rz1Wn4Pb7Yc5Hd0Fs6Gj"):
        assert secret_problem(secret) is None, secret


@pytest.mark.parametrize("secret", ["todo-put-a-long-random-key-here-0123456789",
                                    "xxx_fill_me_in_with_a_long_random_string_42"])
def test_placeholder_markers_as_words_are_refused(secret):
    assert secret_problem(secret) == "SECRET_KEY is a placeholder"


def test_production_refuses_a_placeholder_and_says_how_to_make_a_key(settings, make_app):
    with pytest.raises(ConfigError, match=r"placeholder.*secrets\.token_hex\(32\)"):
        create_app(dict(settings, ENV="production", SECRET_KEY="change-me-to-a-long-random-string"))
    app = make_app({"ENV": "production", "SECRET_KEY": secrets.token_hex(32)})
    assert app.config["ENV"] == "production"


@pytest.fixture
def env_file(tmp_path, monkeypatch):
    """Point ENV_FILE at a temp file; every name it sets is removed again after the test."""
    path = tmp_path / ".env"

    def write(**values):
        for name in values:
            monkeypatch.delenv(name, raising=False)  # restored (absent or old value) afterwards
        path.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
        monkeypatch.setenv("ENV_FILE", str(path))
        return path

    return write


def test_dot_env_fills_what_the_environment_does_not_set(env_file, monkeypatch):
    env_file(PORT="6123", DATA_DIR="rel/data", LOG_LEVEL="DEBUG  # a comment")
    monkeypatch.setenv("LOG_LEVEL", "ERROR")
    settings = Config.from_env()
    assert settings["PORT"] == 6123
    assert settings["LOG_LEVEL"] == "ERROR"  # the environment wins
    assert settings["DATA_DIR"] == str(ROOT / "rel" / "data")  # relative to the project folder


def test_a_missing_env_file_is_no_error(tmp_path, monkeypatch):
    monkeypatch.setenv("ENV_FILE", str(tmp_path / "absent.env"))
    assert config.load_env_file() is None


def test_healthz_fails_when_the_store_cannot_be_read(make_app):
    app = make_app()
    port = free_port()  # nothing listens there: a real driver error, quickly
    dead = MongoClient(f"mongodb://127.0.0.1:{port}", serverSelectionTimeoutMS=300, connect=False)
    app.extensions["smarttoy"].store.db = dead["x"]
    try:
        response = app.test_client().get("/healthz")
    finally:
        dead.close()
    assert response.status_code == 503
    assert response.get_json() == {"code": 503, "msg": "mongo is down",
                                   "data": {"mongo": "down", "redis": "ok"}}


@pytest.mark.parametrize("name", ["Success.mp3", "Nobind.mp3", "Nolic.mp3"])
def test_boot_prompts_are_served_under_get_music_too(api, name):
    with api.client.get(f"/get_music/{name}") as response:
        assert response.status_code == 200
        assert response.data == (ROOT / "static" / "chat" / name).read_bytes()
    assert api.client.get("/get_music/Other.mp3").status_code == 404


def test_flask_run_request_lines_never_reach_the_log(make_app, caplog):
    make_app()
    with caplog.at_level(logging.INFO):
        logging.getLogger("werkzeug").info('127.0.0.1 - - [date] "%s" %s %s',
                                           "GET /ws?token=abc HTTP/1.1", 101, "-")
        logging.getLogger("werkzeug").info("Press CTRL+C to quit")
    assert "token=abc" not in caplog.text and "CTRL+C" in caplog.text
