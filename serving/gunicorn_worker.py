"""The gunicorn worker of ``deploy/gunicorn.conf.py``: gunicorn's gevent pywsgi worker with the
same request timeouts as ``python app.py`` (``HTTP_IDLE_TIMEOUT`` to start a request line,
``HTTP_HEADER_TIMEOUT`` to finish the headers, else 408 and closed) and file responses sent
with the kernel's sendfile (``services.sendfile``; the pywsgi worker otherwise iterates gunicorn's
file wrapper in 8 KB sends). gunicorn's ``worker_connections`` caps the connections."""

from gunicorn.workers.ggevent import GeventPyWSGIWorker, PyWSGIHandler, PyWSGIServer

from config import Config
from services.sendfile import SendfileHandlerMixin
from serving.http import RequestTimeouts
from serving.process import settle_startup_objects


class Handler(RequestTimeouts, SendfileHandlerMixin, PyWSGIHandler):
    """gunicorn's pywsgi handler with the request timeouts and file responses via sendfile."""

    def log_request(self):
        """gunicorn's own access line is off in deploy/gunicorn.conf.py (the app's access log
        writes one per request): then skip building its record (datetimes, a response object
        and the headers of every request)."""
        if getattr(self.server.log, "access_log_enabled", True):
            super().log_request()


class Server(PyWSGIServer):
    """Carries the timeouts the handler reads (set from the settings when the worker starts)."""

    idle_timeout = 30.0
    header_timeout = 10.0


class Worker(GeventPyWSGIWorker):
    """``worker_class = "serving.gunicorn_worker.Worker"``."""

    server_class = Server
    wsgi_handler = Handler

    def run(self):
        settings = Config.from_env()
        Server.idle_timeout = float(settings["HTTP_IDLE_TIMEOUT"])
        Server.header_timeout = float(settings["HTTP_HEADER_TIMEOUT"])
        settle_startup_objects()  # the app is loaded by now (gunicorn loads it in the worker)
        super().run()
