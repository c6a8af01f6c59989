"""History benchmark (a script, not a test): ``python bench/history.py [--large N]``.

A small store (100 messages in the chat) and a large one (100,000 by default) on the embedded
store, served by a real server process (``python app.py`` and gunicorn's gevent worker;
``--kinds``) and measured over real HTTP, alternated for 3 rounds:

- cold: the first ``/chat_list`` and, after another restart, the first ``/recv_msg`` (20
  unread messages) after the server starts, in ms;
- warm: the median of 50 ``/chat_list`` (latest page), 50 ``/chat_list`` deep in history
  (``before`` = a message half-way back) and 50 ``/recv_msg``, in ms;
- the server's RSS after the warm runs, and (large - small) / (messages added) per message.

It prints min / median / max over the rounds and the ratio large / small of the medians (1.0 =
history length costs nothing). Every process started is stopped; loops are bounded.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import KINDS, Server, bench_env, machine, spread  # noqa: E402

UNREAD = 20


def prepare(folder, count):
    """A parent, their toy and ``count`` messages in their chat (the last UNREAD unread, to
    the toy). Set up in-process on the embedded store; measured over HTTP only."""
    os.environ.update(bench_env(folder))
    from app import create_app

    app = create_app({"ASYNC_MODE": "threading"})
    services = app.extensions["smarttoy"]
    client = app.test_client()
    client.post("/reg", json={"username": "dad", "password": "secret123", "nickname": "Dad",
                              "gender": "2"})
    user = client.post("/login", json={"username": "dad", "password": "secret123"}
                       ).get_json()["data"]
    key = services.devices.create(1)[0]
    client.post("/bind_toy", headers={"Authorization": f"Bearer {user['token']}"},
                json={"toy_name": "Teddy", "baby_name": "Lily", "device_key": key})
    toy = client.post("/open_toy", json={"device_key": key}).get_json()
    chat_id = next(f["friend_chat"] for f in user_friends(client, user["token"])
                   if f["friend_id"] == toy["toy_id"])
    db = services.store.db
    start = time.time() - count
    docs = []
    for seq in range(1, count + 1):
        doc = {"chat_id": chat_id, "seq": seq, "chat_seq": f"{chat_id}:{seq}",
               "from_user": user["_id"], "to_user": toy["toy_id"], "message": f"m{seq}.mp3",
               "create_time": start + seq, "read": True}
        docs.append(doc)
    db["messages"].insert_many(docs)
    db["chat_seqs"].insert_one({"_id": chat_id, "seq": count})
    services.store.mongo_client.close()
    return {"folder": folder, "count": count, "chat_id": chat_id, "toy": toy["token"],
            "toy_id": toy["toy_id"], "parent_id": user["_id"], "middle": start + count // 2}


def user_friends(client, token):
    return client.post("/friend_list", headers={"Authorization": f"Bearer {token}"},
                       json={}).get_json()["data"]


def mark_last_unread(store):
    """Make the last UNREAD messages unread again (the server is stopped)."""
    from services.store.docstore import DocClient

    client = DocClient(Path(store["folder"]) / "data" / "store")
    messages = client["smarttoy"]["messages"]
    to, sender = store["toy_id"], store["parent_id"]
    messages.update_many({"chat_seq": {"$in": [f"{store['chat_id']}:{seq}" for seq in
                                               range(store["count"] - UNREAD + 1,
                                                     store["count"] + 1)]}},
                         {"$set": {"read": False, "unread_key": f"{to}:{sender}",
                                   "unread_to": to}})
    client.close()


def timed_post(session, url, token, **body):
    started = time.perf_counter()
    response = session.post(url, json=body, headers={"Authorization": f"Bearer {token}"},
                            timeout=60)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}: {response.text[:200]}")
    return elapsed, response.json()


def one_round(kind, store):
    """Cold and warm figures of one store on a freshly started server of ``kind``."""
    env = bench_env(store["folder"])
    out = {}
    mark_last_unread(store)
    with Server(kind, env) as server, requests.Session() as session:
        out["cold chat_list"], page = timed_post(session, f"{server.url}/chat_list",
                                                 store["toy"], chat_id=store["chat_id"])
        assert len(page["data"]) == 50, page
    mark_last_unread(store)  # /chat_list read them
    with Server(kind, env) as server, requests.Session() as session:
        out["cold recv_msg"], items = timed_post(session, f"{server.url}/recv_msg", store["toy"])
        assert len(items) == UNREAD + 1, len(items)
        warm = {"warm chat_list": [], "warm chat_list deep": [], "warm recv_msg": []}
        for _ in range(50):
            warm["warm chat_list"].append(timed_post(session, f"{server.url}/chat_list",
                                                     store["toy"], chat_id=store["chat_id"])[0])
            warm["warm chat_list deep"].append(timed_post(
                session, f"{server.url}/chat_list", store["toy"], chat_id=store["chat_id"],
                before=store["middle"])[0])
            warm["warm recv_msg"].append(timed_post(session, f"{server.url}/recv_msg",
                                                    store["toy"])[0])
        out.update({name: statistics.median(values) for name, values in warm.items()})
        out["RSS MB"] = server.rss_mb()
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--kinds", nargs="*", default=list(KINDS), choices=KINDS)
    args = parser.parse_args(argv)
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="bench-history-") as tmp:
        started = time.monotonic()
        stores = {name: prepare(Path(tmp) / name, count)
                  for name, count in (("small", args.small), ("large", args.large))}
        print(f"stores of {args.small:,} and {args.large:,} messages written in "
              f"{time.monotonic() - started:.0f} s")
        for kind in args.kinds:
            results = {"small": [], "large": []}
            for _ in range(3):
                for name in ("small", "large"):  # alternated
                    results[name].append(one_round(kind, stores[name]))
            report(kind, results, args.large - args.small)


def report(kind, results, added):
    print(f"\n{kind}: min / median / max of 3 rounds; ratio = large / small (medians)")
    for figure in results["small"][0]:
        small = [r[figure] for r in results["small"]]
        large = [r[figure] for r in results["large"]]
        ratio = statistics.median(large) / statistics.median(small)
        unit = "" if figure == "RSS MB" else " ms"
        print(f"  {figure:<20} small {spread(small)}{unit:<3}  large {spread(large)}{unit:<3}"
              f"  ratio {ratio:.2f}")
    rss_small = statistics.median(r["RSS MB"] for r in results["small"])
    rss_large = statistics.median(r["RSS MB"] for r in results["large"])
    per_message = (rss_large - rss_small) * 1024 * 1024 / added
    print(f"  RSS per stored message: {per_message:.1f} bytes (goal <= 512)")


if __name__ == "__main__":
    main()
