"""Validate a ``/toy_control`` request and build the Lovense LAN body; shape the answers.

``build_command(params)`` is pure: every parameter and range of the Standard API (seeds/002) is
checked before anything is sent, and InvalidInput names the bad field. Only documented fields are
forwarded; ``apiVer`` is set per command (Pattern 2, others 1, GetToys/GetToyName none).
"""

import json

from services.errors import InvalidInput
from services.lovense import values
from services.lovense.functions import build_function, build_position
from services.lovense.patterns import build_pattern, build_pattern_v2

PRESETS = ("pulse", "wave", "fireworks", "earthquake")
# The server API (api/lan/v2/command) documents only these three (seeds/002, Step 3B).
SERVER_COMMANDS = frozenset({"Function", "Pattern", "Preset"})


def build_preset(params):
    """The LAN body of a Preset command (apiVer 1)."""
    name = values.required(params, "name")
    if not isinstance(name, str) or name.strip().lower() not in PRESETS:
        raise InvalidInput(f"name must be one of: {', '.join(PRESETS)}")
    body = {
        "command": "Preset",
        "name": name.strip().lower(),
        "timeSec": values.time_sec(values.required(params, "timeSec")),
    }
    return values.finish(body, params, 1, "Preset")


BUILDERS = {
    "GetToys": lambda params: {"command": "GetToys"},
    "GetToyName": lambda params: {"command": "GetToyName"},
    "Function": build_function,
    "Position": build_position,
    "Pattern": build_pattern,
    "PatternV2": build_pattern_v2,
    "Preset": build_preset,
}
CANONICAL = {name.lower(): name for name in BUILDERS}


def build_command(params):
    """Return the LAN JSON body for ``params`` (``command`` plus its fields).

    Raises InvalidInput naming the field for an unknown command or any bad parameter.
    """
    raw = params.get("command")
    name = CANONICAL.get(raw.strip().lower()) if isinstance(raw, str) else None
    if name is None:
        raise InvalidInput(f"command must be one of: {', '.join(BUILDERS)}")
    return BUILDERS[name](params)


def parse_toys(raw):
    """GetToys' ``data.toys`` is a JSON *string* keyed by toy id: return it as an object."""
    if isinstance(raw, dict):
        return raw
    if not isinstance(raw, str) or not raw.strip():
        return {}
    try:
        toys = json.loads(raw)
    except ValueError:
        return {}
    return toys if isinstance(toys, dict) else {}


def shape_result(body, payload):
    """The answer to ``body`` as returned to our client: GetToys' toys parsed into objects."""
    if body.get("command") != "GetToys" or not isinstance(payload, dict):
        return payload
    data = payload.get("data")
    if not isinstance(data, dict):
        return payload
    return {**payload, "data": {**data, "toys": parse_toys(data.get("toys"))}}
