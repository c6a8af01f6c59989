"""Live sockets end when the token that opened them stops being valid.

Every Socket.IO connection and plain WebSocket registers here with its Caller and a ``close``
callable. ``TokenService`` reports revocations (logout: one token; unbind: every token of the
toy; an expired token met by ``verify``) to ``revoked``, which closes the matching sockets of this
process and, through a RedisRelay (``REDIS_URL`` set), of every other process. A sweep every
``recheck_seconds`` re-verifies the tokens of this process's sockets in one query, so a token
that expires while its socket is open, or a revocation published while Redis was unreachable,
ends the socket too.
"""

import logging
import secrets
import threading
import time

log = logging.getLogger(__name__)

BATCH = 100  # tokens re-verified per query (one query for 1,000 sockets held the event loop)


class LiveSockets:
    """``tokens``: the TokenService; ``relay``: a RedisRelay on the revocation channel, or None
    (one process); ``recheck_seconds``: the sweep period."""

    def __init__(self, tokens, relay=None, recheck_seconds=30.0):
        self._tokens = tokens
        self._relay = relay
        self._recheck = max(float(recheck_seconds), 0.05)
        self._live = {}  # key -> (Caller, close)
        self._lock = threading.Lock()
        self._origin = secrets.token_hex(8)
        self._sweeper = None
        tokens.on_revoke.append(self.revoked)

    def add(self, key, caller, close):
        """Track a live socket: ``close()`` ends it (called at most once, from any thread)."""
        if self._relay is not None:
            self._relay.start(self._relayed)
        with self._lock:
            self._live[key] = (caller, close)
            if self._sweeper is None:
                self._sweeper = threading.Thread(target=self._sweep_loop, name="token-sweep",
                                                 daemon=True)
                self._sweeper.start()

    def remove(self, key):
        with self._lock:
            self._live.pop(key, None)

    def count(self):
        with self._lock:
            return len(self._live)

    def revoked(self, token_hash=None, subject=None):
        """End this process's sockets of ``token_hash`` (or of every token of ``subject``) and
        tell the other processes. Never raises."""
        self._end(lambda c: c.token_hash == token_hash or c.id == subject)
        if self._relay is not None:
            self._relay.publish({"origin": self._origin, "token_hash": token_hash,
                                 "subject": subject})

    def _relayed(self, message):
        if message.get("origin") != self._origin:
            token_hash, subject = message.get("token_hash"), message.get("subject")
            if token_hash or subject:
                self._end(lambda c: c.token_hash == token_hash or c.id == subject)

    def sweep(self):
        """End the sockets whose token was revoked or expired; return how many."""
        with self._lock:
            hashes = {caller.token_hash for caller, _ in self._live.values()}
        if not hashes:
            return 0
        hashes, valid = sorted(hashes), set()
        try:
            for start in range(0, len(hashes), BATCH):
                valid |= self._tokens.still_valid(hashes[start:start + BATCH])
                time.sleep(0)  # under gevent a yield: pushes and requests run between batches
        except Exception:  # a database hiccup must not stop the sweeps
            log.exception("token recheck failed")
            return 0
        checked = set(hashes)
        return self._end(lambda c: c.token_hash in checked and c.token_hash not in valid)

    def _end(self, matches):
        with self._lock:
            victims = [(key, close) for key, (caller, close) in self._live.items()
                       if matches(caller)]
            for key, _ in victims:
                self._live.pop(key, None)
        for key, close in victims:
            try:
                close()
            except Exception:  # the socket may already be gone
                log.debug("closing socket %s failed", key, exc_info=True)
        return len(victims)

    def _sweep_loop(self):
        """Sweep while sockets are live; the thread ends with the last socket."""
        while True:
            time.sleep(self._recheck)
            self.sweep()
            with self._lock:
                if not self._live:
                    self._sweeper = None
                    return
