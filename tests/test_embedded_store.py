"""The embedded default (litemongo under DATA_DIR + in-process Redis): data survives restarts
and a kill of the real ``python app.py`` process."""

import pytest
import socketio

from app import create_app
from tests.server_process import ServerProcess
from tests.support import Api


def test_data_survives_an_app_restart(settings):
    embedded = dict(settings, REDIS_PREFIX="smarttoy:")
    api = Api(create_app(embedded))
    user_id, token = api.user(nickname="Persisted")
    toy_id, _ = api.toy(token, toy_name="Keeper")
    api.services.store.mongo_client.close()

    again = Api(create_app(embedded))
    username = again.services.store.users.all()[0]["username"]
    data = again.ok("/login", username=username, password="secret123")
    assert data["_id"] == user_id and data["bind_toys"] == [toy_id]
    assert again.ok("/toy_list", data["token"])[0]["toy_name"] == "Keeper"
    assert again.ok("/auto_login", token)["_id"] == user_id  # tokens persist too
    key = again.services.store.toys.all()[0]["device_key"]
    assert again.post("/bind_toy", data["token"], toy_name="T", baby_name="B",
                      device_key=key)[0] == 409  # unique indexes persist


@pytest.fixture
def server_env(tmp_path):
    return {"DATA_DIR": tmp_path / "data", "MEDIA_DIR": tmp_path / "media", "RATE_LIMIT": "0"}


def test_python_app_py_keeps_data_across_a_kill(server_env, tmp_path):
    server = ServerProcess(server_env, log_path=tmp_path / "server.log").start()
    try:
        user = {"username": "killme", "password": "secret123", "nickname": "K", "gender": "2"}
        assert server.post("/reg", **user)[1]["code"] == 0
        token = server.post("/login", username="killme", password="secret123")[1]["data"]["token"]
        server.kill()
        server.start()
        status, body = server.post("/login", username="killme", password="secret123")
        assert status == 200 and body["data"]["avatar"] == "baba.jpg"
        assert server.post("/auto_login", token)[1]["data"]["username"] == "killme"
    finally:
        server.stop()


def test_socketio_over_the_real_server(server_env, tmp_path):
    server = ServerProcess(server_env, log_path=tmp_path / "server.log").start()
    client = socketio.Client(reconnection=False)
    try:
        user = {"username": "sock", "password": "secret123", "nickname": "S", "gender": "1"}
        server.post("/reg", **user)
        token = server.post("/login", username="sock", password="secret123")[1]["data"]["token"]
        with pytest.raises(socketio.exceptions.ConnectionError):
            socketio.Client(reconnection=False).connect(server.url, auth={"token": "forged"},
                                                        wait_timeout=5)
        client.connect(server.url, auth={"token": token}, transports=["websocket"],
                       wait_timeout=5)
        assert client.connected
    finally:
        client.disconnect()
        server.stop()
