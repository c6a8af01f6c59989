"""LovenseApiClient against a fake Lovense cloud over real TLS on loopback (test CA)."""

import logging

import pytest

from services.clients.lovense_api import LovenseApiClient
from services.errors import Upstream, UpstreamTimeout
from tests.fakes import lovense_cloud as paths
from tests.fakes.lovense_fixtures import DEV_TOKEN, authority_fixture, cloud_fixture  # noqa: F401
from tests.fakes.netguard import loopback_only  # noqa: F401  (autouse guard)


@pytest.fixture
def api(cloud, authority):
    client = LovenseApiClient(DEV_TOKEN, cloud.base_url, timeout=0.5,
                              ca_bundle=authority.ca_path)
    yield client
    client.close()


def test_get_qr_code_sends_documented_fields(api, cloud):
    assert api.get_qr_code("toy1", "Teddy", "ut") == {
        "qr": "https://test2.lovense.com/UploadFiles/qr/20220106/xxx.jpg", "code": "Ab12Cd"}
    assert cloud.received(paths.QR) == [
        {"token": DEV_TOKEN, "uid": "toy1", "uname": "Teddy", "utoken": "ut", "v": 2}]
    assert cloud.requests[-1]["content_type"] == "application/json"


def test_command_adds_token_and_uid(api, cloud):
    body = {"command": "Preset", "name": "pulse", "timeSec": 9, "apiVer": 1}
    assert api.command("toy1", body)["code"] == 200
    assert cloud.received(paths.COMMAND) == [{"token": DEV_TOKEN, "uid": "toy1", **body}]


def test_socket_token_and_url(api, cloud):
    assert api.socket_auth_token("toy1", "Teddy", "ut") == "auth-toy1"
    assert cloud.received(paths.SOCKET_TOKEN) == [
        {"token": DEV_TOKEN, "uid": "toy1", "uname": "Teddy", "utoken": "ut"}]
    assert api.socket_url("SmartToy", "auth-toy1") == {
        "socketIoUrl": cloud.socket_io_url, "socketIoPath": "/developer.io"}
    assert cloud.received(paths.SOCKET_URL) == [
        {"platform": "SmartToy", "authToken": "auth-toy1"}]


def test_cam_token_is_form_encoded(api, cloud):
    assert api.cam_model_token("toy1", "Teddé") == {
        "mId": "toy1", "mToken": "95116bd2af44b753da2a1e4cd55cf965"}
    record = cloud.requests[-1]
    assert record["content_type"].startswith("application/x-www-form-urlencoded")
    assert record["form"] == {"dToken": DEV_TOKEN, "mInfo": '{"mId": "toy1", "mName": "Teddé"}'}
    urls = api.cam_urls("95116bd2af44b753da2a1e4cd55cf965")
    assert urls["settings_url"] == (
        f"{cloud.base_url}/api/cam/model/v2/setting?mToken=95116bd2af44b753da2a1e4cd55cf965")
    assert urls["model_js_url"].endswith("/api/cam/model/v2/model.js?mToken="
                                         "95116bd2af44b753da2a1e4cd55cf965")


@pytest.mark.parametrize("code,msg", [
    (400, "Lovense server rejected the command (invalid command)"),
    (404, "Lovense server rejected a parameter (invalid parameter)"),
    (501, "Lovense server rejected the developer token"),
    (502, "developer account has no permission to use this Lovense API"),
    (503, "Lovense server does not know this user (invalid user id)"),
    (507, "Lovense app is offline"),
])
def test_server_error_codes(api, cloud, code, msg):
    cloud.fail(paths.COMMAND, code)
    with pytest.raises(Upstream) as caught:
        api.command("toy1", {"command": "Function", "action": "Stop", "timeSec": 0})
    assert (caught.value.status, caught.value.msg) == (502, msg)
    assert caught.value.data == {"lovense_code": code}


@pytest.mark.parametrize("code,msg", [
    (401, "Lovense server rejected the developer token"),
    (402, "Lovense server rejected the model information"),
    (505, "Lovense server failed to issue the model token"),
])
def test_cam_error_codes(api, cloud, code, msg):
    cloud.fail(paths.CAM_TOKEN, code)
    with pytest.raises(Upstream) as caught:
        api.cam_model_token("toy1", "Teddy")
    assert (caught.value.msg, caught.value.data) == (msg, {"lovense_code": code})


def test_wrong_token_never_shows_in_errors_or_logs(cloud, authority, caplog):
    secret = "SECRET-dev-token-42"
    client = LovenseApiClient(secret, cloud.base_url, timeout=0.5, ca_bundle=authority.ca_path)
    caplog.set_level(logging.DEBUG)
    errors = []
    for call in (lambda: client.get_qr_code("t", "n", "u"),
                 lambda: client.command("t", {"command": "GetToys"}),
                 lambda: client.cam_model_token("t", "n")):
        with pytest.raises(Upstream) as caught:
            call()
        errors.append(caught.value)
    cloud.hang(3)
    with pytest.raises(UpstreamTimeout) as caught:
        client.command("t", {"command": "GetToys"})
    errors.append(caught.value)
    cloud.vanish()
    with pytest.raises(Upstream) as caught:
        client.command("t", {"command": "GetToys"})
    errors.append(caught.value)
    client.close()
    assert [e.data.get("lovense_code") for e in errors[:3]] == [501, 501, 401]
    text = " ".join(f"{e!r} {e.msg} {e.data} {e.__cause__!r} {e.__context__!r}" for e in errors)
    assert secret not in text
    assert secret not in caplog.text and "SECRET" not in caplog.text


def test_timeout_unreachable_and_garbage(api, cloud):
    cloud.respond = lambda record: (502, b"Bad Gateway")
    with pytest.raises(Upstream) as caught:
        api.command("t", {"command": "GetToys"})
    assert caught.value.data == {"http_status": 502}
    cloud.hang(3)
    with pytest.raises(UpstreamTimeout):
        api.get_qr_code("t", "n", "u")
    cloud.vanish()
    with pytest.raises(Upstream) as caught:
        api.get_qr_code("t", "n", "u")
    assert type(caught.value) is Upstream and caught.value.msg == "Lovense server is not reachable"


def test_missing_token_sends_nothing(cloud, authority):
    client = LovenseApiClient("", cloud.base_url, timeout=0.5, ca_bundle=authority.ca_path)
    with pytest.raises(Upstream):
        client.command("t", {"command": "GetToys"})
    assert cloud.requests == [] and not client.configured
    with pytest.raises(ValueError):
        LovenseApiClient("x", "ftp://nowhere")
