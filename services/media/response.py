"""HTTP responses for media files, Range/ETag/Last-Modified on every backend.

- a file on this disk: werkzeug's ``send_file`` (sendfile through ``services.sendfile``);
- behind nginx with ``MEDIA_ACCEL_PREFIX``: an empty answer with ``X-Accel-Redirect``, and
  nginx sends the file itself (its own Range, ETag and Last-Modified);
- GridFS: the requested bytes only, read chunk by chunk from a seekable ``GridOut``.

Nothing here imports Flask (werkzeug's Response is a valid Flask view return value).
"""

import mimetypes
import os
import re
import time
import zlib

from werkzeug.http import http_date
from werkzeug.utils import send_file
from werkzeug.wrappers import Response
from werkzeug.wsgi import FileWrapper

MAX_AGE = 3600
BLOCK = 256 * 1024  # about one GridFS chunk per read


def media_response(media_file, environ, max_age=MAX_AGE):
    """The response serving ``media_file`` (a ``MediaFile``) for the WSGI ``environ``."""
    if media_file.accel:
        return _accel_redirect(media_file, max_age)
    if media_file.path is not None:
        if _PLAIN_NAME.fullmatch(media_file.name) and not any(h in environ for h in _CONDITIONS):
            plain = _whole_file(media_file, max_age)
            if plain is not None:
                return plain
        return send_file(media_file.path, environ, conditional=True, etag=True,
                         max_age=max_age)
    return _stream(media_file, environ, max_age)


# A request with any of these (a range, a revalidation) goes through werkzeug's send_file.
_CONDITIONS = ("HTTP_RANGE", "HTTP_IF_RANGE", "HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE",
               "HTTP_IF_MATCH", "HTTP_IF_UNMODIFIED_SINCE")
_PLAIN_NAME = re.compile(r"[A-Za-z0-9._-]{1,200}")


def _whole_file(media_file, max_age):
    """The plain ``GET`` of a whole file on this disk with the headers ``send_file`` gives it
    (the same ETag, so a later revalidation through send_file matches), written directly: the
    hottest download path, without a werkzeug Response and its conditional processing."""
    path = os.fspath(media_file.path)
    try:
        file = open(path, "rb")  # noqa: SIM115 (closed by the server through the wrapper)
    except OSError:
        return None
    stat = os.fstat(file.fileno())
    check = zlib.adler32(path.encode()) & 0xFFFFFFFF
    now = time.time()
    return WholeFile(file, [
        ("Content-Disposition", f"inline; filename={media_file.name}"),
        ("Content-Type", _content_type(media_file.name)),
        ("Content-Length", str(stat.st_size)),
        ("Last-Modified", http_date(stat.st_mtime)),
        ("Cache-Control", f"public, max-age={max_age}"),
        ("Expires", http_date(int(now + max_age))),
        ("ETag", f'"{stat.st_mtime}-{stat.st_size}-{check}"'),
        ("Date", http_date(now)),
        ("Accept-Ranges", "bytes"),
    ])


class WholeFile:
    """A whole file as a bare WSGI app, handed to the server's ``wsgi.file_wrapper`` (the
    gevent servers send it with sendfile)."""

    def __init__(self, file, headers):
        self.file, self.headers = file, headers

    def __call__(self, environ, start_response):
        start_response("200 OK", self.headers)
        if environ.get("REQUEST_METHOD") == "HEAD":  # the headers only, as send_file answers
            self.file.close()
            return []
        wrapper = environ.get("wsgi.file_wrapper", FileWrapper)
        return wrapper(self.file, 8192)


def _content_type(name):
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def _cache(response, max_age):
    """As ``send_file`` sets them, written directly (the parsed-header API costs ~0.3 ms)."""
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    response.headers["Expires"] = http_date(time.time() + max_age)


def _accel_redirect(media_file, max_age):
    """nginx replaces this answer by the file at ``accel`` (an ``internal`` location) and
    keeps our Content-Type and Cache-Control."""
    return AccelRedirect([
        ("Content-Type", _content_type(media_file.name)),
        ("Content-Length", "0"),
        ("X-Accel-Redirect", media_file.accel),
        ("Cache-Control", f"public, max-age={max_age}"),
        ("Expires", http_date(time.time() + max_age)),
    ])


class AccelRedirect:
    """The empty X-Accel-Redirect answer as a bare WSGI app: nginx sends one per download, so
    it skips building a werkzeug Response (Flask views may return it too)."""

    def __init__(self, headers):
        self.headers = headers

    def __call__(self, environ, start_response):
        start_response("200 OK", self.headers)
        return [b""]


def _stream(media_file, environ, max_age):
    stream = media_file.stream
    response = Response(FileWrapper(stream, BLOCK), content_type=_content_type(media_file.name),
                        direct_passthrough=True)
    response.content_length = media_file.size
    response.last_modified = int(media_file.mtime)
    response.set_etag(media_file.etag)
    _cache(response, max_age)
    # Range: werkzeug seeks the stream to the first byte and stops after the last one.
    return response.make_conditional(environ, accept_ranges=True,
                                     complete_length=media_file.size)
