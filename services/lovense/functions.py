"""Function and Position commands (Standard API, LAN and server; seeds/002, LOVENSE.md).

``action`` is a comma-joined list of ``Name:level``: Vibrate, Rotate, Thrusting, Fingering,
Suction, Oscillate and All take 0-20, Pump and Depth 0-3, ``Stroke:min-max`` takes 0-100 with
max - min >= 20 and only together with Thrusting; or the single word ``Stop``.
"""

import re

from services.errors import InvalidInput
from services.lovense import values

LEVELS = {
    "Vibrate": 20, "Rotate": 20, "Thrusting": 20, "Fingering": 20, "Suction": 20,
    "Oscillate": 20, "All": 20, "Pump": 3, "Depth": 3,
}
CANONICAL = {name.lower(): name for name in [*LEVELS, "Stroke"]}
STROKE = re.compile(r"([0-9]{1,3})-([0-9]{1,3})")
LEVEL = re.compile(r"[0-9]{1,3}")
STROKE_MIN_GAP = 20
MAX_ACTIONS = 16


def _level(name, raw):
    if not LEVEL.fullmatch(raw):
        raise InvalidInput(f"action: {name} needs a whole level, e.g. {name}:10")
    level = int(raw)
    if level > LEVELS[name]:
        raise InvalidInput(f"action: {name} level must be between 0 and {LEVELS[name]}")
    return str(level)


def _stroke(raw):
    match = STROKE.fullmatch(raw)
    if not match:
        raise InvalidInput("action: Stroke needs a range min-max, e.g. Stroke:0-20")
    low, high = int(match.group(1)), int(match.group(2))
    if high > 100:
        raise InvalidInput("action: Stroke range must be within 0-100")
    if high - low < STROKE_MIN_GAP:
        raise InvalidInput("action: Stroke max must be at least 20 above min")
    return f"{low}-{high}"


def parse_action(raw):
    """Validate an ``action`` string and return it with canonical names (``vibrate:5`` →
    ``Vibrate:5``). Raises InvalidInput naming ``action``."""
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidInput("action is required (e.g. Vibrate:10 or Stop)")
    if raw.strip().lower() == "stop":
        return "Stop"
    parts = [part.strip() for part in raw.split(",")]
    if len(parts) > MAX_ACTIONS:
        raise InvalidInput(f"action: at most {MAX_ACTIONS} functions")
    seen, out = set(), []
    for part in parts:
        key, sep, level = (p.strip() for p in part.partition(":"))
        name = CANONICAL.get(key.lower())
        if name is None or not sep:
            if key.lower() == "stop":
                raise InvalidInput("action: Stop cannot be combined with other functions")
            raise InvalidInput(f"action: unknown function {key[:20]!r}; use "
                               f"{', '.join(CANONICAL.values())} or Stop")
        if name in seen:
            raise InvalidInput(f"action: {name} given twice")
        seen.add(name)
        out.append(f"{name}:{_stroke(level) if name == 'Stroke' else _level(name, level)}")
    if "Stroke" in seen and "Thrusting" not in seen:
        raise InvalidInput("action: Stroke must be combined with Thrusting")
    return ",".join(out)


def build_function(params):
    """The LAN body of a Function command (apiVer 1)."""
    action = parse_action(params.get("action"))
    raw_time = params.get("timeSec")
    if raw_time is None or raw_time == "":
        if action != "Stop":
            raise InvalidInput("timeSec is required (0 = until stopped, else more than 1)")
        raw_time = 0
    body = {"command": "Function", "action": action, "timeSec": values.time_sec(raw_time)}
    for field in ("loopRunningSec", "loopPauseSec"):
        if params.get(field) not in (None, ""):
            body[field] = values.loop_sec(params[field], field)
    values.add_toy(body, params)
    if params.get("stopPrevious") not in (None, ""):
        body["stopPrevious"] = values.integer(params["stopPrevious"], "stopPrevious", 0, 1)
    body["apiVer"] = values.api_ver(params, 1, "Function")
    return body


def build_position(params):
    """The LAN body of a Position command: ``value`` a string "0"-"100" (Solace Pro)."""
    value = values.integer(values.required(params, "value"), "value", 0, 100)
    body = {"command": "Position", "value": str(value)}
    return values.finish(body, params, 1, "Position")
