"""Standing check: schemathesis drives the real server (`python app.py` on an ephemeral loopback
port, temp DATA_DIR/MEDIA_DIR) from docs/openapi.yaml and must find 0 server errors and 0
answers that break the document (status, content type, headers, body schema).

A family (a parent, a bound toy, a song) exists first, so tokens are real and ids can be found
through the document's links. Three bounded runs (examples + fuzzing phases, a fixed seed, a few
cases per operation): the toy's operations with the toy token; everything else with the parent's
token; then /unbind_toy and /logout, which revoke the tokens the other runs need. Without
LOVENSE_DEVELOPER_TOKEN, /lovense/qr, /lovense/socket/start and /lovense/cam/token answer the
documented 502 (tests/schemathesis.toml). A deeper run by hand:
``st --config-file tests/schemathesis.toml run docs/openapi.yaml --url http://127.0.0.1:5000
-H "Authorization: Bearer $TOKEN" --phases examples,coverage,fuzzing``.
"""

import os
import subprocess
import sys

import pytest

from tests.server_process import ROOT, ServerProcess

CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_schema_conformance,response_headers_conformance")
TOY_OPERATIONS = r"^/(toy_uploader|recv_msg|ai_uploader|friend_list|req_list|add_req|chat_list)$"
RUN_TIMEOUT = 300  # seconds per run; a run takes well under a minute


@pytest.fixture
def family_server(tmp_path):
    """A real server with one parent, one bound toy and one song: ``(server, app, toy)``."""
    env = {"DATA_DIR": tmp_path / "data", "MEDIA_DIR": tmp_path / "media", "RATE_LIMIT": "0",
           "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "LOVENSE_DEVELOPER_TOKEN": "",
           "REDIS_URL": "", "MONGO_URI": ""}
    cli_env = dict(os.environ, **{k: str(v) for k, v in env.items()})
    key = _flask(cli_env, "devices", "create").split()[0]
    _flask(cli_env, "content", "add", "--title", "Twinkle Twinkle Little Star",
           "--music", str(ROOT / "static" / "chat" / "Success.mp3"))
    server = ServerProcess(env, log_path=tmp_path / "server.log").start()
    try:
        assert server.post("/reg", username="anna", password="secret123", nickname="Anna",
                           gender="1")[0] == 200
        app_token = server.post("/login", username="anna", password="secret123")[1]["data"]["token"]
        assert server.post("/bind_toy", app_token, toy_name="Teddy", baby_name="Lily",
                           device_key=key)[0] == 200
        toy_token = server.post("/open_toy", device_key=key)[1]["token"]
        yield server, app_token, toy_token
    finally:
        server.stop()


def _flask(env, *args):
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, check=True).stdout


def schemathesis_run(server, token, tmp_path, seed, examples, *selection):
    """One ``st run``; returns (exit code, output)."""
    command = [sys.executable, "-m", "schemathesis.cli",
               "--config-file", str(ROOT / "tests" / "schemathesis.toml"),
               "run", str(ROOT / "docs" / "openapi.yaml"), "--url", server.url,
               "-H", f"Authorization: Bearer {token}", "--checks", CHECKS,
               "--phases", "examples,fuzzing", "-n", str(examples), "--seed", str(seed),
               "--workers", "1", "--generation-database", "none", "--request-timeout", "30",
               "--no-color", *selection]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True,
                          timeout=RUN_TIMEOUT, env=dict(os.environ, NO_COLOR="1"))
    return done.returncode, done.stdout + done.stderr


def test_schemathesis_finds_no_server_error_and_no_answer_off_the_document(family_server,
                                                                           tmp_path):
    server, app_token, toy_token = family_server
    runs = [
        ("toy", toy_token, 10, ("--include-path-regex", TOY_OPERATIONS)),
        ("app", app_token, 8, ("--exclude-path", "/unbind_toy", "--exclude-path", "/logout")),
        ("revoking", app_token, 5, ("--include-path", "/unbind_toy", "--include-path", "/logout")),
    ]
    for seed, (name, token, examples, selection) in enumerate(runs, start=1):
        code, output = schemathesis_run(server, token, tmp_path, seed, examples, *selection)
        summary = output[output.rfind("SUMMARY"):]
        print(f"schemathesis {name} run:\n{summary}")
        assert code == 0, f"schemathesis ({name} run) failed:\n{output[-12000:]}"
        assert "Tested:" in summary and "passed" in summary
        assert server.proc.poll() is None, "the server died"
    assert "Traceback" not in (tmp_path / "server.log").read_text(errors="replace")
