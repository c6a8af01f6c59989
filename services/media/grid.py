"""``MEDIA_BACKEND=gridfs``: media files in MongoDB GridFS, so every host sees every file
without a shared disk.

One bucket (``media.files`` / ``media.chunks``) through pymongo's ``gridfs`` module; a file is
named ``<kind>/<name>``. pymongo writes the chunks first and the ``files`` document last, so a
reader finds a file only once complete; an upload that fails is aborted (its chunks deleted:
``upload_from_stream`` alone would leave them, and ``GridIn.write(stream)`` would end the file at
the first short read). Storing a name again keeps the newest revision only. Serving reads the
requested byte range chunk by chunk (``GridOut.seek``/``read``).
"""

import logging
from datetime import UTC, datetime, timedelta

import gridfs
from bson import ObjectId

from services.media.base import MediaFile, MediaStore, readable
from services.media.names import is_safe

log = logging.getLogger(__name__)

BUCKET = "media"
CHUNK_BYTES = 255 * 1024  # GridFS's default: a chunk document stays well under 16 MB


class GridFSMedia(MediaStore):
    """``db``: a pymongo ``Database``; ``static_dir``: shipped files; ``work_dir``: a private
    local folder for work files (the converter's output before it is uploaded)."""

    def __init__(self, db, static_dir, work_dir, bucket=BUCKET):
        super().__init__(static_dir, work_dir)
        self._bucket = gridfs.GridFSBucket(db, bucket_name=bucket, chunk_size_bytes=CHUNK_BYTES)
        self._files = db[f"{bucket}.files"]
        self._chunks = db[f"{bucket}.chunks"]

    def _open_stored(self, kind, name):
        try:
            grid_out = self._bucket.open_download_stream_by_name(f"{kind}/{name}")
        except gridfs.NoFile:
            return None
        uploaded = grid_out.upload_date.replace(tzinfo=UTC)  # pymongo stores UTC
        return MediaFile(name, stream=grid_out, size=grid_out.length,
                         mtime=uploaded.timestamp(), etag=str(grid_out._id))

    def _put(self, kind, name, source, move):
        filename = f"{kind}/{name}"
        grid_in = self._bucket.open_upload_stream(filename, metadata={"kind": kind})
        try:
            with readable(source) as stream:
                # Our own loop: GridIn.write(stream) takes a short read for the end.
                while block := stream.read(CHUNK_BYTES):
                    grid_in.write(block)
            grid_in.close()
        except BaseException:
            grid_in.abort()  # deletes the chunks written so far
            raise
        self._keep_newest(filename)

    def _keep_newest(self, filename):
        """Delete the older revisions of ``filename``. Every host sorts them alike, so two hosts
        storing one name at once both keep the same (newest) one."""
        revisions = self._files.find({"filename": filename}, {"_id": 1},
                                     sort=[("uploadDate", -1), ("_id", -1)])
        for doc in list(revisions)[1:]:
            self._delete(doc["_id"])

    def remove(self, kind, name):
        if not is_safe(kind, name):
            return
        for doc in list(self._files.find({"filename": f"{kind}/{name}"}, {"_id": 1})):
            self._delete(doc["_id"])

    def _delete(self, file_id):
        try:
            self._bucket.delete(file_id)
        except gridfs.NoFile:  # another host deleted it first
            pass

    def remove_unfinished(self, max_age=3600.0, window=2 * 86400.0):
        """At start: delete the chunks of uploads a killed process left (chunks whose file
        document never came), begun between ``window`` and ``max_age`` seconds ago. Returns how
        many uploads' chunks were deleted."""
        now = datetime.now(UTC)
        return self.remove_orphan_chunks(now - timedelta(seconds=window),
                                         now - timedelta(seconds=max_age))

    def remove_orphan_chunks(self, since, until):
        """Delete the chunks without a file document whose file id (an ObjectId, made by the
        uploading process) dates from ``since`` to ``until``; return how many files' worth.
        A bounded window keeps this one index scan plus one query per 500 files."""
        span = {"$gte": ObjectId.from_datetime(since), "$lt": ObjectId.from_datetime(until)}
        ids = self._chunks.distinct("files_id", {"files_id": span})
        orphans = []
        for start in range(0, len(ids), 500):
            batch = ids[start:start + 500]
            done = {doc["_id"] for doc in self._files.find({"_id": {"$in": batch}}, {"_id": 1})}
            orphans += [file_id for file_id in batch if file_id not in done]
        if orphans:
            self._chunks.delete_many({"files_id": {"$in": orphans}})
            log.warning("removed the chunks of %d unfinished GridFS upload(s)", len(orphans))
        return len(orphans)
