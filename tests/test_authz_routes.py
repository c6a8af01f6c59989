"""The authorization matrix, generated from the app's route table: every endpoint × no token,
a garbage token, a revoked token, the wrong kind of token (app vs toy) and another family's
token aimed at this family's things. A new endpoint fails ``test_every_route_is_classified``
until it is listed here, as public (explicitly) or with its rules."""

import pytest
from bson import ObjectId

from services.speech.tts import FakeTTS
from tests.messaging import FakeConverter, Family
from tests.support import Api

# Answered without a token (each one checks what it needs itself: a device key, a utoken).
PUBLIC = {"/reg", "/login", "/open_toy", "/content_list", "/healthz", "/lovense/callback",
          "/get_music/<path:name>", "/get_image/<path:name>", "/get_cover/<path:name>",
          "/get_chat/<path:name>", "/get_qr/<path:name>",
          # the web pages and their static files (they call the API with the user's token)
          "/", "/toy", "/favicon.ico", "/web/<path:name>", "/vendor/<path:name>",
          "/openapi.json", "/docs", "/docs/<path:name>"}  # the API reference

APP, TOY, BOTH = "app", "toy", "both"


def _toy(w):
    return {"toy_id": w.victim.toy_id}


# path: (who may call it, the fields that aim the call at the victim family's things, or None
# when the endpoint takes nothing that names another party)
PROTECTED = {
    "/auto_login": (APP, lambda w: {"_id": w.victim.parent_id}),
    "/logout": (BOTH, None),
    "/scan_qr": (APP, None),  # a device key is the physical toy's QR: possession is the right
    "/bind_toy": (APP, lambda w: {"user_id": w.victim.parent_id, "toy_name": "x",
                                  "baby_name": "y", "device_key": "a" * 32}),
    "/toy_list": (APP, lambda w: {"_id": w.victim.parent_id}),
    "/unbind_toy": (APP, _toy),
    "/friend_list": (BOTH, lambda w: {"_id": w.victim.parent_id}),
    "/add_req": (BOTH, lambda w: {"req_user": w.victim.toy_id, "add_user": w.third_toy,
                                  "type": "toy"}),
    "/req_list": (BOTH, lambda w: {"_id": w.victim.parent_id}),
    "/acc_req": (APP, lambda w: {"req_id": w.request_to_victim}),
    "/ref_req": (APP, lambda w: {"req_id": w.request_to_victim}),
    "/app_uploader": (APP, lambda w: {"to_user": w.victim.toy_id}),
    "/toy_uploader": (TOY, lambda w: {"to_user": w.victim.parent_id, "friend_type": "app"}),
    "/chat_list": (BOTH, lambda w: {"chat_id": w.victim.chat_id}),
    "/recv_msg": (BOTH, lambda w: {"to_user": w.victim.toy_id}),
    "/push_music": (APP, lambda w: {"toy_id": w.victim.toy_id, "music": "x.mp3"}),
    "/ai_uploader": (TOY, lambda w: {"toy_id": w.victim.toy_id}),
    "/toy_control": (APP, lambda w: {"toy_id": w.victim.toy_id, "command": "GetToys"}),
    "/lovense/qr": (APP, _toy),
    "/lovense/socket/start": (APP, _toy),
    "/lovense/cam/token": (APP, _toy),
    "/lovense/tip_levels": (APP, _toy),
    "/lovense/tip": (APP, lambda w: {"toy_id": w.victim.toy_id, "amount": 5}),
    "/ws": (BOTH, None),
}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One app for the whole matrix (read-mostly: the attacks must change nothing)."""
    import fakeredis
    import mongomock

    from app import create_app

    tmp = tmp_path_factory.mktemp("authz")
    app = create_app({"DATA_DIR": str(tmp / "data"), "MEDIA_DIR": str(tmp / "media"),
                      "REDIS_URL": None, "MONGO_URI": None, "RATE_LIMIT": "0",
                      "FRIEND_REQUEST_LIMIT": "0", "LOGIN_ACCOUNT_LIMIT": "0",
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "LOG_LEVEL": "WARNING",
                      "ASYNC_MODE": "threading"},
                     mongo_db=mongomock.MongoClient()["authz"],
                     redis=fakeredis.FakeRedis(decode_responses=True),
                     tts=FakeTTS(), converter=FakeConverter())
    return World(Api(app))


class World:
    def __init__(self, api):
        self.api = api
        self.victim = Family(api)
        self.attacker = Family(api)
        third = Family(api)
        self.third_toy = third.toy_id
        self.request_to_victim = api.ok("/add_req", third.parent, req_user=third.toy_id,
                                        add_user=self.victim.toy_id, type="toy")["req_id"]
        _, self.revoked = api.user()
        api.ok("/logout", self.revoked)
        self.victim.upload()  # something in the victim's chat and inbox

    def call(self, path, token, fields=None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if path == "/ws":
            query = f"?token={token}" if token else ""
            response = self.api.client.get(f"/ws{query}")
        else:
            response = self.api.client.post(path, json=fields or {}, headers=headers)
        return response.status_code, response.get_json()

    def snapshot(self):
        db = self.api.services.store.db
        return {name: sorted(map(repr, db[name].find({}))) for name in
                ("users", "toys", "devices", "requests", "chats", "messages")}


def _rules(app):
    return {rule.rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"}


def test_every_route_is_classified(world):
    rules = _rules(world.api.app)
    assert not PUBLIC & PROTECTED.keys()
    assert rules == PUBLIC | PROTECTED.keys(), (
        f"unclassified: {sorted(rules - PUBLIC - PROTECTED.keys())}; "
        f"gone: {sorted((PUBLIC | PROTECTED.keys()) - rules)}")


def test_public_endpoints_need_no_token(world):
    assert world.call("/content_list", None)[0] == 200
    assert world.api.get("/healthz").status_code == 200
    assert world.call("/open_toy", None, {"device_key": "a" * 32})[1]["code"] == 2


@pytest.mark.parametrize("path", sorted(PROTECTED))
def test_protected_endpoint_matrix(world, path):
    kind, aim = PROTECTED[path]
    before = world.snapshot()
    for label, token in (("no token", None), ("garbage", "garbage-" + "x" * 40),
                         ("revoked", world.revoked)):
        status, body = world.call(path, token, aim(world) if aim else None)
        assert (status, body["code"]) == (401, 401), (path, label, status, body)
    attacker = {APP: world.attacker.parent, TOY: world.attacker.toy}
    if kind != BOTH:
        wrong = attacker[TOY if kind == APP else APP]
        status, body = world.call(path, wrong, aim(world) if aim else None)
        assert (status, body["code"]) == (403, 403), (path, "wrong kind", status, body)
    if aim is not None:
        for token_kind in ((APP, TOY) if kind == BOTH else (kind,)):
            status, body = world.call(path, attacker[token_kind], aim(world))
            assert (status, body["code"]) == (403, 403), (path, token_kind, status, body)
    assert world.snapshot() == before, path


def test_matrix_ids_are_real(world):
    """The victim's ids the matrix aims at exist (a 403 is not a disguised 404)."""
    store = world.api.services.store
    assert store.toys.by_id(ObjectId(world.victim.toy_id)) is not None
    assert store.requests.by_id(ObjectId(world.request_to_victim))["status"] == 0
