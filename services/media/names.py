"""Media kinds and file names: which names are safe, where shipped files are looked up.

Kinds: ``music`` (songs), ``image`` (covers and avatars), ``chat`` (voice messages and spoken
prompts), ``qr`` (device QR codes). Shipped files (default avatars, boot prompts) live under
``static/<kind>/`` and are found after the stored ones. The boot prompts are found as ``music``
too.
"""

import re
import secrets

from services.errors import NotFound

KINDS = ("music", "image", "chat", "qr")
# The boot prompts /open_toy names live with the spoken files (``chat``); legacy toy firmware
# fetches them from /get_music/, so ``music`` falls back to them.
BOOT_PROMPTS = ("Success.mp3", "Nobind.mp3", "Nolic.mp3")
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def is_safe(kind, name):
    """True when ``kind`` is known and ``name`` is a plain file name of ours (no folders)."""
    return kind in KINDS and isinstance(name, str) and bool(SAFE_NAME.match(name)) \
        and ".." not in name


def check_readable(kind, name):
    """Raise NotFound for an unknown kind or an unsafe name (a request never learns which)."""
    if not is_safe(kind, name):
        raise NotFound("file not found")


def check_writable(kind, name):
    """Raise ValueError for an unknown kind or an unsafe name (a bug of the caller)."""
    if not is_safe(kind, name):
        raise ValueError(f"unsafe media name {kind!r}/{name!r}")


def search_kinds(kind, name):
    """The kinds to look ``name`` up under, in order."""
    return (kind, "chat") if kind == "music" and name in BOOT_PROMPTS else (kind,)


def new_name(suffix):
    """A new unguessable file name ending in ``suffix`` (e.g. ``.mp3``)."""
    return secrets.token_hex(16) + suffix
