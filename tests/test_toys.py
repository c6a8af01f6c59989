"""SPEC §4: scanning, binding, listing, unbinding and booting toys."""

import pytest


def test_scan_qr_codes(api):
    _, token = api.user()
    key = api.device()
    assert api.post("/scan_qr", token, device_key=key)[1] == {
        "code": 0, "msg": "Successful Scanning of Two-Dimensional Code",
        "data": {"device_key": key}}
    status, body = api.post("/scan_qr", token, device_key="0" * 32)
    assert status == 200 and body["code"] == 1 and body["msg"] == "Please scan the toy QR code"
    assert body["data"] == {}
    api.ok("/bind_toy", token, toy_name="Teddy", baby_name="Lily", remark="Mum", device_key=key)
    status, body = api.post("/scan_qr", token, device_key=key)
    toy_id = api.services.store.toys.by_device(key)["_id"]
    assert status == 200 and body["code"] == 2 and body["data"] == {"toy_id": str(toy_id)}


def test_scan_qr_without_key_is_400(api):
    _, token = api.user()
    status, body = api.post("/scan_qr", token)
    assert status == 400 and "device_key" in body["msg"]


def test_bind_creates_toy_chat_and_mutual_friends(api):
    user_id, token = api.user(nickname="Mummy")
    key = api.device()
    assert api.ok("/bind_toy", token, toy_name="Teddy", baby_name="Lily", remark="Mum",
                  device_key=key, user_id=user_id) == {}
    toy = api.ok("/toy_list", token)[0]
    assert {k: toy[k] for k in ("device_key", "bind_user", "toy_name", "baby_name", "avatar")} == {
        "device_key": key, "bind_user": user_id, "toy_name": "Teddy", "baby_name": "Lily",
        "avatar": "toy.jpg"}
    chat_id = toy["friend_list"][0]["friend_chat"]
    assert toy["friend_list"] == [{"friend_id": user_id, "friend_nick": "Mummy",
                                   "friend_remark": "Mum", "friend_avatar": "mama.jpg",
                                   "friend_chat": chat_id, "friend_type": "app"}]
    user = api.ok("/auto_login", token)
    assert user["bind_toys"] == [toy["_id"]]
    assert user["friend_list"] == [{"friend_id": toy["_id"], "friend_nick": "Lily",
                                    "friend_remark": "Teddy", "friend_avatar": "toy.jpg",
                                    "friend_chat": chat_id, "friend_type": "toy"}]
    chat = api.services.store.chats.by_id(__import__("bson").ObjectId(chat_id))
    assert sorted(chat["user_list"]) == sorted([user_id, toy["_id"]])


def test_bind_unknown_key_is_404_and_bound_key_is_409(api):
    _, token = api.user()
    status, body = api.post("/bind_toy", token, toy_name="T", baby_name="B", remark="R",
                            device_key="f" * 32)
    assert status == 404 and body["code"] == 404
    key = api.device()
    api.ok("/bind_toy", token, toy_name="T", baby_name="B", remark="R", device_key=key)
    _, other = api.user()
    status, body = api.post("/bind_toy", other, toy_name="T", baby_name="B", remark="R",
                            device_key=key)
    assert status == 409 and body["code"] == 409
    assert len(api.services.store.toys.all()) == 1


@pytest.mark.parametrize("field", ["toy_name", "baby_name", "device_key"])
def test_bind_missing_field_is_400_and_changes_nothing(api, field):
    _, token = api.user()
    fields = {"toy_name": "T", "baby_name": "B", "remark": "R", "device_key": api.device()}
    del fields[field]
    status, body = api.post("/bind_toy", token, **fields)
    assert status == 400 and field in body["msg"]
    assert api.services.store.toys.all() == []
    assert api.services.store.db["chats"].count_documents({}) == 0


def test_bind_for_another_user_id_is_403(api):
    _, token = api.user()
    other_id, _ = api.user()
    status, _ = api.post("/bind_toy", token, toy_name="T", baby_name="B", remark="R",
                         device_key=api.device(), user_id=other_id)
    assert status == 403


def test_concurrent_binds_of_one_key_make_one_toy(api):
    key = api.device()
    tokens = [api.user()[1] for _ in range(6)]
    assert api.concurrent_binds(key, tokens) == [200] + [409] * 5
    assert len(api.services.store.toys.all()) == 1
    assert api.services.store.db["chats"].count_documents({}) == 1
    owners = [u for u in api.services.store.users.all() if u["bind_toys"]]
    assert len(owners) == 1 and len(owners[0]["friend_list"]) == 1


def test_failed_bind_rolls_back(api):
    user_id, token = api.user()
    key = api.device()
    api.services.store.users.add_toy = _explode
    status, body = api.post("/bind_toy", token, toy_name="T", baby_name="B", remark="R",
                            device_key=key)
    assert status == 500 and body == {"code": 500, "msg": "internal error", "data": {}}
    store = api.services.store
    assert store.toys.all() == [] and store.db["chats"].count_documents({}) == 0
    assert store.users.by_id(__import__("bson").ObjectId(user_id))["friend_list"] == []
    assert "toy_id" not in store.devices.get(key)


def _explode(*_):
    raise RuntimeError("disk on fire")


def test_toy_list_only_lists_own_toys(api):
    _, token = api.user()
    _, other = api.user()
    api.toy(token, toy_name="Mine")
    api.toy(other, toy_name="Theirs")
    assert [t["toy_name"] for t in api.ok("/toy_list", token)] == ["Mine"]


def test_open_toy_codes(api):
    _, token = api.user()
    assert api.post("/open_toy", device_key="0" * 32)[1] == {"code": 2, "music": "Nolic.mp3"}
    key = api.device()
    assert api.post("/open_toy", device_key=key)[1] == {"code": 1, "music": "Nobind.mp3"}
    api.ok("/bind_toy", token, toy_name="Teddy", baby_name="Lily", remark="Mum", device_key=key)
    status, body = api.post("/open_toy", form=True, device_key=key)
    assert status == 200 and set(body) == {"code", "music", "toy_id", "name", "token"}
    assert (body["code"], body["music"], body["name"]) == (0, "Success.mp3", "Teddy")
    friends = api.ok("/friend_list", body["token"])
    assert friends[0]["friend_type"] == "app"


def test_open_toy_without_key_is_400(api):
    status, body = api.post("/open_toy")
    assert status == 400 and "device_key" in body["msg"]


def test_unbind_removes_toy_friends_tokens_and_frees_device(api):
    user_id, token = api.user()
    toy_id, toy_token = api.toy(token)
    _, other = api.user()
    other_toy, _ = api.toy(other)
    req = api.ok("/add_req", token, req_user=toy_id, add_user=other_toy, type="toy")["req_id"]
    api.ok("/acc_req", other, req_id=req, remark="Pal")
    api.ok("/unbind_toy", token, toy_id=toy_id)
    assert api.ok("/toy_list", token) == []
    assert api.ok("/auto_login", token)["friend_list"] == []
    assert api.ok("/auto_login", other)["friend_list"][0]["friend_id"] == other_toy
    other_toy_doc = api.services.toys.get(other_toy)
    assert [f["friend_id"] for f in other_toy_doc["friend_list"]] == [
        api.ok("/auto_login", other)["_id"]]
    assert api.post("/friend_list", toy_token)[0] == 401
    key = api.services.store.devices.all()[0]["device_key"]
    assert api.post("/scan_qr", token, device_key=key)[1]["code"] == 0
    assert api.post("/open_toy", device_key=key)[1] == {"code": 1, "music": "Nobind.mp3"}
    api.ok("/bind_toy", token, toy_name="Again", baby_name="B", remark="R", device_key=key)


def test_unbind_someone_elses_toy_is_403_and_unknown_is_404(api):
    _, token = api.user()
    _, other = api.user()
    toy_id, _ = api.toy(token)
    assert api.post("/unbind_toy", other, toy_id=toy_id)[0] == 403
    assert api.post("/unbind_toy", token, toy_id="0" * 24)[0] == 404
    assert api.post("/unbind_toy", token, toy_id="nope")[0] == 400
    assert api.post("/unbind_toy", token)[0] == 400
    assert len(api.ok("/toy_list", token)) == 1
