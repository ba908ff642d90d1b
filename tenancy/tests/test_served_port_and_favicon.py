"""`make run PORT=8101` links to :8101 everywhere, and /favicon.ico answers on every host."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def test_make_run_banner_uses_the_port_served():
    out = subprocess.run(
        ["make", "-n", "run", "PORT=8101"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "http://acme.localhost:8101" in out and "--port 8101" in out
    assert ":8000" not in out


def test_make_demo_and_run_export_the_served_port_for_links():
    makefile = (ROOT / "Makefile").read_text()
    assert "demo run: export PRM_URL_PORT := $(PORT)" in makefile


def test_platform_page_links_workspaces_on_the_port_served(acme, globex):
    client = Client(HTTP_HOST="localhost:8101")
    client.force_login(acme.admin)
    html = client.get("/").content.decode()
    assert 'href="http://acme.localhost:8101/"' in html
    assert "<code>acme.localhost:8101</code>" in html
    assert ":8000" not in html


def test_platform_page_without_a_port_links_without_one(acme):
    client = Client(HTTP_HOST="localhost")
    client.force_login(acme.admin)
    html = client.get("/").content.decode()
    assert 'href="http://acme.localhost/"' in html and ":8000" not in html


@pytest.mark.parametrize("host", ["localhost", "acme.localhost:8101"])
def test_favicon_ico_redirects_to_the_shipped_icon(acme, host):
    response = Client(HTTP_HOST=host).get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/favicon.ico"
    assert (ROOT / "static" / "favicon.ico").read_bytes()[:4] == b"\x00\x00\x01\x00"  # ICO magic


def test_every_page_declares_the_svg_icon(acme):
    html = acme.client(acme.admin).get("/console/").content.decode()
    assert 'rel="icon" href="/static/favicon.svg"' in html
    assert (ROOT / "static" / "favicon.svg").read_text().startswith("<svg")
