"""``MEDIA_BACKEND=local``: media files in folders under ``MEDIA_DIR`` on this host's disk.

Files are served with sendfile, or by nginx when ``MEDIA_ACCEL_PREFIX`` is set (the app
answers with ``X-Accel-Redirect: <prefix>/<kind>/<name>``; nginx maps the prefix to
``MEDIA_DIR``, see ``deploy/nginx/smarttoy-media.conf``). Several hosts need one shared disk;
otherwise use GridFS.
"""

import os
import secrets
import shutil
from pathlib import Path

from services.media.base import MediaFile, MediaStore, readable
from services.media.names import KINDS, is_safe


class LocalMedia(MediaStore):
    """``media_dir``: the folders of each kind and the work folder ``.spool``; ``static_dir``:
    shipped files; ``accel_prefix``: the nginx internal location for ``MEDIA_DIR`` (or empty)."""

    def __init__(self, media_dir, static_dir, accel_prefix=""):
        self._media = Path(media_dir)
        super().__init__(static_dir, self._media / ".spool")
        self._accel = (accel_prefix or "").rstrip("/")

    def _folder(self, kind):
        path = self._media / kind
        path.mkdir(parents=True, exist_ok=True)
        return path

    def scratch_folders(self):
        # Before the store existed, the converter's partial files sat beside the final ones.
        return [*super().scratch_folders(), *(self._media / kind for kind in KINDS)]

    def _open_stored(self, kind, name):
        path = self._media / kind / name  # a safe name has no "/" nor "..": it stays in there
        if not path.is_file():
            return None
        accel = f"{self._accel}/{kind}/{name}" if self._accel else None
        return MediaFile(name, path=path, accel=accel)

    def _put(self, kind, name, source, move):
        final = self._folder(kind) / name
        if move:  # the work folder is on the same disk: one atomic rename
            os.replace(source, final)
            return
        partial = final.with_name(f".part-{os.getpid()}-{secrets.token_hex(8)}{final.suffix}")
        try:
            with open(partial, "wb") as out, readable(source) as src:
                shutil.copyfileobj(src, out, 1 << 20)
            os.replace(partial, final)
        finally:
            partial.unlink(missing_ok=True)

    def remove(self, kind, name):
        if is_safe(kind, name):
            (self._media / kind / name).unlink(missing_ok=True)


