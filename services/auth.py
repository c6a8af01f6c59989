"""Opaque bearer tokens for app users and toys.

A token is a kind prefix ("a." or "t.") and 32 random bytes (urlsafe); only its SHA-256 is
stored, on the user's or toy's document, so a database leak leaks no usable token and checking
a token is one lookup that also loads the caller.
"""

import hashlib
import secrets
import time
from typing import NamedTuple

from services.errors import Forbidden, Unauthorized

APP, TOY = "app", "toy"


class Caller(NamedTuple):
    """Who is calling: ``id`` (24-hex string), ``kind`` ("app"/"toy"), ``token_hash``,
    ``expires_at`` (epoch seconds; None when not known), and ``doc``, the caller's user or toy
    document as read when the token was checked (None for tokens of the former layout)."""

    id: str
    kind: str
    token_hash: str
    expires_at: float = None
    doc: dict | None = None


# A token names its holder's kind ("a." app, "t." toy), so checking it is one lookup.
_PREFIX = {APP: "a.", TOY: "t."}
_KIND_OF_PREFIX = {prefix: kind for kind, prefix in _PREFIX.items()}


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


class TokenService:
    def __init__(self, tokens, ttl_days, clock=time.time):
        self._tokens = tokens
        self._ttl = float(ttl_days) * 86400
        self._clock = clock
        # Callables(token_hash=None, subject=None) told of every revocation and expiry found,
        # so live sockets opened with that token end (services.revocation.LiveSockets).
        self.on_revoke = []

    def issue(self, subject, kind):
        """Create and return a new token for ``subject`` of ``kind``."""
        token = _PREFIX[kind] + secrets.token_urlsafe(32)
        now = self._clock()
        if not self._tokens.insert(_hash(token), str(subject), kind, now + self._ttl, now):
            raise Unauthorized("account no longer exists")
        return token

    def verify(self, token):
        """Return the Caller for ``token``; raise Unauthorized when unknown, expired or revoked.

        One indexed lookup on the token's holder collection, which also yields the caller's
        document; tokens without a kind prefix are looked up in the former collection."""
        if not token or not isinstance(token, str) or len(token) > 256:
            raise Unauthorized("missing or invalid token")
        token_hash = _hash(token)
        kind = _KIND_OF_PREFIX.get(token[:2])
        if kind is not None:
            found = self._tokens.holder(kind, token_hash)
            if found is None:
                raise Unauthorized("invalid or revoked token")
            doc, expires_at = found
            self._check_expiry(token_hash, expires_at, kind)
            return Caller(str(doc["_id"]), kind, token_hash, expires_at, doc)
        doc = self._tokens.legacy(token_hash)
        if doc is None:
            raise Unauthorized("invalid or revoked token")
        self._check_expiry(token_hash, doc["expires_at"], doc["kind"])
        return Caller(doc["sub"], doc["kind"], token_hash, doc["expires_at"])

    def _check_expiry(self, token_hash, expires_at, kind):
        if expires_at < self._clock():
            self._tokens.delete(token_hash, kind)
            self._revoked(token_hash=token_hash)
            raise Unauthorized("token expired, log in again")

    def recheck(self, caller):
        """Raise Unauthorized unless the caller's token is still valid (a live socket's token
        may have been revoked or have expired since it connected)."""
        expires_at = self._tokens.expiry(caller.token_hash, caller.kind)
        if expires_at is None:
            raise Unauthorized("token revoked, log in again")
        if expires_at < self._clock():
            raise Unauthorized("token expired, log in again")

    def still_valid(self, token_hashes):
        """The subset of ``token_hashes`` that are stored and unexpired (one query per
        collection that can hold tokens)."""
        now = self._clock()
        return {h for h, expires_at in self._tokens.expiries(list(token_hashes)).items()
                if expires_at >= now}

    def revoke(self, caller):
        """Revoke the token the caller used."""
        self._tokens.delete(caller.token_hash, caller.kind)
        self._revoked(token_hash=caller.token_hash)

    def revoke_subject(self, subject):
        """Revoke every token of a user or toy (e.g. when a toy is unbound)."""
        self._tokens.delete_subject(str(subject))
        self._revoked(subject=str(subject))

    def _revoked(self, token_hash=None, subject=None):
        for listener in self.on_revoke:
            listener(token_hash=token_hash, subject=subject)


def require_kind(caller, *kinds):
    """Raise Forbidden unless the caller is one of ``kinds``."""
    if caller.kind not in kinds:
        who = "the parent app" if kinds == (APP,) else "a toy"
        raise Forbidden(f"this endpoint is for {who}")


def same_caller(caller, value, field):
    """Raise Forbidden when a body id meant to name the caller names someone else."""
    if value not in (None, "") and str(value) != caller.id:
        raise Forbidden(f"{field} does not match the token")
