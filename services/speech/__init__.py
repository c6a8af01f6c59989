"""Offline speech: text-to-speech and spoken prompts (tts), recognition and intents."""
