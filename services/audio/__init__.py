"""Audio media: ffmpeg discovery and the upload converter (no Flask here)."""

from services.audio.converter import (
    SPEECH_RATE,
    AudioConverter,
    ConvertedAudio,
    new_mp3_name,
    pcm_to_wav,
)
from services.audio.ffmpeg import configure_pydub, find_ffmpeg

__all__ = [
    "SPEECH_RATE",
    "AudioConverter",
    "ConvertedAudio",
    "configure_pydub",
    "find_ffmpeg",
    "new_mp3_name",
    "pcm_to_wav",
]
