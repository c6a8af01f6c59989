"""Toy presence: ``online`` on every toy of /toy_list, counted over the toy's live Socket.IO and
plain-WebSocket connections, in this process or (REDIS_URL) shared by every process in Redis."""

import time

import pytest
import websocket

from services.notify import Notifier
from services.presence import ToyPresence
from services.store.presence import PresenceStore
from tests.test_realtime_push import serving, wait_for


def connect(api, token):
    return api.app.extensions["socketio"].test_client(api.app, auth={"token": token})


def online_of(api, token):
    return {t["_id"]: t["online"] for t in api.ok("/toy_list", token)}


def test_toy_list_says_which_toys_are_connected_now(api):
    _, parent = api.user()
    teddy, teddy_token = api.toy(parent)
    bunny, _ = api.toy(parent, toy_name="Bunny")
    assert online_of(api, parent) == {teddy: False, bunny: False}
    toy = connect(api, teddy_token)
    assert toy.is_connected()
    assert online_of(api, parent) == {teddy: True, bunny: False}
    toy.disconnect()
    assert online_of(api, parent) == {teddy: False, bunny: False}


def test_a_toy_stays_online_until_its_last_connection_ends(api):
    _, parent = api.user()
    toy_id, toy_token = api.toy(parent)
    watcher = connect(api, parent)
    first, second = connect(api, toy_token), connect(api, toy_token)
    first.disconnect()
    assert online_of(api, parent) == {toy_id: True}
    second.disconnect()
    assert online_of(api, parent) == {toy_id: False}
    statuses = [e["args"][0]["online"] for e in watcher.get_received() if e["name"] == "toy_status"]
    assert statuses == [True, True, True, False]


def test_a_plain_websocket_counts_too(api):
    _, parent = api.user()
    toy_id, toy_token = api.toy(parent)
    with serving(api.app) as url:
        ws = websocket.create_connection(f"{url}/ws?token={toy_token}", timeout=5)
        try:
            assert wait_for(lambda: online_of(api, parent)[toy_id])
        finally:
            ws.close()
        assert wait_for(lambda: not online_of(api, parent)[toy_id])


def test_an_unbound_toys_connection_ending_pushes_nothing_to_its_old_owner(api):
    _, parent = api.user()
    toy_id, toy_token = api.toy(parent)
    toy = connect(api, toy_token)
    watcher = connect(api, parent)
    api.ok("/unbind_toy", parent, toy_id=toy_id)  # ends the toy's socket too
    assert not toy.is_connected()
    statuses = [e["args"][0] for e in watcher.get_received() if e["name"] == "toy_status"]
    assert statuses == [{"toy_id": toy_id, "online": False, "unbound": True}]


class Owners:
    """The ToyService's ``get`` for ToyPresence: every toy belongs to ``parent``."""

    def get(self, toy_id):
        return {"_id": toy_id, "bind_user": "parent"}


@pytest.fixture
def shared(redis_client, redis_prefix):
    return PresenceStore(redis_client, redis_prefix)


def test_processes_sharing_redis_see_each_others_toys(shared):
    one = ToyPresence(shared, Owners(), Notifier(), ttl=30)
    other = ToyPresence(shared, Owners(), Notifier(), ttl=30)
    one.joined("toy-a", ("socketio", "sid1"))
    assert other.online(["toy-a", "toy-b"]) == {"toy-a": True, "toy-b": False}
    one.left("toy-a", ("socketio", "sid1"))
    assert other.online(["toy-a"]) == {"toy-a": False}


def test_a_dead_processs_connections_stop_counting_after_the_ttl(shared):
    shared.vouch([("toy-a", "deadprocess:sid1")], ttl=0.4)  # then the process stops vouching
    observer = ToyPresence(shared, Owners(), Notifier(), ttl=30)
    assert observer.online(["toy-a"]) == {"toy-a": True}
    assert wait_for(lambda: not observer.online(["toy-a"])["toy-a"], timeout=5)


def test_a_live_process_keeps_vouching_past_the_ttl(shared):
    live = ToyPresence(shared, Owners(), Notifier(), ttl=0.4)
    observer = ToyPresence(shared, Owners(), Notifier(), ttl=30)
    live.joined("toy-a", ("ws", 1))
    time.sleep(1.2)  # three TTLs: only the heartbeat keeps the member alive
    assert observer.online(["toy-a"]) == {"toy-a": True}
    live.left("toy-a", ("ws", 1))
    assert observer.online(["toy-a"]) == {"toy-a": False}


def test_without_redis_answers_come_from_this_process(redis_server_down):
    presence = ToyPresence(redis_server_down, Owners(), Notifier(), ttl=30)
    presence.joined("toy-a", ("socketio", "sid1"))
    assert presence.online(["toy-a", "toy-b"]) == {"toy-a": True, "toy-b": False}
    presence.left("toy-a", ("socketio", "sid1"))
    assert presence.online(["toy-a"]) == {"toy-a": False}


@pytest.fixture
def redis_server_down(redis_prefix):
    import redis

    client = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)  # nothing listens
    return PresenceStore(client, redis_prefix)


def test_many_connections_are_vouched_for_in_batches_and_all_stay_live(shared):
    class Recording:
        def __init__(self, store):
            self.store, self.sizes = store, []

        def vouch(self, members, ttl):
            self.sizes.append(len(members))
            self.store.vouch(members, ttl)

        def __getattr__(self, name):
            return getattr(self.store, name)

    recording = Recording(shared)
    live = ToyPresence(recording, Owners(), Notifier(), ttl=0.6)
    observer = ToyPresence(shared, Owners(), Notifier(), ttl=30)
    toys = [f"toy-{i}" for i in range(250)]
    for toy in toys:
        live.joined(toy, ("ws", toy))  # each vouched for once, alone
    assert wait_for(lambda: recording.sizes.count(100) >= 4, timeout=5)
    time.sleep(0.7)  # past the ttl: every member lives on the heartbeat's batches only
    assert all(observer.online(toys).values())
    beats = [size for size in recording.sizes if size > 1]
    assert max(beats) == 100  # a heartbeat may start while the toys are still joining
    assert any(beats[i:i + 3] == [100, 100, 50] for i in range(len(beats)))  # all 250
    for toy in toys:
        live.left(toy, ("ws", toy))
