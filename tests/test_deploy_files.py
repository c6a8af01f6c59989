"""The deployment kit's nginx sites are valid for Debian's nginx (``nginx -t``), with the
certificate and paths pointed into a temp folder, and include the same shared locations (and
the X-Accel-Redirect media location with its one-second cache of the app's answers)."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import trustme

from deploy.cluster import render_media_cache

ROOT = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SITES = {
    "smarttoy.conf": {
        "/etc/letsencrypt/live/toys.example.com/fullchain.pem": "{tmp}/cert.pem",
        "/etc/letsencrypt/live/toys.example.com/privkey.pem": "{tmp}/key.pem",
        "/var/log/nginx/": "{tmp}/", "/etc/nginx/smarttoy-locations.conf": "{locations}",
        "/etc/nginx/smarttoy-media.conf": "{media}",
        "/etc/nginx/smarttoy-media-cache.conf": "{media_cache}"},
    "compose-site.conf": {
        "/etc/nginx/tls/fullchain.pem": "{tmp}/cert.pem", "/etc/nginx/tls/privkey.pem":
        "{tmp}/key.pem", "/etc/nginx/smarttoy-locations.conf": "{locations}",
        "/etc/nginx/smarttoy-media.conf": "{media}", "http2 on;": "",
        "/etc/nginx/smarttoy-media-cache.conf": "{media_cache}",
        "app1:5000": "127.0.0.1:5001", "app2:5000": "127.0.0.1:5002",
        "app3:5000": "127.0.0.1:5003"},
}


@pytest.mark.parametrize("site", sorted(SITES))
def test_nginx_site_is_valid(site, tmp_path):
    if not Path(NGINX).exists():
        pytest.skip("needs nginx")
    cert = trustme.CA().issue_cert("toys.example.com")
    cert.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    cert.cert_chain_pems[0].write_to_path(str(tmp_path / "cert.pem"))
    text = (ROOT / "deploy" / "nginx" / site).read_text()
    assert "include /etc/nginx/smarttoy-locations.conf;" in text
    assert "include /etc/nginx/smarttoy-media.conf;" in text
    assert "include /etc/nginx/smarttoy-media-cache.conf;" in text
    locations = ROOT / "deploy" / "nginx" / "smarttoy-locations.conf"
    media = ROOT / "deploy" / "nginx" / "smarttoy-media.conf"
    media_cache = tmp_path / "smarttoy-media-cache.conf"  # its cache folder in the temp folder
    media_cache.write_text(render_media_cache(
        (ROOT / "deploy" / "nginx" / media_cache.name).read_text(), 18091, tmp_path / "cache"))
    for old, new in SITES[site].items():
        text = text.replace(old, new.format(tmp=tmp_path, locations=locations, media=media,
                                            media_cache=media_cache))
    # Listen on free-to-fail loopback ports only: -t never binds, but keep it local anyway.
    text = re.sub(r"listen (\[::\]:)?(\d+)", lambda m: f"listen 127.0.0.1:1{m.group(2)}"
                  if not m.group(1) else "listen [::1]:1" + m.group(2), text)
    (tmp_path / "site.conf").write_text(text)
    temp = " ".join(f"{kind}_temp_path {tmp_path}/{kind};"
                    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/n.pid; error_log {tmp_path}/e.log; events {{}}\n"
        f"http {{ access_log off; {temp} include {tmp_path}/site.conf; }}\n")
    result = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
