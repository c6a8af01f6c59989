"""A bare Flask app for ``bench/cluster.py``'s baseline: ``/healthz`` and ``POST /hello``."""

from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/healthz")
def healthz():
    return jsonify(code=0, msg="ok", data={})


@app.post("/hello")
def hello():
    return jsonify(code=0, msg="ok", data={"hello": "world"})
