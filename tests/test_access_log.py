"""The access log: one line per request with method, path, status, ms and caller; no token."""

import logging
import re


def _lines(caplog):
    return [r.getMessage() for r in caplog.records if r.name == "smarttoy.access"]


def test_one_line_per_request_with_the_caller_and_no_token(api, caplog):
    user_id, token = api.user()
    with caplog.at_level(logging.INFO, logger="smarttoy.access"):
        api.client.post(f"/toy_list?token={token}", headers={"Authorization": f"Bearer {token}"})
        api.client.post("/toy_list", headers={"Authorization": "Bearer forged"})
        api.client.get("/no/such/thing?token=abc")
        api.client.get("/socket.io/?EIO=4&transport=polling&token=abc")
    lines = _lines(caplog)
    assert len(lines) == 4, lines
    assert re.fullmatch(rf"POST /toy_list 200 [\d.]+ms caller=app:{user_id}", lines[0])
    assert re.fullmatch(r"POST /toy_list 401 [\d.]+ms", lines[1])
    assert re.fullmatch(r"GET /no/such/thing 404 [\d.]+ms", lines[2])
    assert re.fullmatch(r"GET /socket\.io/ \d{3} [\d.]+ms", lines[3])
    assert token not in caplog.text and "abc" not in caplog.text
