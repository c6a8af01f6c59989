"""The README is a script: its ```bash blocks, in order, run top to bottom against a real server.

Convention for README.md code blocks:
- ```bash blocks are the script. They are pasted by a reader in one shell (in the project folder,
  venv active, the server running) and run here in one bash, in order, under
  ``set -euo pipefail``: a variable no earlier block set, a failing command or an HTTP error
  (``curl`` runs with ``--fail-with-body`` here) fails the test. They use ``$BASE`` (default
  http://127.0.0.1:5000), which this test points at its own server.
- ```sh and ```console blocks are never run: installing, starting the server, production
  commands. Other languages (```js ...) and plain ``` blocks are not shell.

The server is `python app.py` on an ephemeral loopback port with temp DATA_DIR and MEDIA_DIR. The
script runs in the project folder as a reader's "second terminal" does: its `flask --app app ...`
commands use the same folders while the server runs, and its files (answers, recordings,
downloads) go to ``$OUT``, here a temp folder.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.server_process import ROOT, ServerProcess

README = ROOT / "README.md"
BLOCK = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
PREAMBLE = """set -euo pipefail
curl() { command curl --fail-with-body --max-time 60 "$@"; }
"""


def readme_blocks(kind):
    """The README's code blocks of language ``kind``, in order."""
    return [body for lang, body in BLOCK.findall(README.read_text(encoding="utf-8"))
            if lang == kind]


def readme_script():
    return PREAMBLE + "\n".join(readme_blocks("bash"))


def test_readme_marks_what_is_not_run():
    """Installing and starting the server are ```sh blocks; every shell block is bash or sh; links
    point at files of the repository (or the local server), never outside it."""
    text = README.read_text(encoding="utf-8")
    assert "python app.py" in "\n".join(readme_blocks("sh"))
    assert all("python app.py" not in block for block in readme_blocks("bash"))
    assert all("pip install" not in block for block in readme_blocks("bash"))
    assert not re.search(r"^```(shell|zsh)\b", text, re.MULTILINE)
    prose = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    links = re.findall(r"\]\(([^)]+)\)|<(https?://[^>]+)>", prose)
    for target in (a or b for a, b in links):
        assert not target.startswith(("../", "/")), f"{target}: outside the repository"
        if target.startswith(("http://", "https://")):
            assert target.startswith(("http://127.0.0.1", "http://localhost")), (
                f"{target}: outside the repository")
        else:
            assert (ROOT / target.split("#")[0]).exists(), f"{target}: no such file"


def test_readme_runs_top_to_bottom_against_a_real_server(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    folders = {"DATA_DIR": tmp_path / "data", "MEDIA_DIR": tmp_path / "media"}
    settings = {**folders, "RATE_LIMIT": "0", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}
    server = ServerProcess(settings, log_path=tmp_path / "server.log").start()
    env = dict(os.environ, BASE=server.url, OUT=str(work),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
               **{k: str(v) for k, v in settings.items()})
    try:
        script = readme_script()
        done = subprocess.run(["bash", "-c", script], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=300)
    finally:
        server.stop()
    output = done.stdout + done.stderr
    print(output)
    assert done.returncode == 0, f"README script failed ({done.returncode}):\n{output[-6000:]}"
    _check_results(work, done.stdout)
    assert "Traceback" not in (tmp_path / "server.log").read_text(errors="replace")


def _check_results(work, stdout):
    """What the first session and the later examples must have produced."""
    keys = (work / "keys.txt").read_text().split()
    assert len(keys) == 2 and all(re.fullmatch(r"[0-9a-f]{32}", k) for k in keys)
    boot = json.loads((work / "boot.json").read_text())
    assert boot["code"] == 0 and boot["music"] == "Success.mp3" and boot["name"] == "Teddy"
    songs = json.loads((work / "songs.json").read_text())["data"]
    assert songs and (work / "song.mp3").stat().st_size > 1000
    inbox = json.loads((work / "inbox.json").read_text())
    assert len(inbox) == 2 and "_id" not in inbox[0] and inbox[1]["to_user"] == boot["toy_id"]
    assert (work / "message.mp3").read_bytes().startswith((b"ID3", b"\xff\xfb", b"\xff\xf3"))
    answers = [json.loads(line) for line in stdout.splitlines()
               if line.startswith("{") and '"from_user"' in line]
    assert answers and answers[-1]["from_user"] == "ai", "no /ai_uploader answer"


@pytest.mark.parametrize("broken", ["echo $NOT_SET_ANYWHERE", "curl -s $BASE/no_such_page"])
def test_the_script_harness_fails_on_errors(tmp_path, broken):
    """The harness itself fails on an unset variable and on an HTTP error (it cannot pass
    vacuously)."""
    server = ServerProcess({"DATA_DIR": tmp_path / "data", "MEDIA_DIR": tmp_path / "media"})
    server.start()
    try:
        done = subprocess.run(["bash", "-c", PREAMBLE + broken], cwd=tmp_path,
                              env=dict(os.environ, BASE=server.url), capture_output=True,
                              text=True, timeout=60)
    finally:
        server.stop()
    assert done.returncode != 0
