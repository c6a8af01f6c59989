"""What every media backend shares: the file handle it returns and the storing of mp3s."""

import io
import os
import secrets
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from services.audio.converter import ConvertedAudio
from services.errors import NotFound
from services.media.names import check_readable, check_writable, new_name, search_kinds


@dataclass(frozen=True)
class MediaFile:
    """A stored file to serve. ``path``: the file on this host's disk (local backend and shipped
    files), else ``stream``: a readable, seekable binary file (GridFS) with ``size`` bytes,
    ``mtime`` (epoch seconds) and ``etag``. ``accel``: the URI nginx serves it from
    (``X-Accel-Redirect``), when the app may hand the sending to nginx."""

    name: str
    path: Path | None = None
    stream: object = None
    size: int | None = None
    mtime: float | None = None
    etag: str | None = None
    accel: str | None = None


class MediaStore:
    """Base of ``LocalMedia`` and ``GridFSMedia``. ``static_dir``: the shipped files;
    ``work_dir``: a private folder on this host for work files (never served)."""

    def __init__(self, static_dir, work_dir):
        self._static = Path(static_dir)
        self._work = Path(work_dir)

    new_name = staticmethod(new_name)

    def work_folder(self):
        """The private work folder (created on first use): converters write into it."""
        self._work.mkdir(parents=True, exist_ok=True)
        return self._work

    def scratch_folders(self):
        """Folders where a killed process may have left work files (``remove_leftovers``)."""
        return [self._work]

    def remove_unfinished(self, max_age=3600.0):
        """At start: delete stored pieces of writes a killed process left; return how many."""
        return 0

    def open(self, kind, name):
        """A ``MediaFile`` for ``name`` of ``kind``: stored first, then shipped.

        Raises NotFound for unknown or unsafe names and missing files.
        """
        check_readable(kind, name)
        for each in search_kinds(kind, name):
            found = self._open_stored(each, name) or self._shipped(each, name)
            if found is not None:
                return found
        raise NotFound("file not found")

    def exists(self, kind, name):
        """True when ``open(kind, name)`` would find a file."""
        try:
            found = self.open(kind, name)
        except NotFound:
            return False
        if found.stream is not None:
            found.stream.close()
        return True

    def _shipped(self, kind, name):
        path = self._static / kind / name  # a safe name has no "/" nor "..": it stays in there
        return MediaFile(name, path=path) if path.is_file() else None

    def _open_stored(self, kind, name):
        raise NotImplementedError

    def put(self, kind, name, source, *, move=False):
        """Store ``source`` (a path, bytes or a binary stream) as ``name`` of ``kind``, replacing
        a file of that name. ``move``: ``source`` is a work file, taken (or deleted) whatever
        happens. Readers see the whole file or none. Raises ValueError for an unsafe name."""
        try:
            check_writable(kind, name)
            self._put(kind, name, source, move)
        finally:
            if move:
                Path(source).unlink(missing_ok=True)

    def _put(self, kind, name, source, move):
        raise NotImplementedError

    def remove(self, kind, name):
        """Delete a stored file (never a shipped one); ignore a missing one."""
        raise NotImplementedError

    def add_mp3(self, kind, converter, source, *, name=None, max_seconds=None):
        """Convert ``source`` with ``converter`` (``convert_to_mp3``) and store it as ``name``
        (default: a new unguessable name). Returns a ``ConvertedAudio`` (``path`` is None).

        Raises what ``convert_to_mp3`` raises; on any failure nothing is stored and no work
        file is left.
        """
        name = name or new_name(".mp3")
        work = f"work-{os.getpid()}-{secrets.token_hex(8)}.mp3"  # see audio.leftovers
        audio = converter.convert_to_mp3(source, self.work_folder(), name=work,
                                         max_seconds=max_seconds)
        self.put(kind, name, audio.path, move=True)  # takes or deletes the work file
        return ConvertedAudio(name, None, audio.duration, audio.size)


@contextmanager
def readable(source):
    """Yield a binary stream reading ``source``: a path (opened and closed here), bytes, or a
    binary stream (yielded as is)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        yield io.BytesIO(source)
    elif isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as stream:
            yield stream
    else:
        yield source
