"""SPEC §10 over HTTP: linking, /toy_control transports and failover, codes, ownership, secrecy.

The app runs its real Lovense clients against loopback fakes (LOVENSE_API_BASE, a test CA in
LOVENSE_CA_BUNDLE), so every assertion is on what the fakes received.
"""

import logging

import pytest

from services.lovense.linking import utoken_for
from services.notify import Notifier
from tests.fakes import lovense_cloud as paths
from tests.fakes.lovense_fixtures import (  # noqa: F401
    DEV_TOKEN,
    authority_fixture,
    cloud_fixture,
    lan_app_fixture,
)
from tests.fakes.netguard import loopback_only  # noqa: F401  (autouse guard)
from tests.fakes.tls import LAN_NAME
from tests.support import Api

SECRET = "lovense-test-secret-0123456789"


class RecordingNotifier(Notifier):
    def __init__(self):
        super().__init__()
        self.sent = []

    def emit(self, event, data, to):
        self.sent.append((event, data, str(to)))
        super().emit(event, data, to)


@pytest.fixture
def notifier():
    return RecordingNotifier()


@pytest.fixture
def lovense_config(authority, cloud):
    return {"LOVENSE_DEVELOPER_TOKEN": DEV_TOKEN, "LOVENSE_API_BASE": cloud.base_url,
            "LOVENSE_CA_BUNDLE": str(authority.ca_path), "LOVENSE_TIMEOUT": 0.5,
            "LOVENSE_PLATFORM": "SmartToy", "LOVENSE_MIN_INTERVAL": 0, "SECRET_KEY": SECRET,
            "LOG_LEVEL": "DEBUG"}


@pytest.fixture
def api(make_app, lovense_config, notifier):
    return Api(make_app(lovense_config, notifier=notifier))


@pytest.fixture
def owner(api):
    user_id, token = api.user()
    toy_id, toy_token = api.toy(token)
    return {"id": user_id, "token": token, "toy": toy_id, "toy_token": toy_token}


def callback_body(toy_id, port, **changes):
    body = {"uid": toy_id, "appVersion": "4.0.3", "toys": {"f082c00246fa": {
        "nickName": "", "name": "nora", "id": "f082c00246fa", "status": 1}},
        "wssPort": "34568", "httpPort": "34567", "wsPort": "34567", "appType": "remote",
        "domain": LAN_NAME, "utoken": utoken_for(SECRET, toy_id), "httpsPort": str(port),
        "version": "101", "platform": "android"}
    body.update(changes)
    return body


def link(api, owner, port):
    status, answer = api.post("/lovense/callback", **callback_body(owner["toy"], port))
    assert (status, answer["code"]) == (200, 0), answer


def lovense_doc(api, toy_id):
    from bson import ObjectId
    return api.services.store.toys.by_id(ObjectId(toy_id)).get("lovense")


def test_qr_then_callback_links_the_toy(api, owner, cloud, lan_app, notifier):
    data = api.ok("/lovense/qr", owner["token"], toy_id=owner["toy"])
    assert data == {"qr": "https://test2.lovense.com/UploadFiles/qr/20220106/xxx.jpg",
                    "code": "Ab12Cd"}
    sent = cloud.received(paths.QR)[0]
    assert sent == {"token": DEV_TOKEN, "uid": owner["toy"], "uname": "Teddy",
                    "utoken": utoken_for(SECRET, owner["toy"]), "v": 2}
    status, answer = api.post("/lovense/callback",
                              **callback_body(owner["toy"], lan_app.port, utoken=sent["utoken"]))
    assert (status, answer["code"]) == (200, 0)
    info = lovense_doc(api, owner["toy"])
    assert info["domain"] == LAN_NAME and info["httpsPort"] == lan_app.port
    assert info["toys"]["f082c00246fa"]["name"] == "nora"
    assert (info["appType"], info["platform"], info["appVersion"]) == ("remote", "android",
                                                                       "4.0.3")
    assert isinstance(info["updated_at"], float) and "utoken" not in info
    event, payload, to = notifier.sent[-1]
    assert (event, to, payload["toy_id"], payload["domain"]) == (
        "lovense", owner["id"], owner["toy"], LAN_NAME)
    listed = api.ok("/toy_list", owner["token"])[0]
    assert listed["lovense"]["domain"] == LAN_NAME
    count = len(notifier.sent)
    link(api, owner, lan_app.port)  # heartbeat with the same info: stored, not re-announced
    assert len(notifier.sent) == count


def test_callback_as_form_with_dotted_domain_and_int_ports(api, owner, lan_app):
    body = callback_body(owner["toy"], lan_app.port, domain="127.0.0.1.lovense.club")
    body["toys"] = '{"t1": {"id": "t1", "name": "lush", "status": 0}}'
    status, answer = api.post("/lovense/callback", form=True, **body)
    assert (status, answer["code"]) == (200, 0)
    assert lovense_doc(api, owner["toy"])["toys"] == {
        "t1": {"id": "t1", "name": "lush", "status": 0}}
    body["toys"] = {"t2": {"id": "t2", "status": {"$gt": 1}, "name": {"x": 1}}}
    assert api.post("/lovense/callback", **body)[0] == 200
    assert lovense_doc(api, owner["toy"])["toys"] == {"t2": {"id": "t2"}}
    status, _ = api.post("/lovense/callback", **callback_body(owner["toy"], lan_app.port,
                                                              httpsPort=lan_app.port))
    assert status == 200 and lovense_doc(api, owner["toy"])["httpsPort"] == lan_app.port
    data = api.ok("/toy_control", owner["token"], toy_id=owner["toy"], command="GetToyName")
    assert data == {"transport": "lan", "result": {"code": 200, "data": ["Nora", "Lush"],
                                                   "type": "OK"}}
    assert lan_app.server_names[-1] == LAN_NAME


@pytest.mark.parametrize("change", [
    {"utoken": "forged"}, {"utoken": ""}, {"utoken": None},
    {"utoken": utoken_for("another-secret", "x")}, {"uid": "not-an-id"},
])
def test_forged_callback_is_refused_and_stores_nothing(api, owner, lan_app, notifier,
                                                       change):
    body = {k: v for k, v in callback_body(owner["toy"], lan_app.port, **change).items()
            if v is not None}
    status, answer = api.post("/lovense/callback", **body)
    assert (status, answer["code"]) == (403, 403)
    assert lovense_doc(api, owner["toy"]) is None and notifier.sent == []


def test_utoken_of_another_toy_is_refused(api, owner, lan_app):
    _, other_token = api.user()
    other_toy, _ = api.toy(other_token)
    body = callback_body(owner["toy"], lan_app.port, utoken=utoken_for(SECRET, other_toy))
    assert api.post("/lovense/callback", **body)[0] == 403
    assert lovense_doc(api, owner["toy"]) is None


DOC_COMMANDS = [
    {"command": "Function", "action": "Vibrate:16", "timeSec": 20, "loopRunningSec": 9,
     "loopPauseSec": 4, "toy": "ff922f7fd345", "apiVer": 1},
    {"command": "Function", "action": "Stroke:0-20,Thrusting:10", "timeSec": 20, "apiVer": 1},
    {"command": "Position", "value": "38", "toy": "ff922f7fd345", "apiVer": 1},
    {"command": "Pattern", "rule": "V:1;F:v,r,p;S:100#", "strength": "20;20;5;20;10",
     "timeSec": 9, "apiVer": 2},
    {"command": "PatternV2", "type": "Setup", "actions": [{"ts": 0, "pos": 10},
                                                           {"ts": 100, "pos": 100}], "apiVer": 1},
    {"command": "PatternV2", "type": "Play", "toy": "ff922f7fd345", "startTime": 100,
     "offsetTime": 300, "apiVer": 1},
    {"command": "PatternV2", "type": "Stop", "toy": "ff922f7fd345", "apiVer": 1},
    {"command": "PatternV2", "type": "SyncTime", "apiVer": 1},
    {"command": "Preset", "name": "pulse", "timeSec": 9, "toy": "ff922f7fd345", "apiVer": 1},
    {"command": "GetToyName"},
]


def test_documented_commands_arrive_exactly_over_lan(api, owner, lan_app, cloud):
    link(api, owner, lan_app.port)
    for command in DOC_COMMANDS:
        data = api.ok("/toy_control", owner["token"], toy_id=owner["toy"], **command)
        assert data["transport"] == "lan"
    assert lan_app.bodies == DOC_COMMANDS
    assert {r["headers"]["X-platform"] for r in lan_app.requests} == {"SmartToy"}
    assert cloud.requests == []


def test_get_toys_comes_back_as_objects(api, owner, lan_app):
    link(api, owner, lan_app.port)
    data = api.ok("/toy_control", owner["token"], toy_id=owner["toy"], command="GetToys")
    toys = data["result"]["data"]["toys"]
    assert toys["f082c00246fa"]["battery"] == 60 and toys["c44a9b0a1d7e"]["battery"] is None
    assert lan_app.bodies == [{"command": "GetToys"}]


def test_form_fields_are_typed_before_sending(api, owner, lan_app):
    link(api, owner, lan_app.port)
    status, answer = api.post("/toy_control", owner["token"], form=True, toy_id=owner["toy"],
                              command="Function", action="Vibrate:5", timeSec="10")
    assert status == 200, answer
    assert lan_app.bodies == [{"command": "Function", "action": "Vibrate:5", "timeSec": 10,
                               "apiVer": 1}]


@pytest.mark.parametrize("command,field", [
    ({"command": "Function", "action": "Vibrate:21", "timeSec": 5}, "action"),
    ({"command": "Function", "action": "Stroke:0-50", "timeSec": 5}, "action"),
    ({"command": "Function", "action": "Vibrate:3", "timeSec": 1}, "timeSec"),
    ({"command": "Function", "action": "Vibrate:3", "timeSec": 5, "loopPauseSec": 1},
     "loopPauseSec"),
    ({"command": "Pattern", "rule": "V:1;F:v;S:50#", "strength": "1", "timeSec": 5}, "rule"),
    ({"command": "Pattern", "rule": "V:1;F:v;S:500#", "strength": "1;30", "timeSec": 5},
     "strength"),
    ({"command": "PatternV2", "type": "Setup", "actions": [{"ts": 5, "pos": 1},
                                                           {"ts": 5, "pos": 2}]},
     "actions[1].ts"),
    ({"command": "PatternV2", "type": "Play", "offsetTime": 20000}, "offsetTime"),
    ({"command": "Preset", "name": "storm", "timeSec": 5}, "name"),
    ({"command": "Position", "value": "-1"}, "value"),
    ({"command": "Pattern", "rule": "V:1;F:v;S:500#", "strength": "1", "timeSec": 5,
      "apiVer": 1}, "apiVer"),
    ({"command": "Reboot"}, "command"),
])
def test_invalid_commands_send_nothing(api, owner, lan_app, cloud, command, field):
    link(api, owner, lan_app.port)
    status, answer = api.post("/toy_control", owner["token"], toy_id=owner["toy"], **command)
    assert (status, answer["code"]) == (400, 400)
    assert answer["msg"].startswith(field), answer["msg"]
    assert lan_app.requests == [] and cloud.received(paths.COMMAND) == []


FUNCTION = {"command": "Function", "action": "Vibrate:16", "timeSec": 20, "apiVer": 1}


@pytest.mark.parametrize("outage", ["vanish", "drop", "hang"])
def test_lan_outage_falls_back_to_the_server(api, owner, lan_app, cloud, outage):
    link(api, owner, lan_app.port)
    getattr(lan_app, outage)()
    data = api.ok("/toy_control", owner["token"], toy_id=owner["toy"], **FUNCTION)
    assert data == {"transport": "server",
                    "result": {"result": True, "code": 200, "message": "Success"}}
    assert cloud.received(paths.COMMAND) == [{"token": DEV_TOKEN, "uid": owner["toy"],
                                              **FUNCTION}]


def test_lan_outage_without_a_server_route_is_reported(api, owner, lan_app, cloud):
    link(api, owner, lan_app.port)
    lan_app.hang(3)
    status, answer = api.post("/toy_control", owner["token"], toy_id=owner["toy"],
                              command="GetToys")
    assert (status, answer["code"]) == (504, 504)
    lan_app.vanish()
    status, answer = api.post("/toy_control", owner["token"], toy_id=owner["toy"],
                              command="GetToys")
    assert (status, answer["msg"]) == (502, "Lovense app is not reachable on the LAN")
    assert cloud.received(paths.COMMAND) == []


@pytest.mark.parametrize("code,msg", [(402, "toy not connected"), (401, "toy not found"),
                                      (403, "toy doesn't support this command")])
def test_lan_error_codes_are_502_without_fallback(api, owner, lan_app, cloud, code,
                                                  msg):
    link(api, owner, lan_app.port)
    lan_app.fail_with(code)
    status, answer = api.post("/toy_control", owner["token"], toy_id=owner["toy"], **FUNCTION)
    assert (status, answer["code"], answer["msg"]) == (502, 502, msg)
    assert answer["data"] == {"lovense_code": code}
    assert cloud.received(paths.COMMAND) == []


@pytest.mark.parametrize("code,msg", [(507, "Lovense app is offline"),
                                      (503, "Lovense server does not know this user "
                                            "(invalid user id)")])
def test_server_error_codes(api, owner, cloud, code, msg):
    cloud.fail(paths.COMMAND, code)
    status, answer = api.post("/toy_control", owner["token"], toy_id=owner["toy"], **FUNCTION)
    assert (status, answer["msg"], answer["data"]) == (502, msg, {"lovense_code": code})


def test_server_timeout_is_504(api, owner, cloud):
    cloud.hang(3)
    status, answer = api.post("/toy_control", owner["token"], toy_id=owner["toy"], **FUNCTION)
    assert (status, answer["code"]) == (504, 504)


def test_unlinked_toy_uses_the_server_or_says_how_to_link(api, owner, cloud):
    data = api.ok("/toy_control", owner["token"], toy_id=owner["toy"], **FUNCTION)
    assert data["transport"] == "server"
    status, answer = api.post("/toy_control", owner["token"], toy_id=owner["toy"],
                              command="Position", value=50)
    assert status == 409 and "/lovense/qr" in answer["msg"]


@pytest.mark.parametrize("config", [{"LOVENSE_LAN_ENABLED": False},
                                    {"LOVENSE_LAN_FRESH_SECONDS": -1}])
def test_lan_disabled_or_stale_goes_to_the_server(make_app, lovense_config, lan_app,
                                                  cloud, config):
    api = Api(make_app({**lovense_config, **config}))
    user_id, token = api.user()
    toy_id, _ = api.toy(token)
    link(api, {"toy": toy_id}, lan_app.port)
    data = api.ok("/toy_control", token, toy_id=toy_id, **FUNCTION)
    assert data["transport"] == "server" and lan_app.requests == []


def test_public_or_link_local_domain_is_never_used(api, owner, lan_app, cloud):
    body = callback_body(owner["toy"], lan_app.port, domain="169-254-169-254.lovense.club")
    assert api.post("/lovense/callback", **body)[0] == 200
    data = api.ok("/toy_control", owner["token"], toy_id=owner["toy"], **FUNCTION)
    assert data["transport"] == "server" and lan_app.requests == []


ENDPOINTS = [("/lovense/qr", {}), ("/toy_control", {"command": "GetToys"}),
             ("/lovense/socket/start", {}), ("/lovense/cam/token", {}),
             ("/lovense/tip", {"amount": 5}), ("/lovense/tip_levels", {})]


@pytest.mark.parametrize("path,extra", ENDPOINTS)
def test_only_the_owner_controls_the_toy(api, owner, lan_app, cloud, path, extra):
    link(api, owner, lan_app.port)
    _, stranger = api.user()
    assert api.post(path, stranger, toy_id=owner["toy"], **extra)[0] == 403
    assert api.post(path, owner["toy_token"], toy_id=owner["toy"], **extra)[0] == 403
    assert api.post(path, None, toy_id=owner["toy"], **extra)[0] == 401
    assert api.post(path, owner["token"], toy_id="0" * 24, **extra)[0] == 404
    assert lan_app.requests == [] and cloud.requests == []


def test_cam_token_is_requested_form_encoded(api, owner, cloud):
    data = api.ok("/lovense/cam/token", owner["token"], toy_id=owner["toy"])
    token = "95116bd2af44b753da2a1e4cd55cf965"
    assert data == {"mId": owner["toy"], "mToken": token,
                    "settings_url": f"{cloud.base_url}/api/cam/model/v2/setting?mToken={token}",
                    "model_js_url": f"{cloud.base_url}/api/cam/model/v2/model.js?mToken={token}"}
    record = cloud.requests[-1]
    assert record["content_type"].startswith("application/x-www-form-urlencoded")
    assert record["form"] == {"dToken": DEV_TOKEN,
                              "mInfo": f'{{"mId": "{owner["toy"]}", "mName": "Lily"}}'}


def test_tip_levels_and_tips(api, owner, lan_app):
    link(api, owner, lan_app.port)
    assert api.ok("/lovense/tip_levels", owner["token"], toy_id=owner["toy"])["default"] is True
    levels = [{"min": "1", "max": "9", "time": "2", "vLevel": 5, "rLevel": 0},
              {"min": 10, "max": 99, "time": 5, "vLevel": 12, "rLevel": 4}]
    data = api.ok("/lovense/tip_levels", owner["token"], toy_id=owner["toy"], levels=levels)
    assert data["levels"][0] == {"min": 1, "max": 9, "time": 2, "vLevel": 5, "rLevel": 0}
    status, answer = api.post("/lovense/tip_levels", owner["token"], toy_id=owner["toy"],
                              levels=[{"min": 5, "max": 1, "time": 2, "vLevel": 1}])
    assert status == 400 and answer["msg"].startswith("levels[0].max")
    data = api.ok("/lovense/tip", owner["token"], toy_id=owner["toy"], amount=20, tipper="john")
    assert (data["transport"], data["level"]["vLevel"], data["tipper"]) == ("lan", 12, "john")
    assert lan_app.bodies == [{"command": "Function", "action": "Vibrate:12,Rotate:4",
                               "timeSec": 5, "apiVer": 1}]
    data = api.ok("/lovense/tip", owner["token"], toy_id=owner["toy"], amount=500)
    assert data["level"] is None and len(lan_app.requests) == 1
    assert api.post("/lovense/tip", owner["token"], toy_id=owner["toy"])[1]["msg"] == (
        "amount is required")


def test_unbinding_forgets_the_link(api, owner, lan_app):
    link(api, owner, lan_app.port)
    api.ok("/unbind_toy", owner["token"], toy_id=owner["toy"])
    assert api.post("/toy_control", owner["token"], toy_id=owner["toy"], **FUNCTION)[0] == 404
    assert api.post("/lovense/callback", **callback_body(owner["toy"], lan_app.port))[0] == 404
    assert lan_app.requests == []


def test_developer_token_never_leaks(api, owner, lan_app, cloud, caplog):
    caplog.set_level(logging.DEBUG)
    texts = []
    link(api, owner, lan_app.port)
    cloud.fail(paths.COMMAND, 501)
    cloud.fail(paths.QR, 501)
    cloud.fail(paths.CAM_TOKEN, 401)
    lan_app.vanish()
    for path, extra in [("/lovense/qr", {}), ("/toy_control", FUNCTION),
                        ("/lovense/cam/token", {}), ("/lovense/socket/start", {}),
                        ("/lovense/tip", {"amount": 5})]:
        response = api.client.post(path, json={"toy_id": owner["toy"], **extra},
                                   headers={"Authorization": f"Bearer {owner['token']}"})
        texts.append(response.get_data(as_text=True))
    cloud.hang(3)
    response = api.client.post("/toy_control", json={"toy_id": owner["toy"], **FUNCTION},
                               headers={"Authorization": f"Bearer {owner['token']}"})
    texts.append(response.get_data(as_text=True))
    assert any('"lovense_code":501' in t.replace(" ", "") for t in texts)
    assert "504" in texts[-1]
    everything = "\n".join(texts) + caplog.text + repr(api.services.settings.get("x"))
    assert DEV_TOKEN not in everything
    assert DEV_TOKEN[:12] not in everything
