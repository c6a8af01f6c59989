"""Lovense command validation and LAN bodies (services/lovense), against seeds/002."""

import json

import pytest

from services.errors import InvalidInput
from services.lovense.codes import lovense_error
from services.lovense.commands import build_command, parse_toys, shape_result
from tests.fakes.netguard import loopback_only  # noqa: F401  (autouse guard)

DOC_EXAMPLES = [
    {"command": "GetToys"},
    {"command": "GetToyName"},
    {"command": "Function", "action": "Vibrate:16", "timeSec": 20, "loopRunningSec": 9,
     "loopPauseSec": 4, "toy": "ff922f7fd345", "apiVer": 1},
    {"command": "Function", "action": "Vibrate:2,Rotate:3,Pump:3", "timeSec": 20,
     "loopRunningSec": 9, "loopPauseSec": 4, "apiVer": 1},
    {"command": "Function", "action": "Vibrate:2,All:10", "timeSec": 20, "loopRunningSec": 9,
     "loopPauseSec": 4, "apiVer": 1},
    {"command": "Function", "action": "Stroke:0-20,Thrusting:10", "timeSec": 20, "apiVer": 1},
    {"command": "Function", "action": "Stop", "timeSec": 0, "apiVer": 1},
    {"command": "Pattern", "rule": "V:1;F:v;S:1000#", "strength": "20;20;5;20;10",
     "timeSec": 9, "toy": "ff922f7fd345", "apiVer": 2},
    {"command": "Pattern", "rule": "V:1;F:v,r,p;S:100#", "strength": "20;20;5;20;10",
     "timeSec": 9, "apiVer": 2},
    {"command": "PatternV2", "type": "Setup", "actions": [
        {"ts": 0, "pos": 10}, {"ts": 100, "pos": 100}, {"ts": 200, "pos": 10},
        {"ts": 400, "pos": 15}, {"ts": 800, "pos": 88}], "apiVer": 1},
    {"command": "PatternV2", "type": "Play", "toy": "ff922f7fd345", "startTime": 100,
     "offsetTime": 300, "apiVer": 1},
    {"command": "PatternV2", "type": "Stop", "toy": "ff922f7fd345", "apiVer": 1},
    {"command": "PatternV2", "type": "SyncTime", "apiVer": 1},
    {"command": "Preset", "name": "pulse", "timeSec": 9, "toy": "ff922f7fd345", "apiVer": 1},
    {"command": "Position", "value": "38", "toy": "ff922f7fd345", "apiVer": 1},
]


@pytest.mark.parametrize("example", DOC_EXAMPLES, ids=lambda e: e["command"])
def test_documented_examples_pass_through_unchanged(example):
    assert build_command(dict(example)) == example


def test_defaults_fill_api_ver_per_command():
    assert build_command({"command": "Pattern", "rule": "V:1;F:;S:500#", "strength": "1",
                          "timeSec": 0})["apiVer"] == 2
    assert build_command({"command": "Preset", "name": "wave", "timeSec": 5})["apiVer"] == 1
    assert build_command({"command": "Function", "action": "Stop"}) == {
        "command": "Function", "action": "Stop", "timeSec": 0, "apiVer": 1}


def test_form_strings_become_documented_types():
    body = build_command({"command": "function", "action": "vibrate:7,rotate:3",
                          "timeSec": "12.5", "stopPrevious": "0", "loopRunningSec": "2",
                          "toy": "", "toy_id": "ours", "token": "never-forwarded"})
    assert body == {"command": "Function", "action": "Vibrate:7,Rotate:3", "timeSec": 12.5,
                    "loopRunningSec": 2, "stopPrevious": 0, "apiVer": 1}
    setup = build_command({"command": "PatternV2", "type": "setup",
                           "actions": json.dumps([{"ts": "0", "pos": "5"}])})
    assert setup["actions"] == [{"ts": 0, "pos": 5}]
    assert build_command({"command": "Position", "value": 100})["value"] == "100"


INVALID = [
    ({"command": "Explode"}, "command"),
    ({}, "command"),
    ({"command": "Function", "timeSec": 5}, "action"),
    ({"command": "Function", "action": "Vibrate:21", "timeSec": 5}, "action"),
    ({"command": "Function", "action": "Vibrate:-1", "timeSec": 5}, "action"),
    ({"command": "Function", "action": "Vibrate:2.5", "timeSec": 5}, "action"),
    ({"command": "Function", "action": "Vibrate:²", "timeSec": 5}, "action"),
    ({"command": "Function", "action": "Pump:4", "timeSec": 5}, "action"),
    ({"command": "Function", "action": "Depth:4", "timeSec": 5}, "action"),
    ({"command": "Function", "action": "All:21", "timeSec": 5}, "action"),
    ({"command": "Function", "action": "Wiggle:3", "timeSec": 5}, "action"),
    ({"command": "Function", "action": "Vibrate", "timeSec": 5}, "action"),
    ({"command": "Function", "action": "Vibrate:3,Vibrate:4", "timeSec": 5}, "action"),
    ({"command": "Function", "action": "Vibrate:3,Stop", "timeSec": 5}, "action"),
    ({"command": "Function", "action": "Stroke:0-20", "timeSec": 5}, "action"),
    ({"command": "Function", "action": "Stroke:0-19,Thrusting:5", "timeSec": 5}, "action"),
    ({"command": "Function", "action": "Stroke:50-40,Thrusting:5", "timeSec": 5}, "action"),
    ({"command": "Function", "action": "Stroke:0-101,Thrusting:5", "timeSec": 5}, "action"),
    ({"command": "Function", "action": "Vibrate:3"}, "timeSec"),
    ({"command": "Function", "action": "Vibrate:3", "timeSec": 1}, "timeSec"),
    ({"command": "Function", "action": "Vibrate:3", "timeSec": 0.5}, "timeSec"),
    ({"command": "Function", "action": "Vibrate:3", "timeSec": -2}, "timeSec"),
    ({"command": "Function", "action": "Vibrate:3", "timeSec": "nan"}, "timeSec"),
    ({"command": "Function", "action": "Vibrate:3", "timeSec": True}, "timeSec"),
    ({"command": "Function", "action": "Vibrate:3", "timeSec": 5, "loopRunningSec": 1},
     "loopRunningSec"),
    ({"command": "Function", "action": "Vibrate:3", "timeSec": 5, "loopPauseSec": "x"},
     "loopPauseSec"),
    ({"command": "Function", "action": "Vibrate:3", "timeSec": 5, "stopPrevious": 2},
     "stopPrevious"),
    ({"command": "Function", "action": "Vibrate:3", "timeSec": 5, "toy": "a b"}, "toy"),
    ({"command": "Function", "action": "Vibrate:3", "timeSec": 5, "apiVer": 2}, "apiVer"),
    ({"command": "Position", "value": "101"}, "value"),
    ({"command": "Position"}, "value"),
    ({"command": "Position", "value": "5", "apiVer": 2}, "apiVer"),
    ({"command": "Pattern", "rule": "V:1;F:v;S:99#", "strength": "1", "timeSec": 5}, "rule"),
    ({"command": "Pattern", "rule": "V:2;F:v;S:1000#", "strength": "1", "timeSec": 5}, "rule"),
    ({"command": "Pattern", "rule": "V:1;F:x;S:1000#", "strength": "1", "timeSec": 5}, "rule"),
    ({"command": "Pattern", "rule": "V:1;F:v,v;S:1000#", "strength": "1", "timeSec": 5},
     "rule"),
    ({"command": "Pattern", "rule": "V:1;F:v;S:1000", "strength": "1", "timeSec": 5}, "rule"),
    ({"command": "Pattern", "strength": "1", "timeSec": 5}, "rule"),
    ({"command": "Pattern", "rule": "V:1;F:v;S:1000#", "strength": "21", "timeSec": 5},
     "strength"),
    ({"command": "Pattern", "rule": "V:1;F:v;S:1000#", "strength": ";".join(["1"] * 51),
      "timeSec": 5}, "strength"),
    ({"command": "Pattern", "rule": "V:1;F:v;S:1000#", "strength": "1;;2", "timeSec": 5},
     "strength"),
    ({"command": "Pattern", "rule": "V:1;F:v;S:1000#", "strength": "1"}, "timeSec"),
    ({"command": "Pattern", "rule": "V:1;F:v;S:1000#", "strength": "1", "timeSec": 5,
      "apiVer": 1}, "apiVer"),
    ({"command": "PatternV2", "type": "Rewind"}, "type"),
    ({"command": "PatternV2"}, "type"),
    ({"command": "PatternV2", "type": "Setup"}, "actions"),
    ({"command": "PatternV2", "type": "Setup", "actions": []}, "actions"),
    ({"command": "PatternV2", "type": "Setup", "actions": "not json"}, "actions"),
    ({"command": "PatternV2", "type": "Setup",
      "actions": [{"ts": 0, "pos": 1}, {"ts": 0, "pos": 2}]}, "actions[1].ts"),
    ({"command": "PatternV2", "type": "Setup",
      "actions": [{"ts": 100, "pos": 1}, {"ts": 50, "pos": 2}]}, "actions[1].ts"),
    ({"command": "PatternV2", "type": "Setup", "actions": [{"ts": 7_200_001, "pos": 1}]},
     "actions[0].ts"),
    ({"command": "PatternV2", "type": "Setup", "actions": [{"ts": 0, "pos": 101}]},
     "actions[0].pos"),
    ({"command": "PatternV2", "type": "Setup", "actions": [{"ts": 0}]}, "actions[0]"),
    ({"command": "PatternV2", "type": "Play", "startTime": 7_200_001}, "startTime"),
    ({"command": "PatternV2", "type": "Play", "offsetTime": 15_001}, "offsetTime"),
    ({"command": "PatternV2", "type": "Play", "offsetTime": -1}, "offsetTime"),
    ({"command": "PatternV2", "type": "Stop", "apiVer": 2}, "apiVer"),
    ({"command": "Preset", "name": "tsunami", "timeSec": 5}, "name"),
    ({"command": "Preset", "timeSec": 5}, "name"),
    ({"command": "Preset", "name": "wave"}, "timeSec"),
]


@pytest.mark.parametrize("params,field", INVALID)
def test_invalid_input_names_the_field(params, field):
    with pytest.raises(InvalidInput) as caught:
        build_command(params)
    assert caught.value.msg.startswith(field), caught.value.msg


def test_boundaries_that_are_valid():
    assert build_command({"command": "Function", "action": "Stroke:80-100,Thrusting:20",
                          "timeSec": 1.5})["action"] == "Stroke:80-100,Thrusting:20"
    assert build_command({"command": "Function", "action": "Pump:3,Depth:0,Oscillate:20",
                          "timeSec": 0})["timeSec"] == 0
    assert build_command({"command": "Pattern", "rule": "V:1;F:v,r,p,t,f,s,d,o;S:101#",
                          "strength": ";".join(["20"] * 50), "timeSec": 2})
    assert build_command({"command": "PatternV2", "type": "Setup", "actions": [
        {"ts": 0, "pos": 0}, {"ts": 7_200_000, "pos": 100}]})
    assert build_command({"command": "PatternV2", "type": "Play", "startTime": 7_200_000,
                          "offsetTime": 15_000})["offsetTime"] == 15_000


def test_get_toys_string_is_parsed_into_objects():
    toys = '{"f0": {"id": "f0", "status": "1", "battery": null, "name": "nora"}}'
    shaped = shape_result({"command": "GetToys"},
                          {"code": 200, "type": "OK", "data": {"toys": toys, "platform": "ios"}})
    assert shaped["data"]["toys"] == {"f0": {"id": "f0", "status": "1", "battery": None,
                                             "name": "nora"}}
    assert shaped["data"]["platform"] == "ios"
    assert parse_toys("") == {} and parse_toys("[1]") == {} and parse_toys("{bad") == {}
    other = {"code": 200, "data": ["Nora"]}
    assert shape_result({"command": "GetToyName"}, other) is other


def test_error_codes_have_human_messages():
    assert lovense_error(507, "server").msg == "Lovense app is offline"
    assert lovense_error(402, "lan").msg == "toy not connected"
    error = lovense_error(999, "lan")
    assert error.status == 502 and error.data == {"lovense_code": 999} and "999" in error.msg
