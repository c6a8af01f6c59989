"""The 5-line Flask hello the serving bench compares against, on the same server kinds.

``python bench/hello.py`` serves it like ``python app.py`` does (gevent's pywsgi on HOST:PORT);
``gunicorn -k gevent bench.hello:app`` like the production command.
"""

if __name__ == "__main__":
    from gevent import monkey

    monkey.patch_all()

import os  # noqa: E402

from flask import Flask, jsonify  # noqa: E402

app = Flask(__name__)


@app.route("/healthz", methods=["GET", "POST"])
def hello():
    return jsonify({"code": 0, "msg": "ok", "data": {}})


if __name__ == "__main__":
    from gevent import pywsgi

    pywsgi.WSGIServer((os.environ.get("HOST", "127.0.0.1"), int(os.environ["PORT"])), app,
                      log=None).serve_forever()
