"""services.audio.spawn under gevent: ffmpeg started without forking the server.

Each case runs in a fresh ``python`` with gevent's monkey patching (as ``python app.py`` and
gunicorn run), and prints its findings as JSON.
"""

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(not Path("/usr/bin/setpriv").exists() and
                                not any(Path(d, "setpriv").exists()
                                        for d in os.environ.get("PATH", "").split(":")),
                                reason="util-linux setpriv is not installed")


def under_gevent(code):
    script = textwrap.dedent("""
        from gevent import monkey
        monkey.patch_all()
        import json, os, sys, time
        import gevent
        from services.audio import spawn
        out = {}
    """) + textwrap.dedent(code) + "\nprint(json.dumps(out))\n"
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_output_status_and_priority_of_the_child():
    found = under_gevent("""
        out["available"] = spawn.available()
        stdout, stderr, code = spawn.run(
            ["sh", "-c", "nice; echo problem >&2; cat; exit 3"], 10, niceness=7)
        out.update(stdout=stdout.decode(), stderr=stderr.decode(), code=code,
                   own=os.getpriority(os.PRIO_PROCESS, 0))
    """)
    assert found["available"] is True
    assert int(found["stdout"]) == found["own"] + 7  # `nice` prints its niceness; stdin empty
    assert found["stderr"] == "problem\n" and found["code"] == 3


def test_the_event_loop_runs_while_the_child_runs():
    found = under_gevent("""
        ticks = []
        ticker = gevent.spawn(lambda: [ticks.append(gevent.sleep(0.05)) for _ in range(100)])
        spawn.run(["sleep", "1"], 10)
        out["ticks"] = len(ticks)
        ticker.kill()
    """)
    assert found["ticks"] >= 5


def test_overrunning_child_is_killed_with_its_group_and_reaped(tmp_path):
    pids = tmp_path / "pids"
    found = under_gevent(f"""
        try:
            spawn.run(["sh", "-c", "sleep 30 & echo $$ $! > {pids}; wait"], 1)
            out["raised"] = None
        except spawn.SpawnTimeout:
            out["raised"] = "timeout"
    """)
    assert found["raised"] == "timeout"
    shell, grandchild = (int(pid) for pid in pids.read_text().split())
    assert wait_for(lambda: not running(shell) and not running(grandchild))


@pytest.mark.parametrize("niceness", [0, 10])
def test_a_program_that_cannot_be_run_is_spawn_failed(niceness):
    found = under_gevent(f"""
        try:
            spawn.run(["/nonexistent/ffmpeg", "-version"], 10, niceness={niceness})
            out["raised"] = None
        except spawn.SpawnFailed as exc:
            out["raised"] = str(exc)
    """)
    assert found["raised"] and "/nonexistent/ffmpeg" in found["raised"]


def test_the_child_dies_with_its_parent(tmp_path):
    """A gevent-patched process starts a long child and is killed with SIGKILL: the child
    dies too (setpriv's parent-death signal)."""
    pidfile = tmp_path / "child.pid"
    middle = subprocess.Popen(
        [sys.executable, "-c", "from gevent import monkey; monkey.patch_all()\n"
         "from services.audio import spawn\n"
         f"spawn.run(['sh', '-c', 'echo $$ > {pidfile}; exec sleep 30'], 60)"], cwd=ROOT)
    try:
        child = int(wait_for(lambda: pidfile.exists() and pidfile.read_text().strip()))
        assert running(child)
    finally:
        middle.kill()
        middle.wait(10)
    assert wait_for(lambda: not running(child)), "the child outlived its killed parent"


def running(pid):
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def wait_for(condition, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    return condition()
