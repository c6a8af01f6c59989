"""The repository's API reference: ``docs/openapi.yaml`` read once and handed out as a dict."""

import threading
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
OPENAPI_PATH = ROOT / "docs" / "openapi.yaml"
VIEWER_DIRS = (ROOT / "static" / "docs", ROOT / "static" / "vendor" / "swagger-ui")


class ApiReference:
    """``docs/openapi.yaml`` parsed on first use (not at import) and kept for the process."""

    def __init__(self, path=OPENAPI_PATH):
        self._path = Path(path)
        self._document = None
        self._lock = threading.Lock()

    def document(self):
        """The OpenAPI document as a dict. Raises OSError / yaml.YAMLError if it is unreadable."""
        with self._lock:
            if self._document is None:
                with self._path.open(encoding="utf-8") as handle:
                    self._document = yaml.safe_load(handle)
            return self._document


def viewer_file(name):
    """``(folder, name)`` of a file of the /docs page: our own page files first, then the
    vendored Swagger UI; None for anything else (no sub-folders, no dot files)."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        return None
    for folder in VIEWER_DIRS:
        if (folder / name).is_file():
            return folder, name
    return None
