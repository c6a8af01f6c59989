"""Every setting, read from the environment with development defaults.

``Config.from_env()`` first loads ``.env`` (``load_env_file``): the file next to this module, or
the one named by ``ENV_FILE``. Variables already in the environment win over the file. Every entry
point (``python app.py``, gunicorn ``'app:create_app()'``, the ``flask --app app`` CLI) builds its
settings through ``create_app`` → ``Config.from_env()``, so all of them see the same values.
Relative ``DATA_DIR``/``MEDIA_DIR`` are relative to this folder, whatever the working directory.
``create_app(config=None, **overrides)`` starts from ``Config.from_env()``; tests pass overrides.
``.env.example`` lists the same names.
"""

import math
import os
import re
from collections import Counter
from pathlib import Path

from dotenv import dotenv_values

ROOT = Path(__file__).resolve().parent


def load_env_file():
    """Copy the settings of ``.env`` (or ``ENV_FILE``) into ``os.environ`` where not already set.

    Returns the path read, or None when there is no such file.
    """
    path = Path(os.environ.get("ENV_FILE") or ROOT / ".env")
    if not path.is_file():
        return None
    for name, value in dotenv_values(path).items():
        if value is not None and name not in os.environ:
            os.environ[name] = value
    return path


def _env(name, default=None):
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def _bool(name, default):
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _int(name, default):
    return int(_env(name, default))


def _float(name, default):
    return float(_env(name, default))


def _path(name, default):
    """An absolute path; a relative one is taken from this folder (not the working directory)."""
    return (ROOT / _env(name, default)).resolve()


class Config:
    """Builds the settings mapping that ``create_app`` puts into ``app.config``."""

    DEV_SECRET = "dev-secret-change-me"

    @classmethod
    def from_env(cls):
        """Build the settings mapping from ``os.environ`` (after loading ``.env`` if present)."""
        load_env_file()
        data_dir = _path("DATA_DIR", "data")
        return {
            "ENV": _env("APP_ENV", "development"),
            "HOST": _env("HOST", "127.0.0.1"),
            "PORT": _int("PORT", 5000),
            "SECRET_KEY": _env("SECRET_KEY", cls.DEV_SECRET),
            "MONGO_URI": _env("MONGO_URI"),
            "MONGO_DB": _env("MONGO_DB", "smarttoy"),
            "REDIS_URL": _env("REDIS_URL"),
            "REDIS_PREFIX": _env("REDIS_PREFIX", "smarttoy:"),
            "DATA_DIR": str(data_dir),
            "MEDIA_DIR": str(_path("MEDIA_DIR", "uploads")),
            "STATIC_MEDIA_DIR": str(ROOT / "static"),
            "MEDIA_BACKEND": _env("MEDIA_BACKEND", "local"),
            "MEDIA_ACCEL_PREFIX": _env("MEDIA_ACCEL_PREFIX", ""),
            "MAX_UPLOAD_MB": _float("MAX_UPLOAD_MB", 10),
            "MAX_AUDIO_SECONDS": _float("MAX_AUDIO_SECONDS", 120),
            "FFMPEG_BINARY": _env("FFMPEG_BINARY"),
            "MAX_CONVERSIONS": _int("MAX_CONVERSIONS", 0),
            "CONVERSION_WAIT": _float("CONVERSION_WAIT", 20),
            "UPLOAD_CONCURRENCY": _int("UPLOAD_CONCURRENCY", 0),
            "CONVERSION_TIMEOUT": _float("CONVERSION_TIMEOUT", 30),
            "TOKEN_TTL_DAYS": _float("TOKEN_TTL_DAYS", 30),
            "AUTH_CACHE_SECONDS": _float("AUTH_CACHE_SECONDS", 30),
            "REDIS_TRACKING": _bool("REDIS_TRACKING", True),
            "PASSWORD_HASH_METHOD": _env("PASSWORD_HASH_METHOD", "scrypt"),
            "RATE_LIMIT": _env("RATE_LIMIT", "30/60"),
            "LOGIN_ACCOUNT_LIMIT": _env("LOGIN_ACCOUNT_LIMIT", "10/300"),
            "FRIEND_REQUEST_LIMIT": _env("FRIEND_REQUEST_LIMIT", "20/3600"),
            "CORS_ORIGINS": _env("CORS_ORIGINS", ""),
            "SOCKET_RECHECK_SECONDS": _float("SOCKET_RECHECK_SECONDS", 30),
            "PRESENCE_TTL_SECONDS": _float("PRESENCE_TTL_SECONDS", 30),
            "TRUST_PROXY": _bool("TRUST_PROXY", False),
            "ASYNC_MODE": _env("ASYNC_MODE"),
            "LOG_LEVEL": _env("LOG_LEVEL", "INFO"),
            "HTTP_HEADER_TIMEOUT": _float("HTTP_HEADER_TIMEOUT", 10),
            "HTTP_IDLE_TIMEOUT": _float("HTTP_IDLE_TIMEOUT", 30),
            "MAX_CONNECTIONS": _int("MAX_CONNECTIONS", 4000),
            "SPEECH_ASR": _env("SPEECH_ASR", "scored"),
            "SPEECH_TTS": _env("SPEECH_TTS", "espeak"),
            "SPEECH_CHAT": _env("SPEECH_CHAT", "offline"),
            "SPEECH_VOICE": _env("SPEECH_VOICE", "en-us"),
            "SPEECH_CHAT_URL": _env("SPEECH_CHAT_URL"),
            "SPEECH_CHAT_KEY": _env("SPEECH_CHAT_KEY"),
            "SPEECH_CHAT_MODEL": _env("SPEECH_CHAT_MODEL", "gpt-4o-mini"),
            "SPEECH_TIMEOUT": _float("SPEECH_TIMEOUT", 10),
            "SPEECH_WORKERS": _int("SPEECH_WORKERS", 2),
            "SPEECH_MAX_SECONDS": _float("SPEECH_MAX_SECONDS", 10),
            "SPEECH_RATE_LIMIT": _env("SPEECH_RATE_LIMIT", "12/60"),
            "SPEECH_CONCURRENCY": _int("SPEECH_CONCURRENCY", 1),
            "SPEECH_DECODE_TIMEOUT": _float("SPEECH_DECODE_TIMEOUT", 30),
            "LOVENSE_DEVELOPER_TOKEN": _env("LOVENSE_DEVELOPER_TOKEN"),
            "LOVENSE_PLATFORM": _env("LOVENSE_PLATFORM", ""),
            "LOVENSE_API_BASE": _env("LOVENSE_API_BASE", "https://api.lovense-api.com"),
            "LOVENSE_LAN_ENABLED": _bool("LOVENSE_LAN_ENABLED", True),
            "LOVENSE_TIMEOUT": _float("LOVENSE_TIMEOUT", 5),
            "LOVENSE_CA_BUNDLE": _env("LOVENSE_CA_BUNDLE"),
            "LOVENSE_LAN_FRESH_SECONDS": _float("LOVENSE_LAN_FRESH_SECONDS", 600),
            "LOVENSE_MIN_INTERVAL": _float("LOVENSE_MIN_INTERVAL", 0.2),
            "LOVENSE_MAX_WAIT": _float("LOVENSE_MAX_WAIT", 2.0),
            "LOVENSE_SESSION_LEASE": _float("LOVENSE_SESSION_LEASE", 10),
        }


# Values published in this repository or typical of a template: never a production secret.
PLACEHOLDER_SECRETS = {"dev-secret-change-me", "change-me-to-a-long-random-string"}
PLACEHOLDER_WORDS = ("change", "replace", "example", "placeholder", "secret", "password",
                     "default")
# Short markers count only as whole words: a random key may contain "xXx" or "ToDo" by chance.
PLACEHOLDER_MARKERS = re.compile(r"(?<![a-z0-9])(todo|xxx|fixme)(?![a-z0-9])")
MIN_SECRET_CHARS = 32
MIN_SECRET_BITS = 64  # estimated from the key's own character frequencies
MAKE_SECRET = "python -c 'import secrets; print(secrets.token_hex(32))'"


def secret_problem(secret):
    """Why ``secret`` is unfit to sign in production, or None when it looks random enough."""
    if not secret:
        return "SECRET_KEY is not set"
    lowered = secret.lower()
    if secret in PLACEHOLDER_SECRETS or any(w in lowered for w in PLACEHOLDER_WORDS) \
            or PLACEHOLDER_MARKERS.search(lowered):
        return "SECRET_KEY is a placeholder"
    if len(secret) < MIN_SECRET_CHARS:
        return f"SECRET_KEY is shorter than {MIN_SECRET_CHARS} characters"
    steps = Counter(ord(b) - ord(a) for a, b in zip(secret, secret[1:], strict=False))
    if len(steps) <= 2 or steps.most_common(1)[0][1] * 2 >= len(secret) - 1:
        return "SECRET_KEY is a repeating or counting pattern"
    bits = sum(n * math.log2(len(secret) / n) for n in Counter(secret).values())
    if bits < MIN_SECRET_BITS:
        return (f"SECRET_KEY is too predictable (about {bits:.0f} bits of entropy, "
                f"{MIN_SECRET_BITS} needed)")
    return None


class ConfigError(RuntimeError):
    """A setting that must not be used; the message says what to do."""


def check_media(settings):
    """Raise ``ConfigError`` when the media settings cannot work together."""
    backend = settings.get("MEDIA_BACKEND") or "local"
    if backend not in ("local", "gridfs"):
        raise ConfigError(f"MEDIA_BACKEND must be local or gridfs, not {backend!r}")
    if backend == "gridfs" and not settings.get("MONGO_URI"):
        raise ConfigError("MEDIA_BACKEND=gridfs needs MongoDB: set MONGO_URI")
    prefix = settings.get("MEDIA_ACCEL_PREFIX") or ""
    if prefix and (backend != "local" or not prefix.startswith("/")):
        raise ConfigError("MEDIA_ACCEL_PREFIX (an nginx internal location such as /_media) "
                          "must start with / and needs MEDIA_BACKEND=local")


def check_production(settings):
    """Raise ``ConfigError`` with a clear message when a production config is unsafe."""
    if settings.get("ENV") != "production":
        return
    problem = secret_problem(settings.get("SECRET_KEY"))
    if problem:
        raise ConfigError(f"{problem}; APP_ENV=production needs a random SECRET_KEY. "
                           f"Make one with: {MAKE_SECRET}")
