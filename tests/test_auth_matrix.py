"""Every protected endpoint: no token → 401; another family's token → 403 (nothing changes)."""

import pytest

PROTECTED = ["/auto_login", "/logout", "/scan_qr", "/bind_toy", "/toy_list", "/unbind_toy",
             "/friend_list", "/add_req", "/req_list", "/ref_req", "/acc_req"]


@pytest.fixture
def world(api):
    owner_id, owner = api.user()
    toy_id, toy_token = api.toy(owner)
    stranger_id, stranger = api.user()
    stranger_toy, stranger_toy_token = api.toy(stranger)
    req_id = api.ok("/add_req", stranger, req_user=stranger_toy, add_user=toy_id,
                    type="toy")["req_id"]
    return dict(owner_id=owner_id, owner=owner, toy_id=toy_id, toy_token=toy_token,
                stranger=stranger, stranger_id=stranger_id, stranger_toy=stranger_toy,
                stranger_toy_token=stranger_toy_token, req_id=req_id)


@pytest.mark.parametrize("path", PROTECTED)
@pytest.mark.parametrize("token", [None, "forged-token"])
def test_missing_or_forged_token_is_401(api, path, token):
    status, body = api.post(path, token)
    assert status == 401 and body["code"] == 401 and body["data"] == {}


def _cases(w):
    """(path, token, fields): a stranger (or a toy) acting on the owner's things."""
    return [
        ("/auto_login", w["stranger"], {"_id": w["owner_id"]}),
        ("/toy_list", w["stranger"], {"_id": w["owner_id"]}),
        ("/bind_toy", w["stranger"], {"user_id": w["owner_id"], "toy_name": "x",
                                      "baby_name": "y", "remark": "z", "device_key": "a" * 32}),
        ("/unbind_toy", w["stranger"], {"toy_id": w["toy_id"]}),
        ("/unbind_toy", w["toy_token"], {"toy_id": w["toy_id"]}),
        ("/friend_list", w["stranger"], {"_id": w["owner_id"]}),
        ("/friend_list", w["stranger_toy_token"], {"_id": w["toy_id"]}),
        ("/add_req", w["stranger"], {"req_user": w["toy_id"], "add_user": w["stranger_toy"],
                                     "type": "toy"}),
        ("/add_req", w["stranger_toy_token"], {"req_user": w["owner_id"],
                                               "add_user": w["stranger_toy"], "type": "app"}),
        ("/req_list", w["stranger"], {"_id": w["owner_id"]}),
        ("/acc_req", w["stranger"], {"req_id": w["req_id"]}),
        ("/ref_req", w["stranger"], {"req_id": w["req_id"]}),
        ("/acc_req", w["toy_token"], {"req_id": w["req_id"]}),
        ("/scan_qr", w["toy_token"], {"device_key": "a" * 32}),
    ]


def test_other_owners_token_is_403_and_changes_nothing(api, world):
    store = api.services.store
    before = (len(store.toys.all()), store.requests.by_id(__import__("bson").ObjectId(
        world["req_id"]))["status"], store.db["chats"].count_documents({}))
    for path, token, fields in _cases(world):
        status, body = api.post(path, token, **fields)
        assert (status, body["code"]) == (403, 403), (path, body)
    after = (len(store.toys.all()), store.requests.by_id(__import__("bson").ObjectId(
        world["req_id"]))["status"], store.db["chats"].count_documents({}))
    assert before == after
