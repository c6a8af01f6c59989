"""docs/openapi.yaml is the repository's API reference: valid OpenAPI 3.1, every $ref resolves,
it documents exactly the app's route table (so neither can drift), it says truthfully which
operations need a token, and it is served as /openapi.json and rendered at /docs from vendored
files only."""

import re
from pathlib import Path

import pytest
import schemathesis
import yaml

ROOT = Path(__file__).resolve().parent.parent
DOC = yaml.safe_load((ROOT / "docs" / "openapi.yaml").read_text(encoding="utf-8"))
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def documented_operations():
    """``{(path, METHOD)}`` of the document."""
    return {(path, method.upper()) for path, item in DOC["paths"].items()
            for method in item if method in HTTP_METHODS}


def routed_operations(app):
    """``{(path, METHOD)}`` of the app's url map, ``<path:name>`` written as ``{name}``; HEAD
    and OPTIONS are answered by Flask for every GET route and are not listed."""
    found = set()
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.add((path, method))
    return found


def resolve(pointer):
    node = DOC
    for part in pointer.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def all_refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from all_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from all_refs(value)


def test_document_is_valid_openapi_3_1():
    assert DOC["openapi"].startswith("3.1")
    schemathesis.openapi.from_dict(DOC).validate()  # raises on a meta-schema violation


def test_every_ref_resolves():
    refs = set(all_refs(DOC))
    assert refs
    for ref in refs:
        assert ref.startswith("#/"), f"{ref}: only local references"
        resolve(ref)


def test_every_route_is_documented_and_every_documented_operation_exists(make_app):
    routes, documented = routed_operations(make_app()), documented_operations()
    assert routes - documented == set(), "routes missing from docs/openapi.yaml"
    assert documented - routes == set(), "docs/openapi.yaml documents operations the app lacks"


def test_operation_ids_are_unique():
    ids = [op["operationId"] for item in DOC["paths"].values()
           for method, op in item.items() if method in HTTP_METHODS]
    assert len(ids) == len(set(ids))


def test_every_operation_documents_its_errors():
    for path, item in DOC["paths"].items():
        for method, op in item.items():
            if method not in HTTP_METHODS:
                continue
            statuses = set(op["responses"])
            assert statuses & {"200", "101"}, f"{method} {path}: no success answer"
            if op.get("security", DOC["security"]):
                assert "401" in statuses, f"{method} {path} needs a token but lists no 401"
            if "requestBody" in op:
                assert {"400", "413"} <= statuses, f"{method} {path}: body errors missing"


def test_documented_security_matches_the_server(make_app):
    """Every operation the document says needs a token answers 401 without one; a public one
    never does. (/ws is a WebSocket upgrade, checked in the realtime tests.)"""
    client = make_app().test_client()
    wrong = []
    for path, method in sorted(documented_operations() - {("/ws", "GET")}):
        op = DOC["paths"][path][method.lower()]
        url = re.sub(r"\{[^}]+\}", "nothing-here", path)
        with client.open(url, method=method, json={}) as response:
            status = response.status_code
        if bool(op.get("security", DOC["security"])) != (status == 401):
            wrong.append((method, path, status))
    assert wrong == []


def test_openapi_json_is_the_yaml_document(make_app):
    response = make_app().test_client().get("/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_json() == DOC


def test_docs_page_uses_only_files_served_here(make_app):
    client = make_app().test_client()
    with client.get("/docs") as page:
        assert page.status_code == 200 and page.mimetype == "text/html"
        html = page.get_data(as_text=True)
    assert "http://" not in html and "https://" not in html and "//" not in html.replace(
        "<!--", "")
    assets = re.findall(r'(?:src|href)="(/[^"]+)"', html)
    assert {"/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css", "/docs/swagger-init.js"} <= set(
        assets)
    types = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
    for asset in assets:
        if asset == "/openapi.json":
            continue
        with client.get(asset) as response:
            assert response.status_code == 200, asset
            assert response.mimetype == types[Path(asset).suffix], asset
    with client.get("/docs/swagger-init.js") as response:
        init = response.get_data(as_text=True)
    assert 'url: "/openapi.json"' in init and "validatorUrl: null" in init


def test_vendored_viewer_carries_its_license(make_app):
    folder = ROOT / "static" / "vendor" / "swagger-ui"
    assert "Apache License" in (folder / "LICENSE").read_text()
    with make_app().test_client().get("/docs/LICENSE") as response:
        assert response.status_code == 200 and response.mimetype == "text/plain"


@pytest.mark.parametrize("name", ["../app.py", "..%2Fapp.py", ".hidden", "nope.js",
                                  "sub/index.html", "%2e%2e/config.py"])
def test_docs_files_never_leave_their_folders(make_app, name):
    response = make_app().test_client().get(f"/docs/{name}")
    assert response.status_code == 404
    assert response.get_json()["code"] == 404


def test_cli_reference_lists_every_command():
    from blueprints import cli

    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for group in cli.COMMANDS:
        for name, command in group.commands.items():
            assert f"`{group.name} {name}" in text, f"docs/cli.md lacks {group.name} {name}"
            for option in command.params:
                if option.param_type_name == "option":
                    assert f"--{option.name}" in text, f"docs/cli.md lacks --{option.name}"


def test_realtime_reference_lists_every_event():
    """Every event a service emits to clients and every client event the server handles."""
    code = "\n".join(p.read_text(encoding="utf-8") for p in ROOT.glob("services/**/*.py"))
    code += (ROOT / "blueprints" / "realtime.py").read_text(encoding="utf-8")
    emitted = set(re.findall(r"notifier\.emit\(\s*\"(\w+)\"", code))
    handled = set(re.findall(r"socketio\.on\(\"(\w+)\"", code)) - {"connect", "disconnect"}
    assert {"chat", "music", "friend_request", "toy_status", "lovense"} <= emitted
    assert "play" in handled
    text = (ROOT / "docs" / "realtime.md").read_text(encoding="utf-8")
    for event in emitted | handled:
        assert f"| `{event}` |" in text, f"docs/realtime.md lacks the {event} event"


def test_a_429_carries_the_documented_retry_after(make_app):
    """The RateLimited answer of the document (Retry-After required) is what the server sends."""
    header = DOC["components"]["responses"]["RateLimited"]["headers"]["Retry-After"]
    assert header["required"] is True
    client = make_app({"RATE_LIMIT": "1/60"}).test_client()
    statuses = []
    for _ in range(2):
        with client.post("/open_toy", data={"device_key": "a" * 32}) as response:
            statuses.append(response.status_code)
            retry_after = response.headers.get("Retry-After")
    assert statuses == [200, 429] and int(retry_after) >= 1
