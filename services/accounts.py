"""Registration, login, profile and logout of parent-app users."""

import logging

from werkzeug.security import check_password_hash, generate_password_hash

from services import fields
from services.auth import APP
from services.errors import InvalidInput, NotFound, Unauthorized
from services.store.ids import parse_id
from services.store.serialize import user_public

log = logging.getLogger(__name__)
DEFAULT_AVATARS = {"1": "mama.jpg", "2": "baba.jpg"}
USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-@+")


class AccountService:
    def __init__(self, store, tokens, unread, hash_method="scrypt", limiter=None,
                 account_limit=None):
        self._users = store.users
        self._tokens = tokens
        self._unread = unread
        self._hash_method = hash_method
        # Wrong passwords per username (LOGIN_ACCOUNT_LIMIT), on top of the per-address limit
        # of the view: rotating addresses cannot brute-force one account.
        self._limiter = limiter
        self._account_limit = account_limit
        # Checked against when the username is unknown, so both paths cost one slow hash.
        self._dummy_hash = None

    def register(self, body):
        """Create a user from ``username, password, nickname, gender[, avatar]``.

        Raises InvalidInput naming a bad field, Conflict when the username exists.
        """
        username = fields.text(body, "username", max_len=32)
        if not set(username) <= USERNAME_CHARS:
            raise InvalidInput("username may only contain letters, digits and _ . - @ +")
        password = fields.text(body, "password", min_len=6, max_len=128)
        nickname = fields.text(body, "nickname", max_len=32)
        gender = fields.choice(body, "gender", ("1", "2"))
        avatar = fields.text(body, "avatar", required=False, max_len=128)
        if avatar and ("/" in avatar or "\\" in avatar or avatar.startswith(".")):
            raise InvalidInput("avatar must be a plain file name")
        self._users.insert({
            "username": username,
            "password": generate_password_hash(password, method=self._hash_method),
            "nickname": nickname,
            "gender": gender,
            "avatar": avatar or DEFAULT_AVATARS[gender],
            "friend_list": [],
            "bind_toys": [],
        })

    def login(self, body):
        """Check ``username, password``; return the public user plus a new ``token``."""
        username = fields.text(body, "username", max_len=32)
        password = fields.text(body, "password", max_len=128, min_len=1)
        bucket = f"login-account:{username.lower()}"
        if self._limiter is not None:
            self._limiter.ensure_open(bucket, self._account_limit)
        user = self._users.by_username(username)
        stored = user["password"] if user else self._dummy()
        if not check_password_hash(stored, password) or user is None:
            if self._limiter is not None:
                self._limiter.count(bucket, self._account_limit)
            raise Unauthorized("wrong username or password")
        token = self._tokens.issue(user["_id"], APP)
        return dict(user_public(user), token=token)

    def profile(self, caller):
        """The caller's public user with its unread map under ``chat`` (the document read when
        the token was checked; raise NotFound if deleted)."""
        user = caller.doc if caller.doc is not None else self._users.by_id(parse_id(caller.id,
                                                                                    "_id"))
        if user is None:
            raise NotFound("user not found")
        return dict(user_public(user), chat=self._unread.summary(caller.id))

    def logout(self, caller):
        self._tokens.revoke(caller)

    def _dummy(self):
        if self._dummy_hash is None:
            self._dummy_hash = generate_password_hash("not-a-password", method=self._hash_method)
        return self._dummy_hash
