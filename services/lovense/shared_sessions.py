"""Basic Socket API sessions shared by several server processes through Redis (``REDIS_URL``).

Each toy's session is owned by one process, which holds a lease in Redis (``directory``: a store
``SessionDirectory``) and renews it every third of ``lease`` seconds. A command arriving at
another process is queued on the owner's request list and answered through Redis (``send``
raises UpstreamTimeout when the owner does not answer in ``timeout``). When the owner dies its
lease expires; the next process that needs the session (a command for that toy, or its own
renewal loop noticing the orphan) claims the lease and reconnects the session (getToken →
getSocketUrl → connect, no new QR code: the Remote app stays linked to the toy's uid).
Unbinding or restarting a session from any process closes it on its owner.

The renewal loop and the request listener start on first use, not at import or app creation
(the ``flask`` CLI never owns sessions).
"""

import logging
import secrets
import threading
import time

from services.errors import Upstream, UpstreamTimeout
from services.lovense.linking import utoken_for
from services.store.counters import REDIS_ERRORS

log = logging.getLogger(__name__)


class SharedSessions:
    """Same interface as ``SocketSessions`` (start, connected, send, close) for N processes."""

    def __init__(self, local, directory, secret, lease=10.0, timeout=5.0):
        self._local, self._directory, self._secret = local, directory, secret
        self._lease, self._timeout = float(lease), float(timeout)
        self.node = secrets.token_hex(8)
        self._threads_started = False
        self._lock = threading.Lock()

    def start(self, toy_id, owner_id, uname, utoken):
        """Open (or reopen) the toy's session in this process, closing it on its old owner."""
        self._ensure_threads()
        previous = self._directory.owner(toy_id)
        self._directory.want(toy_id, {"owner": owner_id, "uname": uname})
        self._directory.claim(toy_id, self.node, self._lease, force=True)
        if previous and previous != self.node:
            self._directory.ask(previous, {"op": "close", "toy": toy_id}, self._timeout)
        try:
            return self._local.start(toy_id, owner_id, uname, utoken)
        except Exception:
            self._forget(toy_id)
            raise

    def connected(self, toy_id):
        """Truthy when a session can take the toy's commands: here, on a live owner, or an
        orphan this process just took over; None otherwise."""
        client = self._local.connected(toy_id)
        if client is not None:
            return client
        try:
            owner = self._directory.owner(toy_id)
            if owner is not None and owner != self.node:
                return owner
            return self._take_over(toy_id)
        except REDIS_ERRORS as exc:  # other processes' sessions are out of reach for now
            log.warning("Lovense session directory unreachable: %s", exc)
            return None

    def send(self, toy_id, body):
        """Emit the command on the owner's session (here, or through Redis)."""
        if self._local.connected(toy_id) is not None:
            self._local.send(toy_id, body)
            return
        owner = self._directory.owner(toy_id)
        if owner is None or owner == self.node:
            if self._take_over(toy_id) is None:
                raise Upstream("no Lovense socket session for this toy")
            self._local.send(toy_id, body)
            return
        answer = self._directory.ask(owner, {"op": "send", "toy": toy_id, "body": body,
                                             "at": time.time()}, self._timeout)
        if answer is None:
            raise UpstreamTimeout("the server process holding this toy's Lovense session did "
                                  "not answer; retry in a few seconds")
        if answer.get("error"):
            raise Upstream(answer["error"])

    def close(self, toy_id):
        """End the toy's session wherever it is (unbinding). Never raises for Redis: with Redis
        unreachable only this process's session is closed (and a warning logged)."""
        try:
            owner = self._directory.owner(toy_id)
            self._directory.unwant(toy_id)
            if owner and owner != self.node:
                self._directory.ask(owner, {"op": "close", "toy": toy_id}, self._timeout)
        except REDIS_ERRORS as exc:
            log.warning("Lovense session of toy %s: other processes not told (%s)", toy_id, exc)
        self._forget(toy_id)

    def close_all(self):
        for toy_id in self._local.held():
            self._forget(toy_id)

    def _forget(self, toy_id):
        self._local.close(toy_id)
        try:
            self._directory.release(toy_id, self.node)
        except REDIS_ERRORS as exc:
            log.warning("Lovense lease of toy %s not released: %s", toy_id, exc)

    def _take_over(self, toy_id):
        """Claim a wanted session whose owner is gone and connect it here → client or None."""
        record = self._directory.wanted(toy_id)
        if record is None or not self._directory.claim(toy_id, self.node, self._lease):
            return None
        self._ensure_threads()
        log.info("taking over the Lovense socket session of toy %s", toy_id)
        try:
            self._local.resume(toy_id, record["owner"], record["uname"],
                               utoken_for(self._secret, toy_id))
        except (Upstream, UpstreamTimeout):
            self._forget(toy_id)
            raise
        return self._local.connected(toy_id)

    def _ensure_threads(self):
        with self._lock:
            if self._threads_started:
                return
            self._threads_started = True
        for target, name in ((self._renew_loop, "lovense-lease"),
                             (self._request_loop, "lovense-requests")):
            threading.Thread(target=target, name=name, daemon=True).start()

    def _renew_loop(self):
        while True:
            time.sleep(self._lease / 3)
            try:
                self.renew()
            except REDIS_ERRORS as exc:
                log.warning("Lovense leases not renewed: %s", exc)
            except Exception:  # the loop must survive anything one session does
                log.exception("Lovense lease renewal failed")

    def renew(self):
        """Renew this process's leases; close sessions no longer wanted, lost to another
        process or given up; take over wanted sessions nobody holds."""
        held = self._local.held()
        for toy_id, running in held.items():
            if not running or not self._directory.renew(toy_id, self.node, self._lease):
                log.info("Lovense session of toy %s ends here", toy_id)
                self._forget(toy_id)
        for toy_id in self._directory.wanted():
            if toy_id not in held and self._directory.owner(toy_id) is None:
                try:
                    self._take_over(toy_id)
                except (Upstream, UpstreamTimeout) as exc:
                    log.warning("Lovense session of toy %s not taken over: %s", toy_id, exc)

    def _request_loop(self):
        while True:
            try:
                request = self._directory.next_request(self.node)
                if request is not None:
                    self._directory.answer(request, self.handle(request))
            except REDIS_ERRORS as exc:
                log.warning("Lovense request list unreachable: %s", exc)
                time.sleep(1.0)
            except Exception:  # a bad request must not stop the listener
                log.exception("Lovense request failed")

    def handle(self, request):
        """Run one request from another process → its answer."""
        toy_id = request.get("toy")
        if request.get("op") == "close":
            self._forget(toy_id)
            return {"ok": True}
        if time.time() - float(request.get("at") or 0) > self._timeout:
            return {"error": "command expired before the session owner got it"}
        try:
            self._local.send(toy_id, request.get("body"))
        except Upstream as exc:
            return {"error": exc.msg}
        return {"ok": True}
