"""Where media files live and how names map to paths safely.

Kinds: ``music`` (songs), ``image`` (covers and avatars), ``chat`` (voice messages and spoken
prompts), ``qr`` (device QR codes). Each kind has a folder under ``MEDIA_DIR``; shipped files
(default avatars, boot prompts) live under ``static/<kind>/`` and are found second. The boot
prompts are found as ``music`` too.
"""

import re
import secrets
from pathlib import Path

from services.errors import NotFound

KINDS = ("music", "image", "chat", "qr")
# The boot prompts /open_toy names live with the spoken files (``chat``); legacy toy firmware
# fetches them from /get_music/, so ``music`` falls back to them.
BOOT_PROMPTS = ("Success.mp3", "Nobind.mp3", "Nolic.mp3")
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class MediaLibrary:
    def __init__(self, media_dir, static_dir):
        self._media = Path(media_dir)
        self._static = Path(static_dir)

    def folder(self, kind):
        """The writable folder for ``kind`` (created on first use)."""
        if kind not in KINDS:
            raise ValueError(f"unknown media kind {kind!r}")
        path = self._media / kind
        path.mkdir(parents=True, exist_ok=True)
        return path

    def find(self, kind, name):
        """Path of an existing file ``name`` of ``kind``; NotFound for unknown or unsafe names."""
        if kind not in KINDS or not isinstance(name, str) or not SAFE_NAME.match(name) \
                or ".." in name:
            raise NotFound("file not found")
        kinds = (kind, "chat") if kind == "music" and name in BOOT_PROMPTS else (kind,)
        for root in [base / each for each in kinds for base in (self._media, self._static)]:
            path = root / name
            if path.is_file() and path.resolve().parent == root.resolve():
                return path
        raise NotFound("file not found")

    def exists(self, kind, name):
        try:
            self.find(kind, name)
            return True
        except NotFound:
            return False

    @staticmethod
    def new_name(suffix):
        """A new unguessable file name ending in ``suffix`` (e.g. ``.mp3``)."""
        return secrets.token_hex(16) + suffix

    def remove(self, kind, name):
        """Delete a file of ours (never a shipped one); ignore a missing file."""
        if SAFE_NAME.match(name or ""):
            (self._media / kind / name).unlink(missing_ok=True)
