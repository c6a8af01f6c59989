"""Pattern (apiVer 2) and PatternV2 (Setup/Play/Stop/SyncTime) commands (seeds/002).

Pattern ``rule`` is ``V:1;F:<features>;S:<ms>#``: features from v r p t f s d o, comma
separated, empty = all; the interval S in milliseconds. The docs say S "should be greater than
100" but their own example uses ``S:100``, so 100 is the smallest accepted. ``strength`` is up
to 50 levels 0-20 joined by ``;``.
"""

import json
import re

from services.errors import InvalidInput
from services.lovense import values

RULE = re.compile(r"^V:1;F:([a-z]?(?:,[a-z])*);S:([0-9]{1,7})#$")
FEATURES = set("vrptfsdo")
MIN_INTERVAL_MS = 100
MAX_STRENGTHS = 50
MAX_TS_MS = 7_200_000
MAX_OFFSET_MS = 15_000
MAX_ACTIONS = 100_000
PATTERN_V2_TYPES = {"setup": "Setup", "play": "Play", "stop": "Stop", "synctime": "SyncTime"}


def parse_rule(raw):
    """Validate a Pattern ``rule``; return it unchanged. Raises InvalidInput naming ``rule``."""
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidInput("rule is required, e.g. V:1;F:v;S:1000#")
    rule = raw.strip()
    match = RULE.match(rule)
    if not match:
        raise InvalidInput("rule must look like V:1;F:v,r;S:1000# (F may be empty)")
    letters = [f for f in match.group(1).split(",") if f]
    unknown = [f for f in letters if f not in FEATURES]
    if unknown:
        raise InvalidInput(f"rule: unknown feature {unknown[0]!r}; use v,r,p,t,f,s,d,o")
    if len(set(letters)) != len(letters):
        raise InvalidInput("rule: a feature is listed twice")
    if int(match.group(2)) < MIN_INTERVAL_MS:
        raise InvalidInput(f"rule: S (interval in ms) must be at least {MIN_INTERVAL_MS}")
    return rule


def parse_strength(raw):
    """Validate ``strength`` (``20;5;10``): 1-50 levels 0-20. Returns the normalised string."""
    if isinstance(raw, list):
        raw = ";".join(str(v) for v in raw)
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidInput("strength is required, e.g. 20;20;5;20;10")
    levels = [part.strip() for part in raw.strip().strip(";").split(";")]
    if len(levels) > MAX_STRENGTHS:
        raise InvalidInput(f"strength: at most {MAX_STRENGTHS} levels")
    if not all(re.fullmatch(r"[0-9]{1,2}", level) and int(level) <= 20 for level in levels):
        raise InvalidInput("strength: each level must be a whole number 0-20, joined by ;")
    return ";".join(str(int(level)) for level in levels)


def build_pattern(params):
    """The LAN body of a Pattern command (apiVer 2)."""
    body = {
        "command": "Pattern",
        "rule": parse_rule(params.get("rule")),
        "strength": parse_strength(params.get("strength")),
        "timeSec": values.time_sec(values.required(params, "timeSec")),
    }
    return values.finish(body, params, 2, "Pattern")


def parse_actions(raw):
    """PatternV2 Setup ``actions``: a list (or its JSON text) of ``{ts, pos}`` with ts strictly
    increasing, at most 7 200 000 ms, and pos 0-100. Returns clean ``[{"ts", "pos"}]``."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise InvalidInput("actions must be a JSON list of {ts, pos}") from None
    if not isinstance(raw, list) or not raw:
        raise InvalidInput("actions must be a non-empty list of {ts, pos}")
    if len(raw) > MAX_ACTIONS:
        raise InvalidInput(f"actions: at most {MAX_ACTIONS} entries")
    out, previous = [], -1
    for index, item in enumerate(raw):
        if not isinstance(item, dict) or "ts" not in item or "pos" not in item:
            raise InvalidInput(f"actions[{index}] must be an object with ts and pos")
        ts = values.integer(item["ts"], f"actions[{index}].ts", 0, MAX_TS_MS)
        if ts <= previous:
            raise InvalidInput(f"actions[{index}].ts must be greater than the previous ts")
        pos = values.integer(item["pos"], f"actions[{index}].pos", 0, 100)
        out.append({"ts": ts, "pos": pos})
        previous = ts
    return out


def _pattern_v2_type(params):
    raw = values.required(params, "type")
    kind = PATTERN_V2_TYPES.get(str(raw).strip().lower()) if isinstance(raw, str) else None
    if kind is None:
        raise InvalidInput("type must be one of: Setup, Play, Stop, SyncTime")
    return kind


def build_pattern_v2(params):
    """The LAN body of a PatternV2 command (apiVer 1) for its four operations."""
    kind = _pattern_v2_type(params)
    body = {"command": "PatternV2", "type": kind}
    if kind == "Setup":
        body["actions"] = parse_actions(params.get("actions"))
    if kind in ("Play", "Stop"):
        values.add_toy(body, params)
    if kind == "Play":
        for field, high in (("startTime", MAX_TS_MS), ("offsetTime", MAX_OFFSET_MS)):
            if params.get(field) not in (None, ""):
                body[field] = values.integer(params[field], field, 0, high)
    body["apiVer"] = values.api_ver(params, 1, "PatternV2")
    return body
