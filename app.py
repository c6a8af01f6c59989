"""Smart-toy voice messaging server: ``create_app`` and the ``python app.py`` entry point."""

if __name__ == "__main__":
    # One OS thread of greenlets: the embedded store's connections are not thread-safe, and
    # Socket.IO needs cooperative sockets. Must run before anything imports socket or ssl.
    from gevent import monkey

    monkey.patch_all()

import logging
import sys

from flask import Flask
from flask_socketio import SocketIO
from werkzeug.middleware.proxy_fix import ProxyFix

from blueprints import (
    chats,
    cli,
    content,
    control,
    docs,
    friends,
    health,
    realtime,
    speech,
    toys,
    users,
    web,
)
from blueprints.access_log import register_access_log
from blueprints.content import MediaDownloads
from blueprints.errors import NoSniff, register_error_handlers
from blueprints.realtime import register_play_handler, register_socket_handlers
from blueprints.sessions import NoSessions
from config import Config, ConfigError, check_media, check_production
from services.notify import socketio_options
from services.sendfile import enable_kernel_sendfile
from services.wiring import build_services
from serving.process import hold_for_flask_run

BLUEPRINTS = (users.bp, content.bp, toys.bp, friends.bp, health.bp, chats.bp, realtime.bp,
              control.bp, speech.bp, docs.bp, web.bp)


def create_app(config=None, **overrides):
    """Build the app. ``config`` overrides settings; ``overrides`` injects clients and fakes."""
    settings = Config.from_env()
    settings.update(config or {})
    check_production(settings)
    check_media(settings)
    logging.basicConfig(level=settings["LOG_LEVEL"],
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    hold_for_flask_run(settings)
    app = Flask(__name__, static_folder=None)
    app.url_map.merge_slashes = False  # "/get_music//etc/passwd" is a 404, not a redirect
    app.session_interface = NoSessions()
    app.config.update(settings)
    app.config["MAX_CONTENT_LENGTH"] = int(settings["MAX_UPLOAD_MB"] * 1024 * 1024) + 64 * 1024
    if settings["TRUST_PROXY"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)
    services = build_services(settings, overrides)
    app.extensions["smarttoy"] = services
    register_error_handlers(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    for command in cli.COMMANDS:
        app.cli.add_command(command)
    socketio = SocketIO(app, async_mode=_async_mode(settings),
                        **socketio_options(settings, services.store))
    if socketio.async_mode == "gevent":
        enable_kernel_sendfile()  # gunicorn's file responses go out with the kernel's sendfile
    app.wsgi_app = NoSniff(MediaDownloads(app.wsgi_app, services.media))
    services.notifier.attach(socketio)
    register_play_handler(socketio, register_socket_handlers(socketio))
    register_access_log(app)  # outermost: Socket.IO's requests are logged too
    return app


def _async_mode(settings):
    """gevent when the process is monkey-patched (``python app.py``, gunicorn -k gevent), else
    threading (tests, ``flask`` CLI)."""
    if settings.get("ASYNC_MODE"):
        return settings["ASYNC_MODE"]
    try:
        from gevent import monkey
    except ImportError:
        return "threading"
    return "gevent" if monkey.is_module_patched("socket") else "threading"


def main():
    """Serve on HOST:PORT with the embedded defaults unless MONGO_URI/REDIS_URL are set."""
    from serving.http import serve
    from serving.process import ServerRefused, hold_data_dir

    try:
        hold_data_dir(Config.from_env())  # before the store is opened or anything cleaned
        app = create_app()
    except (ConfigError, ServerRefused) as refused:  # one line, no traceback
        print(f"error: {refused}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C while starting
        return 130
    return serve(app)


if __name__ == "__main__":
    sys.exit(main())
