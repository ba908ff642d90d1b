"""bench/load.py's plumbing: the wrk Lua script runs, its result line parses, the table reports."""

import importlib.util
import shutil
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load():
    spec = importlib.util.spec_from_file_location("bench_load", ROOT / "bench/load.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_load"] = module
    spec.loader.exec_module(module)
    return module


load = _load()


def test_parse_wrk_reads_the_result_line():
    output = (
        "Running 2s test\n"
        'RESULT {"requests": 500, "seconds": 2.0, "p50": 3.5, "p95": 9.25, "p99": 12.0, '
        '"errors": 4}\n'
    )
    result = load.parse_wrk("x", output)
    assert result.rate == 250.0
    assert (result.p50, result.p95, result.p99, result.errors) == (3.5, 9.25, 12.0, 4)


def test_parse_wrk_without_a_result_fails_loudly():
    with pytest.raises(RuntimeError, match="no result"):
        load.parse_wrk("x", "unable to connect")


def test_report_gives_the_share_of_the_ceiling():
    rows = [
        load.Result("ceiling", 2000, 2.0, 1, 2, 3, 0),  # 1,000 req/s
        load.Result("pipeline", 500, 2.0, 10, 20, 30, 1),  # 250 req/s
    ]
    table = load.report(rows, 1000.0).splitlines()
    assert table[2] == "| ceiling | 1,000.0 | 1.0 | 2.0 | 3.0 | 0 | 100% |"
    assert table[3] == "| pipeline | 250.0 | 10.0 | 20.0 | 30.0 | 1 | 25% |"


def test_journeys_skip_what_the_data_set_lacks_and_headers_authenticate():
    facts = {
        "lock_search": "/console/deal-locks/?q=a",
        "detail": "/d/",
        "tier": "/t/",
        "course": "",
    }
    picked = load.journeys(facts)
    assert "course" not in [j.key for j in picked]
    post = next(j for j in picked if j.key == "api-post")
    headers = load.headers_for(post, {"partner_key": "prm_a_b"})
    assert headers["Authorization"] == "Bearer prm_a_b"
    assert headers["Content-Type"] == "application/json"
    lock = next(j for j in picked if j.key == "lock")
    assert load.headers_for(lock, {"manager": "s1"})["Cookie"] == "sessionid=s1"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as gunicorn answers wrk
    bodies: list = []

    def _answer(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):  # noqa: N802
        self._answer(404 if self.path == "/missing" else 200)

    def do_POST(self):  # noqa: N802
        _Handler.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        self._answer(201)

    def log_message(self, *args):
        pass


@pytest.mark.skipif(not shutil.which("wrk"), reason="wrk is not installed (apt-get install wrk)")
def test_wrk_round_counts_requests_and_non_2xx_errors():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    args = type("Args", (), {"connections": 2, "seconds": 1})()
    try:
        ok = load.run_wrk(args, "ok", f"{base}/", "GET", {"Host": "bench-0.localhost"})
        missing = load.run_wrk(args, "missing", f"{base}/missing", "GET", {})
        posted = load.run_wrk(
            args, "post", f"{base}/", "POST", {"Content-Type": "application/json"}
        )
    finally:
        server.shutdown()
    assert ok.requests > 0 and ok.errors == 0
    assert missing.requests > 0 and missing.errors == missing.requests
    assert posted.requests > 0 and posted.errors == 0
    assert b'"customer_name": "Load Co ' in _Handler.bodies[0]
    assert len(set(_Handler.bodies)) == len(_Handler.bodies)  # each POST a new registration
