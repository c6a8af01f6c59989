"""Linking a toy to the Lovense Remote app (Standard API, seeds/002 steps 2-3).

``utoken`` is HMAC-SHA256 of the uid (our toy id) keyed by SECRET_KEY: the callback's only proof
that it comes from an app that scanned our QR code, checked in constant time. The callback body
is JSON or form, ports strings or ints, ``toys`` an object (or its JSON text in a form).
"""

import hashlib
import hmac
import json
import time

from services.errors import Forbidden
from services.store.ids import is_id

MAX_TOYS = 32
TEXT_FIELDS = ("appType", "platform", "appVersion", "version")


def utoken_for(secret, uid):
    """The utoken we issue for ``uid``."""
    return hmac.new(str(secret).encode(), f"lovense:{uid}".encode(), hashlib.sha256).hexdigest()


def verify_utoken(secret, uid, utoken):
    """Raise Forbidden unless ``utoken`` is ours for ``uid`` (constant-time comparison)."""
    if not isinstance(uid, str) or not isinstance(utoken, str) or not is_id(uid):
        raise Forbidden("invalid utoken")
    if not hmac.compare_digest(utoken_for(secret, uid).encode(), utoken.encode()):
        raise Forbidden("invalid utoken")


def _short(value, limit=64):
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value)[:limit]


def _port(value):
    try:
        port = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return port if 0 < port < 65536 else None


def _toys(raw):
    """``{id: {id, name, nickName, status}}`` from the callback (object or JSON text)."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}
    if isinstance(raw, list):
        raw = {str(t.get("id")): t for t in raw if isinstance(t, dict)}
    if not isinstance(raw, dict):
        return {}
    toys = {}
    for key, toy in list(raw.items())[:MAX_TOYS]:
        if isinstance(toy, dict):
            entry = {f: _short(toy[f]) for f in ("id", "name", "nickName")
                     if _short(toy.get(f)) is not None}
            status = toy.get("status")
            if isinstance(status, (int, str)) and not isinstance(status, bool):
                entry["status"] = status
            toys[_short(key)] = entry
    return toys


def device_info(body, now=None):
    """The device info we keep from a callback body (SPEC §10 fields plus the other ports)."""
    info = {"domain": _short(body.get("domain"), 253), "toys": _toys(body.get("toys")),
            "updated_at": time.time() if now is None else now, "source": "callback"}
    for field in ("httpsPort", "httpPort", "wsPort", "wssPort"):
        info[field] = _port(body.get(field))
    for field in TEXT_FIELDS:
        info[field] = _short(body.get(field))
    return info


def socket_device_info(data, now=None):
    """The device info we keep from ``basicapi_update_device_info_tc`` (seeds/000)."""
    toys = {}
    for toy in (data.get("toyList") or [])[:MAX_TOYS]:
        if isinstance(toy, dict) and toy.get("id") is not None:
            toys[_short(toy["id"])] = {k: toy[k] for k in (
                "id", "name", "toyType", "nickname", "hVersion", "fVersion", "battery",
                "connected") if k in toy and not isinstance(toy[k], (dict, list))}
    info = {"domain": _short(data.get("domain"), 253), "toys": toys,
            "httpsPort": _port(data.get("httpsPort")), "wssPort": _port(data.get("wssPort")),
            "deviceCode": _short(data.get("deviceCode")), "online": bool(data.get("online")),
            "updated_at": time.time() if now is None else now, "source": "socket"}
    for field in ("appType", "platform", "appVersion"):
        info[field] = _short(data.get(field))
    return info
