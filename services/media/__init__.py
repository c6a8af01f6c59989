"""Media storage behind one interface (``MEDIA_BACKEND``): every writer and reader of media
files (uploads, conversion output, content import, QR codes, spoken prompts) goes through a
``MediaStore``, and nothing else builds a media path.

- ``local`` (default): folders under ``MEDIA_DIR`` (``LocalMedia``);
- ``gridfs``: MongoDB GridFS through pymongo (``GridFSMedia``), for several hosts with no
  shared disk; needs ``MONGO_URI``.

Both keep shipped files (``static/<kind>/``) found after the stored ones, and a private work
folder ``MEDIA_DIR/.spool`` on this host for files being made.
"""

from pathlib import Path

from services.media.base import MediaFile, MediaStore
from services.media.local import LocalMedia
from services.media.names import KINDS

BACKENDS = ("local", "gridfs")

__all__ = ["BACKENDS", "KINDS", "LocalMedia", "MediaFile", "MediaStore", "open_media"]


def open_media(settings, db):
    """The ``MediaStore`` ``settings`` name (``MEDIA_BACKEND``, ``MEDIA_DIR``,
    ``STATIC_MEDIA_DIR``, ``MEDIA_ACCEL_PREFIX``); ``db`` is the MongoDB database of the store.

    Raises ValueError for an unknown backend, or GridFS without a pymongo database.
    """
    backend = settings.get("MEDIA_BACKEND") or "local"
    media_dir, static_dir = Path(settings["MEDIA_DIR"]), settings["STATIC_MEDIA_DIR"]
    if backend == "local":
        return LocalMedia(media_dir, static_dir, settings.get("MEDIA_ACCEL_PREFIX") or "")
    if backend == "gridfs":
        from pymongo.database import Database

        from services.media.grid import GridFSMedia

        if not isinstance(db, Database):
            raise ValueError("MEDIA_BACKEND=gridfs needs MongoDB (set MONGO_URI)")
        return GridFSMedia(db, static_dir, media_dir / ".spool")
    raise ValueError(f"MEDIA_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}")
