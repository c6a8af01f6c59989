"""The 5-line Flask hello the serving bench compares against, on the same server kinds.

``python bench/hello.py`` serves it like ``python app.py`` does (``serving.http`` on HOST:PORT);
``gunicorn -c deploy/gunicorn.conf.py bench.hello:app`` like the production command.
"""

if __name__ == "__main__":
    from gevent import monkey

    monkey.patch_all()

from flask import Flask, jsonify  # noqa: E402

app = Flask(__name__)


@app.route("/healthz", methods=["GET", "POST"])
def hello():
    return jsonify({"code": 0, "msg": "ok", "data": {}})


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from config import Config
    from serving.http import HttpServer, bind

    # The same server, handler and settings as app.py's main() (serving.http).
    settings = Config.from_env()
    HttpServer(bind(settings["HOST"], int(settings["PORT"])), app, settings).serve_forever()
