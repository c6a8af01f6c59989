"""Every setting, read from the environment with development defaults.

``create_app(config=None, **overrides)`` starts from ``Config.from_env()``; tests pass overrides.
``.env.example`` lists the same names.
"""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent


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


class Config:
    """All settings as plain attributes; ``as_dict()`` feeds ``app.config``."""

    DEV_SECRET = "dev-secret-change-me"

    @classmethod
    def from_env(cls):
        """Build the settings mapping from ``os.environ`` (after loading ``.env`` if present)."""
        data_dir = Path(_env("DATA_DIR", ROOT / "data")).resolve()
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
            "MEDIA_DIR": str(Path(_env("MEDIA_DIR", ROOT / "uploads")).resolve()),
            "STATIC_MEDIA_DIR": str(ROOT / "static"),
            "MAX_UPLOAD_MB": _float("MAX_UPLOAD_MB", 10),
            "MAX_AUDIO_SECONDS": _float("MAX_AUDIO_SECONDS", 120),
            "FFMPEG_BINARY": _env("FFMPEG_BINARY"),
            "MAX_CONVERSIONS": _int("MAX_CONVERSIONS", 0),
            "CONVERSION_WAIT": _float("CONVERSION_WAIT", 20),
            "CONVERSION_TIMEOUT": _float("CONVERSION_TIMEOUT", 30),
            "TOKEN_TTL_DAYS": _float("TOKEN_TTL_DAYS", 30),
            "PASSWORD_HASH_METHOD": _env("PASSWORD_HASH_METHOD", "scrypt"),
            "RATE_LIMIT": _env("RATE_LIMIT", "30/60"),
            "LOGIN_ACCOUNT_LIMIT": _env("LOGIN_ACCOUNT_LIMIT", "10/300"),
            "FRIEND_REQUEST_LIMIT": _env("FRIEND_REQUEST_LIMIT", "20/3600"),
            "CORS_ORIGINS": _env("CORS_ORIGINS", ""),
            "SOCKET_RECHECK_SECONDS": _float("SOCKET_RECHECK_SECONDS", 30),
            "TRUST_PROXY": _bool("TRUST_PROXY", False),
            "ASYNC_MODE": _env("ASYNC_MODE"),
            "LOG_LEVEL": _env("LOG_LEVEL", "INFO"),
            "SPEECH_ASR": _env("SPEECH_ASR", "pocketsphinx"),
            "SPEECH_TTS": _env("SPEECH_TTS", "espeak"),
            "SPEECH_CHAT": _env("SPEECH_CHAT", "offline"),
            "SPEECH_VOICE": _env("SPEECH_VOICE", "en-us"),
            "SPEECH_CHAT_URL": _env("SPEECH_CHAT_URL"),
            "SPEECH_CHAT_KEY": _env("SPEECH_CHAT_KEY"),
            "SPEECH_CHAT_MODEL": _env("SPEECH_CHAT_MODEL", "gpt-4o-mini"),
            "SPEECH_TIMEOUT": _float("SPEECH_TIMEOUT", 10),
            "LOVENSE_DEVELOPER_TOKEN": _env("LOVENSE_DEVELOPER_TOKEN"),
            "LOVENSE_PLATFORM": _env("LOVENSE_PLATFORM", ""),
            "LOVENSE_API_BASE": _env("LOVENSE_API_BASE", "https://api.lovense-api.com"),
            "LOVENSE_LAN_ENABLED": _bool("LOVENSE_LAN_ENABLED", True),
            "LOVENSE_TIMEOUT": _float("LOVENSE_TIMEOUT", 5),
            "LOVENSE_CA_BUNDLE": _env("LOVENSE_CA_BUNDLE"),
            "LOVENSE_LAN_FRESH_SECONDS": _float("LOVENSE_LAN_FRESH_SECONDS", 600),
            "LOVENSE_MIN_INTERVAL": _float("LOVENSE_MIN_INTERVAL", 0.2),
            "LOVENSE_MAX_WAIT": _float("LOVENSE_MAX_WAIT", 2.0),
        }


def check_production(settings):
    """Raise ``RuntimeError`` with a clear message when a production config is unsafe."""
    if settings.get("ENV") == "production":
        secret = settings.get("SECRET_KEY")
        if not secret or secret == Config.DEV_SECRET or len(secret) < 16:
            raise RuntimeError(
                "SECRET_KEY must be set to a random string of 16+ characters when "
                "APP_ENV=production (e.g. python -c 'import secrets; print(secrets.token_hex(32))')"
            )
