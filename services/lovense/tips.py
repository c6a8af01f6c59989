"""Cam Kit tip levels (seeds/003): a tip ``amount`` picks the level whose ``min <= amount <=
max`` and runs the toy at ``vLevel`` (vibration) / ``rLevel`` (rotation) for ``time`` seconds.

Levels are the owner's, stored per toy; without them the defaults below apply. They map to a
Standard API Function command, so tips travel over the same transports as /toy_control.
"""

import json

from services.errors import InvalidInput
from services.lovense import values

MAX_LEVELS = 10
MAX_TOKENS = 1_000_000
DEFAULT_LEVELS = [
    {"min": 1, "max": 9, "time": 3, "vLevel": 5, "rLevel": 0},
    {"min": 10, "max": 49, "time": 6, "vLevel": 10, "rLevel": 0},
    {"min": 50, "max": 99, "time": 10, "vLevel": 15, "rLevel": 5},
    {"min": 100, "max": MAX_TOKENS, "time": 15, "vLevel": 20, "rLevel": 10},
]


def parse_levels(raw):
    """Validate tip levels (a list or its JSON text, or Cam Kit's ``{level1: {...}}`` object);
    return them sorted by ``min``. Raises InvalidInput naming the field."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise InvalidInput("levels must be a JSON list of {min, max, time, vLevel, rLevel}") \
                from None
    if isinstance(raw, dict):
        raw = list(raw.values())
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_LEVELS:
        raise InvalidInput(f"levels must be a list of 1 to {MAX_LEVELS} levels")
    levels = []
    for index, item in enumerate(raw):
        name = f"levels[{index}]"
        if not isinstance(item, dict):
            raise InvalidInput(f"{name} must be an object {{min, max, time, vLevel, rLevel}}")
        for field in ("min", "max", "time"):
            if item.get(field) in (None, ""):
                raise InvalidInput(f"{name}.{field} is required")
        level = {
            "min": values.integer(item["min"], f"{name}.min", 1, MAX_TOKENS),
            "max": values.integer(item["max"], f"{name}.max", 1, MAX_TOKENS),
            "time": values.loop_sec(item["time"], f"{name}.time"),
            "vLevel": values.integer(item.get("vLevel", 0), f"{name}.vLevel", 0, 20),
            "rLevel": values.integer(item.get("rLevel", 0), f"{name}.rLevel", 0, 20),
        }
        if level["max"] < level["min"]:
            raise InvalidInput(f"{name}.max must not be below {name}.min")
        if level["vLevel"] == 0 and level["rLevel"] == 0:
            raise InvalidInput(f"{name}: vLevel or rLevel must be above 0")
        levels.append(level)
    levels.sort(key=lambda level: level["min"])
    for lower, upper in zip(levels, levels[1:], strict=False):
        if upper["min"] <= lower["max"]:
            raise InvalidInput("levels must not overlap")
    return levels


def level_for(levels, amount):
    """The level that ``amount`` tokens fall in, or None."""
    for level in levels:
        if level["min"] <= amount <= level["max"]:
            return level
    return None


def tip_command(level, toy=None):
    """The Function body (apiVer 1) for one tip level."""
    parts = [f"Vibrate:{level['vLevel']}"] if level["vLevel"] else []
    if level["rLevel"]:
        parts.append(f"Rotate:{level['rLevel']}")
    body = {"command": "Function", "action": ",".join(parts), "timeSec": level["time"]}
    if toy:
        body["toy"] = toy
    body["apiVer"] = 1
    return body
