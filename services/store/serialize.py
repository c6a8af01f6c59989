"""to_public(): the shapes documents take in responses (ids as strings, no secrets)."""

from bson import ObjectId

USER_FIELDS = ("_id", "username", "nickname", "gender", "avatar", "friend_list", "bind_toys")
TOY_FIELDS = ("_id", "device_key", "bind_user", "toy_name", "baby_name", "avatar", "friend_list")
REQUEST_FIELDS = ("_id", "req_user", "add_user", "type", "req_info", "remark", "avatar",
                  "nickname", "toy_name", "status", "create_time")
CONTENT_FIELDS = ("_id", "title", "music", "cover", "create_time", "duration")


_SCALARS = (str, int, float, bool, type(None))


def _plain(value):
    if type(value) in _SCALARS:
        return value
    if isinstance(value, ObjectId):
        return str(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def pick(doc, fields):
    """Copy ``fields`` present in ``doc`` with ObjectIds turned into strings."""
    return {f: _plain(doc[f]) for f in fields if f in doc}


def user_public(doc):
    """A user as the API returns it: never the password hash."""
    out = pick(doc, USER_FIELDS)
    out.setdefault("friend_list", [])
    out.setdefault("bind_toys", [])
    return out


def toy_public(doc):
    """A toy as the API returns it, plus its Lovense link summary when linked."""
    out = pick(doc, TOY_FIELDS)
    if doc.get("lovense"):
        info = doc["lovense"]
        out["lovense"] = {k: _plain(v) for k, v in info.items() if k != "utoken"}
    return out


def request_public(doc):
    return pick(doc, REQUEST_FIELDS)


def content_public(doc):
    return pick(doc, CONTENT_FIELDS)
