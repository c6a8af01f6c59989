"""File responses through the kernel's sendfile(2) under gevent.

Two servers run the app under gevent's pywsgi, and both would otherwise copy files through
Python in 8 KB reads and sends: ``python app.py`` (``serving.http``) and gunicorn's gevent pywsgi
worker (``serving.gunicorn_worker``, ``deploy/gunicorn.conf.py``). Their handlers take
``SendfileHandlerMixin``, which offers ``FileWrapper`` as ``wsgi.file_wrapper`` and sends such a
response (whole file or one byte range, as werkzeug's ``send_file`` builds it, headers
unchanged: Range/206, ETag, Last-Modified) with sendfile. For gunicorn's other gevent worker
(``-k gevent``), which hands its own file wrapper to ``socket.sendfile``, ``enable_kernel_sendfile``
gives gevent's socket a sendfile that calls ``os.sendfile`` (gevent's is a read-and-send loop).

Both paths keep the non-blocking socket cooperative: a full send buffer yields to other
greenlets instead of blocking the process.
"""

import os

BLOCK = 1 << 20


def kernel_sendfile(sock, file, offset=0, count=None):
    """Send ``count`` bytes (to EOF when None) of ``file`` from ``offset`` on the gevent socket
    ``sock`` with os.sendfile; return the bytes sent. The file position ends after them."""
    from gevent.socket import wait_write

    out_fd, in_fd = sock.fileno(), file.fileno()
    if count is None:
        count = max(0, os.fstat(in_fd).st_size - offset)
    timeout, sent_total = sock.gettimeout(), 0
    try:
        while sent_total < count:
            try:
                sent = os.sendfile(out_fd, in_fd, offset, min(BLOCK, count - sent_total))
            except BlockingIOError:
                wait_write(out_fd, timeout=timeout, timeout_exc=TimeoutError("timed out"))
                continue
            if sent == 0:
                break  # the file ended early
            offset += sent
            sent_total += sent
        return sent_total
    finally:
        if sent_total and hasattr(file, "seek"):
            file.seek(offset)


def _gevent_socket_sendfile(self, file, offset=0, count=None):
    try:
        file.fileno()
        os.fstat(file.fileno())
    except (AttributeError, OSError, ValueError):
        return self._sendfile_use_send(file, offset, count)
    return kernel_sendfile(self, file, offset, count)


def enable_kernel_sendfile():
    """Make gevent's socket ``sendfile`` use the kernel (used by gunicorn's gevent worker)."""
    from gevent import socket as gsocket

    gsocket.socket.sendfile = _gevent_socket_sendfile


class FileWrapper:
    """``wsgi.file_wrapper``: iterates blocks for servers and middleware that read it, and
    exposes ``filelike`` so ``SendfileHandlerMixin`` can send it with sendfile."""

    def __init__(self, filelike, block_size=8192):
        self.filelike = filelike
        self.block_size = block_size

    def __iter__(self):
        return self

    def __next__(self):
        data = self.filelike.read(self.block_size)
        if not data:
            raise StopIteration
        return data

    def seekable(self):
        return hasattr(self.filelike, "seekable") and self.filelike.seekable()

    def seek(self, *args):
        self.filelike.seek(*args)

    def tell(self):
        return self.filelike.tell()

    def close(self):
        self.filelike.close()


def _file_span(result):
    """``(FileWrapper, offset, count or None)`` when ``result`` is a whole file or a seekable
    byte range of one, else None."""
    if isinstance(result, FileWrapper):
        return result, result.tell(), None
    wrapped = getattr(result, "iterable", None)
    if isinstance(wrapped, FileWrapper) and getattr(result, "seekable", False):
        start = getattr(result, "start_byte", 0)
        end = getattr(result, "end_byte", None)
        return wrapped, start, None if end is None else end - start
    return None


class SendfileHandlerMixin:
    """For a gevent pywsgi handler (``serving.http``): offers ``FileWrapper`` as
    ``wsgi.file_wrapper`` and sends such a response, whole or one byte range, with sendfile."""

    def get_environ(self):
        environ = super().get_environ()
        environ["wsgi.file_wrapper"] = FileWrapper
        return environ

    def process_result(self):
        span = _file_span(self.result)
        if (span is None or self.code in (204, 304) or self.provided_content_length is None
                or self.command == "HEAD"):
            return super().process_result()
        wrapper, offset, count = span
        if count is None:
            count = int(self.provided_content_length)
        self.write(b"")  # the status line and headers
        sent = kernel_sendfile(self.socket, wrapper.filelike, offset, count)
        self.response_length += sent
        if sent < count:
            self.close_connection = True  # the file shrank: the length sent was wrong
        return None
