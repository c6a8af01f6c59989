"""Parsing of the 24-hex ObjectId strings clients send."""

from bson import ObjectId
from bson.errors import InvalidId

from services.errors import InvalidInput


def parse_id(value, field):
    """Return ``ObjectId(value)``; raise InvalidInput naming ``field`` when it is not 24 hex."""
    if isinstance(value, ObjectId):
        return value
    try:
        return ObjectId(str(value))
    except (InvalidId, TypeError):
        raise InvalidInput(f"{field} must be a 24-character hex id") from None


def is_id(value):
    """True when ``value`` is a valid ObjectId string."""
    return isinstance(value, str) and ObjectId.is_valid(value)
