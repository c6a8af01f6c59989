"""Redis keys that let several server processes drive Lovense as one (``REDIS_URL`` set).

- ``lovense:pace:<toy>``: the next free command slot of a toy, in microseconds of the Redis
  server's clock (one clock for every host), reserved atomically by a Lua script.
- ``lovense:sessions``: hash toy id → JSON ``{owner, uname}``, the Basic Socket API sessions
  that should be open (written by ``/lovense/socket/start``, removed when closed).
- ``lovense:lease:<toy>``: the id of the process holding the toy's socket session, with a
  lease (PX) that the holder renews; when it dies the key expires and another process claims it.
- ``lovense:inbox:<process>``: a list of requests (send a command, close a session) for the
  process holding a session; ``lovense:reply:<id>``: the answer to one request.
"""

import json
import secrets

PACE_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local nxt = tonumber(redis.call('GET', KEYS[1]) or now)
local slot = now
if ARGV[3] == '0' and nxt > now then slot = nxt end
if slot - now > tonumber(ARGV[2]) then return {0, slot - now} end
local after = math.max(slot, nxt) + tonumber(ARGV[1])
redis.call('SET', KEYS[1], after, 'PX', math.floor((after - now) / 1000) + 1000)
return {1, slot - now}
"""
RENEW_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
RELEASE_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
BLOCK_SECONDS = 1  # below the client's 2 s socket timeout


class PaceSlots:
    """Per-toy command slots shared by every process (see module doc)."""

    def __init__(self, client, prefix, breaker):
        self._redis, self._prefix, self._breaker = client, prefix, breaker
        self._script = client.register_script(PACE_SCRIPT)

    def reserve(self, toy_id, interval, max_wait, urgent=False):
        """Reserve the toy's next slot → ``(granted, seconds to wait)``; not granted when the
        slot is more than ``max_wait`` away. Raises on Redis errors (breaker open included)."""
        granted, wait_us = self._breaker.call(
            self._script, keys=[f"{self._prefix}lovense:pace:{toy_id}"],
            args=[int(interval * 1e6), int(max_wait * 1e6), int(bool(urgent))])
        return bool(granted), int(wait_us) / 1e6


class SessionDirectory:
    """Wanted sessions, leases and per-process request lists (see module doc)."""

    def __init__(self, client, prefix, breaker):
        self._redis, self._prefix, self._breaker = client, prefix, breaker
        self._renew = client.register_script(RENEW_SCRIPT)
        self._release = client.register_script(RELEASE_SCRIPT)

    def _key(self, *parts):
        return self._prefix + "lovense:" + ":".join(parts)

    def _call(self, fn, *args, **kwargs):
        return self._breaker.call(fn, *args, **kwargs)

    def want(self, toy_id, record):
        self._call(self._redis.hset, self._key("sessions"), toy_id, json.dumps(record))

    def unwant(self, toy_id):
        self._call(self._redis.hdel, self._key("sessions"), toy_id)

    def wanted(self, toy_id=None):
        """The record of ``toy_id`` (None when not wanted), or every wanted record by toy id."""
        if toy_id is not None:
            raw = self._call(self._redis.hget, self._key("sessions"), toy_id)
            return json.loads(raw) if raw else None
        raw = self._call(self._redis.hgetall, self._key("sessions"))
        return {toy: json.loads(value) for toy, value in raw.items()}

    def owner(self, toy_id):
        """The process holding the toy's lease, or None."""
        return self._call(self._redis.get, self._key("lease", toy_id))

    def claim(self, toy_id, node, lease, force=False):
        """Take the lease (only if free unless ``force``) → True when ``node`` now holds it."""
        return bool(self._call(self._redis.set, self._key("lease", toy_id), node,
                               px=int(lease * 1000), nx=not force))

    def renew(self, toy_id, node, lease):
        """Extend ``node``'s lease → False when another process holds it (or nobody)."""
        return bool(self._call(self._renew, keys=[self._key("lease", toy_id)],
                               args=[node, int(lease * 1000)]))

    def release(self, toy_id, node):
        self._call(self._release, keys=[self._key("lease", toy_id)], args=[node])

    def ask(self, node, request, timeout):
        """Queue ``request`` for process ``node`` and wait up to ``timeout`` seconds for its
        answer → the answer dict, or None when none came."""
        reply = self._key("reply", secrets.token_hex(8))
        inbox = self._key("inbox", node)
        pipe = self._redis.pipeline()
        pipe.rpush(inbox, json.dumps({**request, "reply": reply}))
        pipe.pexpire(inbox, int(max(timeout, 1) * 1000))
        self._call(pipe.execute)
        waited = 0.0
        while waited < timeout:
            step = max(0.05, min(BLOCK_SECONDS, timeout - waited))
            popped = self._call(self._redis.blpop, [reply], timeout=step)
            if popped is not None:
                return json.loads(popped[1])
            waited += step
        return None

    def next_request(self, node):
        """The next request for ``node`` (blocks up to a second) or None. Not behind the
        breaker: it runs in a background loop, not on a request path."""
        popped = self._redis.blpop([self._key("inbox", node)], timeout=BLOCK_SECONDS)
        return json.loads(popped[1]) if popped else None

    def answer(self, request, answer):
        pipe = self._redis.pipeline()
        pipe.rpush(request["reply"], json.dumps(answer))
        pipe.pexpire(request["reply"], 10_000)
        pipe.execute()
