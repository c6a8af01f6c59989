"""Friend lists and friend requests between app users and toys (SPEC §5)."""

from services import fields
from services.auth import APP, same_caller
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.parties import befriend, caller_party, find_party, find_toy, is_friend
from services.store.ids import parse_id
from services.store.serialize import request_public

PENDING, ACCEPTED, REFUSED = 0, 1, 2


NO_SUCH_TOY = "add_user not found: no such toy"


class FriendService:
    """``limiter`` (a RateLimiter) and ``request_limit`` (FRIEND_REQUEST_LIMIT) bound the friend
    requests of one family (a parent and its toys count together)."""

    def __init__(self, store, notifier, limiter=None, request_limit=None):
        self._store = store
        self._notifier = notifier
        self._limiter = limiter
        self._request_limit = request_limit

    def friend_list(self, caller, body):
        """The caller's friend entries (a toy token gets the toy's list)."""
        same_caller(caller, body.get("_id"), "_id")
        return caller_party(self._store, caller, "_id").doc.get("friend_list", [])

    def request(self, caller, body):
        """Store a friend request from ``req_user`` (the caller or its toy) to toy ``add_user``."""
        asker = find_party(self._store, fields.text(body, "req_user", required=False,
                                                    default=caller.id, max_len=64), "req_user")
        if asker.owner != caller.id and asker.id != caller.id:
            raise Forbidden("req_user must be you or one of your toys")
        kind = fields.choice(body, "type", ("app", "toy"), required=False, default=asker.kind)
        if kind != asker.kind:
            raise InvalidInput(f"type must be {asker.kind!r} for this req_user")
        if self._limiter is not None:
            self._limiter.check(f"add_req:{asker.owner}", self._request_limit)
        asked = self._asked_toy(fields.text(body, "add_user", max_len=64))
        if asked.id == asker.id:
            raise InvalidInput("add_user cannot be req_user itself")
        if is_friend(asker, asked.id):
            raise Conflict("already friends")
        req_id = self._store.requests.insert({
            "req_user": asker.id, "add_user": asked.id, "type": kind,
            "req_info": fields.text(body, "req_info", required=False, max_len=200),
            "remark": fields.text(body, "remark", required=False, default=asked.nickname),
            "avatar": asker.avatar, "nickname": asker.nickname,
            "toy_name": asked.doc["toy_name"], "status": PENDING,
        })
        request = request_public(self._store.requests.by_id(req_id))
        self._notifier.emit("friend_request", dict(request, req_id=str(req_id)),
                            to=asked.doc["bind_user"])
        return str(req_id)

    def _asked_toy(self, toy_id):
        """The toy ``add_user`` names. Every well-formed id that is not a toy one may ask
        (unknown, a user's) gets the same answer, so /add_req tells nothing about other ids."""
        try:
            return find_toy(self._store, toy_id, "add_user")
        except NotFound:
            raise NotFound(NO_SUCH_TOY) from None

    def requests_for(self, caller, body):
        """Requests addressed to the caller's toys (or to the calling toy), all statuses."""
        same_caller(caller, body.get("_id"), "_id")
        if caller.kind == APP:
            toy_ids = [str(t["_id"]) for t in self._store.toys.by_owner(caller.id)]
        else:
            toy_ids = [caller.id]
        return [request_public(r) for r in self._store.requests.for_toys(toy_ids)]

    def refuse(self, caller, body):
        self._answer(caller, body, REFUSED)

    def accept(self, caller, body):
        """Accept: status 1, a chat, and friend entries on both sides (never duplicated)."""
        request = self._answer(caller, body, ACCEPTED)
        asker = find_party(self._store, request["req_user"], "req_user")
        asked = find_toy(self._store, request["add_user"], "add_user")
        remark = fields.text(body, "remark", required=False, default=asker.nickname)
        befriend(self._store, asker, asked, request["remark"], remark)

    def _answer(self, caller, body, status):
        req_id = parse_id(fields.text(body, "req_id", max_len=64), "req_id")
        request = self._store.requests.by_id(req_id)
        if request is None:
            raise NotFound("friend request not found")
        asked = self._store.toys.by_id(parse_id(request["add_user"], "add_user"))
        if caller.kind != APP or asked is None or asked["bind_user"] != caller.id:
            raise Forbidden("only the asked toy's owner may answer this request")
        answered = self._store.requests.answer(req_id, status)
        if answered is None:
            raise Conflict("this request was already answered")
        return answered
