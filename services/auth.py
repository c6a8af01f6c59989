"""Opaque bearer tokens for app users and toys.

A token is 32 random bytes (urlsafe); only its SHA-256 is stored, so a database leak leaks no
usable token. Each token names its subject (user or toy id) and kind ("app" or "toy").
"""

import hashlib
import secrets
import time
from typing import NamedTuple

from services.errors import Forbidden, Unauthorized

APP, TOY = "app", "toy"


class Caller(NamedTuple):
    """Who is calling: ``id`` (24-hex string), ``kind`` ("app"/"toy"), ``token_hash``,
    ``expires_at`` (epoch seconds; None when not known)."""

    id: str
    kind: str
    token_hash: str
    expires_at: float = None


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
        token = secrets.token_urlsafe(32)
        now = self._clock()
        self._tokens.insert(_hash(token), str(subject), kind, now + self._ttl)
        return token

    def verify(self, token):
        """Return the Caller for ``token``; raise Unauthorized when unknown, expired or revoked."""
        if not token or not isinstance(token, str) or len(token) > 256:
            raise Unauthorized("missing or invalid token")
        token_hash = _hash(token)
        doc = self._tokens.get(token_hash)
        if doc is None:
            raise Unauthorized("invalid or revoked token")
        if doc["expires_at"] < self._clock():
            self._tokens.delete(token_hash)
            self._revoked(token_hash=token_hash)
            raise Unauthorized("token expired, log in again")
        return Caller(doc["sub"], doc["kind"], token_hash, doc["expires_at"])

    def recheck(self, caller):
        """Raise Unauthorized unless the caller's token is still valid (a live socket's token
        may have been revoked or have expired since it connected)."""
        doc = self._tokens.get(caller.token_hash)
        if doc is None:
            raise Unauthorized("token revoked, log in again")
        if doc["expires_at"] < self._clock():
            raise Unauthorized("token expired, log in again")

    def still_valid(self, token_hashes):
        """The subset of ``token_hashes`` that are stored and unexpired (one query)."""
        now = self._clock()
        return {doc["_id"] for doc in self._tokens.get_many(list(token_hashes))
                if doc["expires_at"] >= now}

    def revoke(self, caller):
        """Revoke the token the caller used."""
        self._tokens.delete(caller.token_hash)
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
