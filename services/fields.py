"""Field validation shared by the services: each failure raises InvalidInput naming the field."""

import re

from services.errors import InvalidInput

HEX32 = re.compile(r"^[0-9a-f]{32}$")


def text(body, field, *, required=True, max_len=64, min_len=1, default=""):
    """Return ``body[field]`` stripped; enforce presence and length."""
    value = body.get(field)
    if value is None or (isinstance(value, str) and value.strip() == ""):
        if required:
            raise InvalidInput(f"{field} is required")
        return default
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise InvalidInput(f"{field} must be a string")
    value = str(value).strip()
    if len(value) < min_len:
        raise InvalidInput(f"{field} must be at least {min_len} characters")
    if len(value) > max_len:
        raise InvalidInput(f"{field} must be at most {max_len} characters")
    return value


def choice(body, field, options, *, required=True, default=None):
    """Return ``body[field]`` as a string that must be one of ``options``."""
    value = text(body, field, required=required, max_len=32, default=default)
    if value is not None and value not in options:
        raise InvalidInput(f"{field} must be one of: {', '.join(options)}")
    return value


def integer(body, field, *, default, minimum, maximum):
    """Return ``body[field]`` as an int in [minimum, maximum], or ``default`` when absent."""
    value = body.get(field)
    if value is None or value == "":
        return default
    try:
        number = int(str(value))
    except ValueError:
        raise InvalidInput(f"{field} must be an integer") from None
    if not minimum <= number <= maximum:
        raise InvalidInput(f"{field} must be between {minimum} and {maximum}")
    return number


def number(body, field, *, default=None):
    """Return ``body[field]`` as a float, or ``default`` when absent."""
    value = body.get(field)
    if value is None or value == "":
        return default
    try:
        return float(str(value))
    except ValueError:
        raise InvalidInput(f"{field} must be a number") from None


def device_key(body, field="device_key"):
    """Return the device key stripped and lower-cased (400 only when missing or absurd).

    A malformed key is treated like an unknown one by the callers (a scan of a foreign QR code).
    """
    return text(body, field, max_len=128).lower()
