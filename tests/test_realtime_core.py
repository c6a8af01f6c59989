"""SPEC §8 connection rules: token on connect, rooms by id, toy presence, friend requests."""

import pytest


def connect(api, token=None, query=None):
    socketio = api.app.extensions["socketio"]
    return socketio.test_client(api.app, auth={"token": token} if token else None,
                                query_string=query)


@pytest.mark.parametrize("token", [None, "forged"])
def test_connect_without_a_valid_token_is_refused(api, token):
    client = connect(api, token)
    assert not client.is_connected()


def test_expired_or_revoked_token_is_refused(api):
    _, token = api.user()
    api.ok("/logout", token)
    assert not connect(api, token).is_connected()


def test_token_in_query_string_is_accepted(api):
    _, token = api.user()
    client = connect(api, query=f"token={token}")
    assert client.is_connected()
    client.disconnect()


def test_owner_sees_toy_presence(api):
    _, token = api.user()
    toy_id, toy_token = api.toy(token)
    parent = connect(api, token)
    toy = connect(api, toy_token)
    assert toy.is_connected()
    toy.disconnect()
    events = [(e["name"], e["args"][0]) for e in parent.get_received()]
    assert events == [("toy_status", {"toy_id": toy_id, "online": True}),
                      ("toy_status", {"toy_id": toy_id, "online": False})]


def test_friend_request_is_pushed_to_the_asked_toys_owner_only(api):
    _, a = api.user()
    _, b = api.user()
    a_toy, _ = api.toy(a)
    b_toy, _ = api.toy(b)
    a_socket, b_socket = connect(api, a), connect(api, b)
    req_id = api.ok("/add_req", a, req_user=a_toy, add_user=b_toy, type="toy",
                    req_info="hi")["req_id"]
    received = b_socket.get_received()
    assert [e["name"] for e in received] == ["friend_request"]
    payload = received[0]["args"][0]
    assert payload["req_id"] == req_id and payload["req_user"] == a_toy
    assert payload["req_info"] == "hi" and payload["status"] == 0
    assert a_socket.get_received() == []
