"""Value parsers for Lovense command fields.

Bodies arrive as JSON (numbers) or form fields (strings); every parser accepts both and raises
InvalidInput naming the field. Booleans, NaN and infinities are never numbers here.
"""

import math
import re

from services.errors import InvalidInput

TOY_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
MAX_SECONDS = 24 * 3600.0


def _number(value, field):
    if isinstance(value, bool) or value is None:
        raise InvalidInput(f"{field} must be a number")
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise InvalidInput(f"{field} must be a number") from None
    else:
        raise InvalidInput(f"{field} must be a number")
    if not math.isfinite(number):
        raise InvalidInput(f"{field} must be a finite number")
    return number


def compact(number):
    """``20.0`` → ``20``; keep fractions (Lovense takes doubles, the docs show integers)."""
    return int(number) if float(number).is_integer() else number


def integer(value, field, low, high):
    """``value`` as an int in [low, high]; ``"7"`` and ``7.0`` pass, ``7.5`` does not."""
    number = _number(value, field)
    if not number.is_integer():
        raise InvalidInput(f"{field} must be a whole number")
    if not low <= number <= high:
        raise InvalidInput(f"{field} must be between {low} and {high}")
    return int(number)


def time_sec(value, field="timeSec"):
    """Total running time: 0 (until stopped) or more than 1 second (Standard API, Function)."""
    number = _number(value, field)
    if number != 0 and not 1 < number <= MAX_SECONDS:
        raise InvalidInput(f"{field} must be 0 (until stopped) or greater than 1 second")
    return compact(number)


def loop_sec(value, field):
    """loopRunningSec / loopPauseSec: greater than 1 second."""
    number = _number(value, field)
    if not 1 < number <= MAX_SECONDS:
        raise InvalidInput(f"{field} must be greater than 1 second")
    return compact(number)


def toy(params, field="toy"):
    """The optional Lovense toy id (absent or empty = all toys); None when absent."""
    value = params.get(field)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not TOY_ID.match(value.strip()):
        raise InvalidInput(f"{field} must be a Lovense toy id (letters, digits, up to 64)")
    return value.strip()


def add_toy(body, params):
    """Copy the optional ``toy`` into ``body`` (validated); absent means all toys."""
    value = toy(params)
    if value is not None:
        body["toy"] = value
    return body


def finish(body, params, expected, command):
    """Add the optional ``toy`` and the command's fixed ``apiVer`` to a LAN body."""
    add_toy(body, params)
    body["apiVer"] = api_ver(params, expected, command)
    return body


def api_ver(params, expected, command):
    """``apiVer`` is fixed per command: absent means the expected value, another value is 400."""
    value = params.get("apiVer")
    if value is None or value == "":
        return expected
    if integer(value, "apiVer", 0, 99) != expected:
        raise InvalidInput(f"apiVer must be {expected} for {command}")
    return expected


def required(params, field):
    """``params[field]``, raising InvalidInput when missing or empty."""
    value = params.get(field)
    if value is None or (isinstance(value, str) and value.strip() == ""):
        raise InvalidInput(f"{field} is required")
    return value
