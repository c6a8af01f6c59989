"""SPEC §2: registration, login, auto_login, logout, tokens."""

import pytest
from bson import ObjectId

USER = {"username": "alice", "password": "secret123", "nickname": "Alice", "gender": "1"}


def test_register_and_login_returns_user_and_token(api):
    assert api.ok("/reg", **USER) == {}
    data = api.ok("/login", username="alice", password="secret123")
    assert set(data) == {"_id", "username", "nickname", "gender", "avatar", "friend_list",
                         "bind_toys", "token"}
    assert data["avatar"] == "mama.jpg" and data["gender"] == "1"
    assert data["friend_list"] == [] and data["bind_toys"] == []


def test_register_accepts_form_fields_and_default_avatar_by_gender(api):
    status, body = api.post("/reg", form=True, **dict(USER, username="bob", gender="2"))
    assert (status, body["code"]) == (200, 0)
    assert api.ok("/login", username="bob", password="secret123")["avatar"] == "baba.jpg"


def test_register_keeps_a_given_avatar(api):
    api.ok("/reg", **dict(USER, avatar="me.jpg"))
    assert api.ok("/login", username="alice", password="secret123")["avatar"] == "me.jpg"


def test_duplicate_username_is_409(api):
    api.ok("/reg", **USER)
    status, body = api.post("/reg", **USER)
    assert status == 409 and body["code"] == 409 and "username" in body["msg"]


@pytest.mark.parametrize("field", ["username", "password", "nickname", "gender"])
def test_register_missing_field_is_400_naming_it(api, field):
    fields = {k: v for k, v in USER.items() if k != field}
    status, body = api.post("/reg", **fields)
    assert status == 400 and body["code"] == 400 and field in body["msg"]


@pytest.mark.parametrize("field,value,word", [
    ("password", "12345", "password"),
    ("gender", "3", "gender"),
    ("username", "a b", "username"),
    ("avatar", "../x.jpg", "avatar"),
])
def test_register_invalid_field_is_400(api, field, value, word):
    status, body = api.post("/reg", **dict(USER, **{field: value}))
    assert status == 400 and word in body["msg"]
    assert api.services.store.users.by_username(USER["username"]) is None


def test_password_is_stored_with_a_slow_salted_hash(api):
    api.ok("/reg", **USER)
    stored = api.services.store.users.by_username("alice")["password"]
    assert "secret123" not in stored and stored.startswith(("scrypt:", "pbkdf2:"))
    api.ok("/reg", **dict(USER, username="alice2"))
    assert api.services.store.users.by_username("alice2")["password"] != stored  # salted


@pytest.mark.parametrize("username,password", [("alice", "wrong-pass"), ("nobody", "secret123")])
def test_bad_credentials_are_401(api, username, password):
    api.ok("/reg", **USER)
    status, body = api.post("/login", username=username, password=password)
    assert status == 401 and body["code"] == 401 and "token" not in body["data"]


def test_json_body_must_be_an_object(api):
    response = api.client.post("/login", data="[1,2]", content_type="application/json")
    assert response.status_code == 400 and response.get_json()["code"] == 400


def test_auto_login_returns_user_and_unread_map(api):
    user_id, token = api.user()
    data = api.ok("/auto_login", token)
    assert data["_id"] == user_id and data["chat"] == {"count": 0}
    assert "password" not in data
    assert api.ok("/auto_login", token, _id=user_id)["_id"] == user_id


def test_auto_login_with_someone_elses_id_is_403(api):
    _, token = api.user()
    other_id, _ = api.user()
    status, body = api.post("/auto_login", token, _id=other_id)
    assert status == 403 and body["code"] == 403


@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic abc", "Bearer "])
def test_auto_login_without_a_valid_token_is_401(api, header):
    headers = {"Authorization": header} if header else {}
    response = api.client.post("/auto_login", json={}, headers=headers)
    assert response.status_code == 401 and response.get_json()["code"] == 401


def test_logout_revokes_the_token_only(api):
    _, token = api.user()
    data = api.ok("/login", username=api.services.store.users.all()[0]["username"],
                  password="secret123")
    api.ok("/logout", token)
    assert api.post("/auto_login", token)[0] == 401
    assert api.ok("/auto_login", data["token"])  # the other session still works


def test_expired_token_is_401(api):
    user_id, token = api.user()
    users = api.services.store.collections["users"]
    entries = users.find_one({"_id": ObjectId(user_id)})["tokens"]
    users.update_one({"_id": ObjectId(user_id)},
                     {"$set": {"tokens": [dict(e, exp=1.0) for e in entries]}})
    status, body = api.post("/auto_login", token)
    assert status == 401 and "expired" in body["msg"]
    assert users.find_one({"_id": ObjectId(user_id)})["tokens"] == []  # and forgotten


def test_token_lifetime_follows_config(make_app):
    from tests.support import Api

    api = Api(make_app({"TOKEN_TTL_DAYS": 2}))
    api.user()
    [entry] = api.services.store.db["users"].find_one()["tokens"]
    assert 2 * 86400 - 60 < entry["exp"] - entry["at"] <= 2 * 86400


def test_tokens_are_stored_hashed(api):
    user_id, token = api.user()
    stored = str(api.services.store.db["users"].find_one({"_id": ObjectId(user_id)}))
    assert token not in stored and token[2:] not in stored


def test_toy_token_cannot_use_app_endpoints(api):
    _, token = api.user()
    _, toy_token = api.toy(token)
    status, body = api.post("/auto_login", toy_token)
    assert status == 403 and "app" in body["msg"]
