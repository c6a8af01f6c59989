"""SPEC §5: friend lists and requests across two families."""

import pytest


@pytest.fixture
def families(api):
    """Two parents with one toy each."""
    a_id, a = api.user(nickname="Anna")
    b_id, b = api.user(nickname="Ben", gender="2")
    a_toy, a_toy_token = api.toy(a, toy_name="Bear", baby_name="Amy", remark="Mum")
    b_toy, b_toy_token = api.toy(b, toy_name="Bunny", baby_name="Bob", remark="Dad")
    return dict(a_id=a_id, a=a, b_id=b_id, b=b, a_toy=a_toy, b_toy=b_toy,
                a_toy_token=a_toy_token, b_toy_token=b_toy_token)


def test_toy_to_toy_request_accept_makes_mutual_friends(api, families):
    f = families
    req_id = api.ok("/add_req", f["a"], req_user=f["a_toy"], add_user=f["b_toy"], type="toy",
                    req_info="I am Amy", remark="Bobby")["req_id"]
    reqs = api.ok("/req_list", f["b"])
    assert len(reqs) == 1
    assert {k: reqs[0][k] for k in ("_id", "req_user", "add_user", "type", "req_info", "remark",
                                    "avatar", "nickname", "toy_name", "status")} == {
        "_id": req_id, "req_user": f["a_toy"], "add_user": f["b_toy"], "type": "toy",
        "req_info": "I am Amy", "remark": "Bobby", "avatar": "toy.jpg", "nickname": "Amy",
        "toy_name": "Bunny", "status": 0}
    assert api.ok("/req_list", f["a"]) == []
    api.ok("/acc_req", f["b"], req_id=req_id, remark="Amy from school")
    assert api.ok("/req_list", f["b"])[0]["status"] == 1
    a_friends = {x["friend_id"]: x for x in api.ok("/friend_list", f["a_toy_token"])}
    b_friends = {x["friend_id"]: x for x in api.ok("/friend_list", f["b_toy_token"])}
    assert a_friends[f["b_toy"]]["friend_remark"] == "Bobby"
    assert a_friends[f["b_toy"]]["friend_nick"] == "Bob"
    assert a_friends[f["b_toy"]]["friend_type"] == "toy"
    assert b_friends[f["a_toy"]]["friend_remark"] == "Amy from school"
    assert b_friends[f["a_toy"]]["friend_type"] == "toy"
    assert a_friends[f["b_toy"]]["friend_chat"] == b_friends[f["a_toy"]]["friend_chat"]


def test_parent_to_toy_request(api, families):
    f = families
    req_id = api.ok("/add_req", f["a"], add_user=f["b_toy"], type="app", remark="Bob")["req_id"]
    req = api.ok("/req_list", f["b"])[0]
    assert (req["req_user"], req["nickname"], req["avatar"]) == (f["a_id"], "Anna", "mama.jpg")
    api.ok("/acc_req", f["b"], req_id=req_id, remark="Aunt Anna")
    friends = api.ok("/friend_list", f["a"])
    assert {x["friend_id"]: x["friend_type"] for x in friends} == {f["a_toy"]: "toy",
                                                                    f["b_toy"]: "toy"}
    b_toy_friends = {x["friend_id"]: x for x in api.ok("/friend_list", f["b_toy_token"])}
    assert b_toy_friends[f["a_id"]]["friend_type"] == "app"
    assert b_toy_friends[f["a_id"]]["friend_remark"] == "Aunt Anna"


def test_toy_token_can_ask_for_itself(api, families):
    f = families
    api.ok("/add_req", f["a_toy_token"], add_user=f["b_toy"], type="toy", remark="Bob")
    assert api.ok("/req_list", f["b_toy_token"])[0]["req_user"] == f["a_toy"]


def test_refuse(api, families):
    f = families
    req_id = api.ok("/add_req", f["a"], req_user=f["a_toy"], add_user=f["b_toy"],
                    type="toy")["req_id"]
    api.ok("/ref_req", f["b"], req_id=req_id)
    assert api.ok("/req_list", f["b"])[0]["status"] == 2
    assert len(api.ok("/friend_list", f["b_toy_token"])) == 1
    assert api.post("/acc_req", f["b"], req_id=req_id)[0] == 409


def test_answering_twice_is_409_and_never_duplicates(api, families):
    f = families
    req_id = api.ok("/add_req", f["a"], req_user=f["a_toy"], add_user=f["b_toy"],
                    type="toy")["req_id"]
    api.ok("/acc_req", f["b"], req_id=req_id, remark="x")
    for path in ("/acc_req", "/ref_req"):
        status, body = api.post(path, f["b"], req_id=req_id, remark="x")
        assert status == 409 and body["code"] == 409
    assert len(api.ok("/friend_list", f["b_toy_token"])) == 2


def test_request_errors(api, families):
    f = families
    cases = [
        ({"req_user": f["a_toy"], "type": "toy"}, 400, "add_user"),
        ({"req_user": f["a_toy"], "add_user": "xyz", "type": "toy"}, 400, "add_user"),
        ({"req_user": f["a_toy"], "add_user": "0" * 24, "type": "toy"}, 404, "add_user"),
        ({"req_user": f["a_toy"], "add_user": f["b_id"], "type": "toy"}, 404, "toy"),
        ({"req_user": f["a_toy"], "add_user": f["a_toy"], "type": "toy"}, 400, "itself"),
        ({"req_user": f["a_toy"], "add_user": f["b_toy"], "type": "robot"}, 400, "type"),
        ({"req_user": f["a_toy"], "add_user": f["b_toy"], "type": "app"}, 400, "type"),
        ({"req_user": f["b_toy"], "add_user": f["a_toy"], "type": "toy"}, 403, "req_user"),
        ({"req_user": f["a_id"], "add_user": f["a_toy"], "type": "app"}, 409, "friends"),
    ]
    for fields, status, word in cases:
        got, body = api.post("/add_req", f["a"], **fields)
        assert (got, body["code"]) == (status, status), (fields, body)
        assert word in body["msg"], (fields, body)
    assert api.ok("/req_list", f["a"]) == api.ok("/req_list", f["b"]) == []


def test_duplicate_pending_request_is_409(api, families):
    f = families
    api.ok("/add_req", f["a"], req_user=f["a_toy"], add_user=f["b_toy"], type="toy")
    status, body = api.post("/add_req", f["a"], req_user=f["a_toy"], add_user=f["b_toy"],
                            type="toy")
    assert status == 409 and "pending" in body["msg"]


def test_only_the_asked_toys_owner_may_answer(api, families):
    f = families
    req_id = api.ok("/add_req", f["a"], req_user=f["a_toy"], add_user=f["b_toy"],
                    type="toy")["req_id"]
    for token in (f["a"], f["b_toy_token"], api.user()[1]):
        assert api.post("/acc_req", token, req_id=req_id)[0] == 403
        assert api.post("/ref_req", token, req_id=req_id)[0] == 403
    assert api.post("/acc_req", f["b"], req_id="0" * 24)[0] == 404
    assert api.post("/acc_req", f["b"])[0] == 400
    assert api.ok("/req_list", f["b"])[0]["status"] == 0


def test_friend_list_id_must_match_the_caller(api, families):
    f = families
    assert api.post("/friend_list", f["a"], _id=f["b_id"])[0] == 403
    assert len(api.ok("/friend_list", f["a"], _id=f["a_id"])) == 1
