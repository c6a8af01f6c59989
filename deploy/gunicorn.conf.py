"""gunicorn settings: ``gunicorn -c deploy/gunicorn.conf.py 'app:create_app()'``.

One gevent worker (Socket.IO needs one process per sticky session), bound to HOST:PORT from the
same settings as ``python app.py`` (environment, then ``.env``). The worker is gevent's pywsgi
with the same request timeouts as ``python app.py`` (``serving.gunicorn_worker``:
``HTTP_IDLE_TIMEOUT``, ``HTTP_HEADER_TIMEOUT``). The listening socket has TCP_NODELAY (gunicorn
sets it; accepted sockets inherit it on Linux). ``worker_connections`` is ``MAX_CONNECTIONS``
(fitted to the open-file limit).
gunicorn's own access log is off: the app logs one line per request (``smarttoy.access``).
With the embedded store (no ``MONGO_URI``) the master takes the ``DATA_DIR`` lock, so a second
server on the same folder, or ``-w 2``, is refused with one line; so is an unsafe production
``SECRET_KEY``.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config import Config, ConfigError, check_production  # noqa: E402  (after the path above)
from serving.process import ServerRefused, hold_data_dir, max_connections  # noqa: E402

_settings = Config.from_env()
_host = _settings["HOST"]

bind = [f"[{_host}]:{_settings['PORT']}" if ":" in _host else f"{_host}:{_settings['PORT']}"]
worker_class = "serving.gunicorn_worker.Worker"  # gevent pywsgi + request timeouts
workers = 1
worker_connections = max_connections(_settings)
keepalive = max(1, int(_settings["HTTP_IDLE_TIMEOUT"]))  # for other worker classes (-k)
timeout = 30  # a worker silent this long (event loop blocked) is restarted
graceful_timeout = 10
limit_request_line = 8190
limit_request_fields = 100
accesslog = None
control_socket_disable = True  # gunicorn ≥ 25: one shared socket path per user otherwise
loglevel = _settings["LOG_LEVEL"].lower()


def on_starting(server):
    """Refuse an unsafe production config, and a second server or several workers on the
    embedded store's DATA_DIR, each with one line."""
    try:
        check_production(_settings)
    except ConfigError as refused:
        server.log.error("%s", refused)
        sys.exit(1)
    if _settings["MONGO_URI"]:
        return
    if server.cfg.workers > 1:
        server.log.error("the embedded store serves one process: run one worker (-w 1), or set "
                         "MONGO_URI and REDIS_URL to run %s", server.cfg.workers)
        sys.exit(1)
    try:
        hold_data_dir(_settings)
    except ServerRefused as refused:
        server.log.error("%s", refused)
        sys.exit(1)
