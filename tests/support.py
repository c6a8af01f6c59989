"""Test helpers: a thin API driver over Flask's test client."""

import itertools
import threading

_names = itertools.count(1)


class Api:
    """Calls endpoints the way the app and the toy do; returns ``(status, json)``."""

    def __init__(self, app):
        self.app = app
        self.client = app.test_client()
        self.services = app.extensions["smarttoy"]

    def post(self, path, token=None, form=False, **fields):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if form:
            response = self.client.post(path, data=fields, headers=headers)
        else:
            response = self.client.post(path, json=fields, headers=headers)
        return response.status_code, response.get_json()

    def get(self, path, **kwargs):
        """GET, read the whole body and close the response (file responses hold a handle)."""
        response = self.client.get(path, **kwargs)
        response.get_data()
        response.close()
        return response

    def ok(self, path, token=None, **fields):
        status, body = self.post(path, token, **fields)
        assert status == 200 and body["code"] == 0, (path, status, body)
        return body["data"]

    def user(self, nickname=None, gender="1"):
        """Register and log in a new parent; returns ``(user_id, token)``."""
        name = f"parent{next(_names)}"
        self.ok("/reg", username=name, password="secret123", nickname=nickname or name,
                gender=gender)
        data = self.ok("/login", username=name, password="secret123")
        return data["_id"], data["token"]

    def device(self):
        """A new licensed device key (as the operator CLI makes them)."""
        return self.services.devices.create(1)[0]

    def toy(self, token, toy_name="Teddy", baby_name="Lily", remark="Mum"):
        """Bind a new device for the parent ``token``; returns ``(toy_id, toy_token)``."""
        key = self.device()
        self.ok("/bind_toy", token, toy_name=toy_name, baby_name=baby_name, remark=remark,
                device_key=key)
        status, body = self.post("/open_toy", device_key=key)
        assert body["code"] == 0, body
        return body["toy_id"], body["token"]

    def concurrent_binds(self, key, tokens, timeout=30):
        """Bind ``key`` from every token at once (threads released by a barrier); the statuses."""
        statuses, barrier = [], threading.Barrier(len(tokens))

        def bind(token):
            client = self.app.test_client()
            barrier.wait()
            response = client.post("/bind_toy", json={"toy_name": "T", "baby_name": "B",
                                                      "remark": "R", "device_key": key},
                                   headers={"Authorization": f"Bearer {token}"})
            statuses.append(response.status_code)

        threads = [threading.Thread(target=bind, args=(t,)) for t in tokens]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout)
        return sorted(statuses)
