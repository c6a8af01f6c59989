"""Audio media: choosing ffmpeg, the upload converter, disk-full answers, leftover clean-up,
synthesised melodies (no Flask here)."""

from services.audio.converter import (
    SPEECH_RATE,
    AudioConverter,
    ConvertedAudio,
    new_mp3_name,
    pcm_to_wav,
)
from services.audio.ffmpeg import bundled_ffmpeg, configure_pydub, find_ffmpeg, missing_features

__all__ = [
    "SPEECH_RATE",
    "AudioConverter",
    "ConvertedAudio",
    "bundled_ffmpeg",
    "configure_pydub",
    "find_ffmpeg",
    "missing_features",
    "new_mp3_name",
    "pcm_to_wav",
]
